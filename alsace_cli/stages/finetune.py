"""Stage 1, finetune: fine-tune a pretrained multilingual model on labeled (normally English) data."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from alsace_cli import report
from alsace_cli.artifacts import load_dataset
from alsace_cli.errors import AlsaceError
from alsace_cli.inference import dataset_accuracy
from alsace_cli.models import load_model, seed_everything
from alsace_cli.provenance import make_provenance
from alsace_cli.tasks import get_task
from alsace_cli.training import (
    TrainLog,
    freeze_word_embeddings,
    make_accelerator,
    make_optimizer,
    save_trained,
    shuffled_batches,
    steps_for,
)


@dataclass
class FinetuneConfig:
    model: str = ""
    train: str = ""
    dev: str | None = None
    out: str = "finetuned"
    learning_rate: float = 2e-5
    epochs: float = 3.0
    max_steps: int | None = None
    batch_size: int = 32
    max_length: int = 128
    warmup_ratio: float = 0.1
    weight_decay: float = 0.01
    max_grad_norm: float = 1.0
    freeze_embeddings: bool = False
    eval_batch_size: int = 64
    seed: int = 42
    device: str = "auto"
    precision: str = "fp32"


def finetune(config: FinetuneConfig) -> Path:
    import torch
    from torch.utils.data import DataLoader

    seed_everything(config.seed)
    train = load_dataset(config.train, require_labels=True)
    dev = load_dataset(config.dev, require_labels=True) if config.dev else None
    if dev is not None and (dev.labels != train.labels or dev.task != train.task):
        raise AlsaceError(
            f"{config.dev}: labels or task differ from {config.train} ({dev.labels} vs {train.labels})"
        )
    task = get_task(train.task)
    model, tokenizer = load_model(config.model, train.task, train.labels, new_head=True)
    if config.freeze_embeddings:
        freeze_word_embeddings(model)
    accelerator = make_accelerator(config.device, config.precision)
    frame = train.frame.reset_index(drop=True)
    total = steps_for(len(frame), config.batch_size, config.epochs, config.max_steps)
    steps_per_epoch = max(1, len(frame) // config.batch_size)
    optimizer, scheduler = make_optimizer(
        model, config.learning_rate, config.weight_decay, config.warmup_ratio, total
    )
    labels = torch.tensor(frame["label"].to_numpy(dtype=np.int64))

    def collate(index: list[int]):
        batch = task.encode(tokenizer, frame.iloc[index], config.max_length)
        batch["labels"] = labels[index]
        return batch

    batches = shuffled_batches(len(frame), config.batch_size, total, config.seed)
    loader = DataLoader(range(len(frame)), batch_sampler=batches, collate_fn=collate)
    model, optimizer, loader, scheduler = accelerator.prepare(model, optimizer, loader, scheduler)
    log, best_acc, best_state = TrainLog(), -1.0, None
    model.train()
    with report.progress("finetune", total) as advance:
        for step, batch in enumerate(loader, start=1):
            loss = model(**batch).loss
            accelerator.backward(loss)
            accelerator.clip_grad_norm_(model.parameters(), config.max_grad_norm)
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad()
            row = {
                "step": step,
                "epoch": step / steps_per_epoch,
                "loss": loss.item(),
                "lr": scheduler.get_last_lr()[0],
            }
            if dev is not None and (step % steps_per_epoch == 0 or step == total):
                row["dev_accuracy"] = dataset_accuracy(
                    model,
                    tokenizer,
                    dev,
                    max_length=config.max_length,
                    batch_size=config.eval_batch_size,
                    device=accelerator.device,
                    precision=config.precision,
                )
                model.train()
                if row["dev_accuracy"] > best_acc:
                    best_acc = row["dev_accuracy"]
                    unwrapped = accelerator.unwrap_model(model)
                    best_state = {k: v.detach().cpu().clone() for k, v in unwrapped.state_dict().items()}
            log.add(**row)
            advance(status=f"loss {row['loss']:.4f}")
    model = accelerator.unwrap_model(model)
    if best_state is not None:
        model.load_state_dict(best_state)
    out = Path(config.out)
    if accelerator.is_main_process:
        provenance = make_provenance(
            "finetune", config, {"model": config.model, "train": config.train, "dev": config.dev}, config.seed
        )
        save_trained(model, tokenizer, out, train.labels, log, config, "finetune", provenance)
    final = log.rows[-1]["loss"]
    dev_note = f", best dev accuracy {best_acc:.4f}" if dev is not None else ""
    report.info(f"finetune: {total} steps on {len(frame)} rows, final loss {final:.4f}{dev_note} → {out}")
    return out
