"""Stage 6, distill: cross-lingual self-distillation from teacher languages.

Loss: the mean over a batch of pairs of KL(P(x_teacher) ‖ P(x_student)), each distribution a softmax of
logits / temperature, times temperature² (so gradients keep their scale as the temperature changes).
By default the teacher side is a target only: computed without dropout (eval mode) and without gradient.
`--mutual` sends the gradient through both sides with both in train mode, as the authors' code does.
`--ce-weight W --train FILE` adds W × cross-entropy on labeled (English) batches, which anchors the model:
the KL term alone is minimised by predicting the same distribution for every input.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from alsace_cli import report
from alsace_cli.artifacts import Dataset, load_dataset, read_artifact
from alsace_cli.errors import AlsaceError
from alsace_cli.models import load_model, seed_everything
from alsace_cli.provenance import make_provenance
from alsace_cli.tasks import get_task
from alsace_cli.training import (
    TrainLog,
    make_accelerator,
    make_optimizer,
    save_trained,
    shuffled_batches,
    steps_for,
)


@dataclass
class DistillConfig:
    model: str = ""
    data: str = ""
    pairs: str = ""
    out: str = "distilled"
    learning_rate: float = 5e-6
    epochs: float = 1.0
    max_steps: int | None = None
    pairs_per_batch: int = 16
    max_length: int = 128
    temperature: float = 1.0
    mutual: bool = False
    ce_weight: float = 0.0
    train: str | None = None
    warmup_ratio: float = 0.0
    weight_decay: float = 0.0
    max_grad_norm: float = 1.0
    seed: int = 42
    device: str = "auto"
    precision: str = "fp32"


def pair_rows(dataset: Dataset, pairs: pd.DataFrame, pairs_path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Row positions in the dataset of each pair's student and teacher side; every side must exist."""
    position = pd.Series(
        np.arange(len(dataset.frame)), index=pd.MultiIndex.from_frame(dataset.frame[["id", "lang"]])
    )
    sides = []
    for column in ("student_lang", "teacher_lang"):
        keys = pd.MultiIndex.from_arrays([pairs["id"], pairs[column].astype(str)])
        found = position.reindex(keys)
        if found.isna().any():
            row = int(found.isna().to_numpy().argmax())
            raise AlsaceError(
                f"{pairs_path}: row {row}: (id={pairs['id'].iloc[row]!r}, {column}={pairs[column].iloc[row]!r}) "
                f"is not in {dataset.path}"
            )
        sides.append(found.to_numpy(dtype=np.int64))
    return sides[0], sides[1]


def kl_teacher_student(student_logits, teacher_logits, temperature: float):
    import torch.nn.functional as F

    log_student = F.log_softmax(student_logits.float() / temperature, dim=-1)
    log_teacher = F.log_softmax(teacher_logits.float() / temperature, dim=-1)
    # batchmean: the sum over labels, averaged over pairs, which is KL's definition (plain "mean" is not).
    kl = F.kl_div(log_student, log_teacher, log_target=True, reduction="batchmean")
    return kl * temperature**2, log_student


def validate(config: DistillConfig) -> None:
    if config.temperature <= 0:
        raise AlsaceError("--temperature must be positive")
    if config.ce_weight < 0:
        raise AlsaceError("--ce-weight must be zero or positive")
    if config.ce_weight > 0 and not config.train:
        raise AlsaceError("--ce-weight needs --train FILE (the labeled data the cross-entropy term uses)")
    if config.train and config.ce_weight == 0:
        raise AlsaceError("--train is only used by the cross-entropy term: also pass --ce-weight > 0")


def distill(config: DistillConfig) -> Path:
    import torch
    import torch.nn.functional as F

    validate(config)
    seed_everything(config.seed)
    data = load_dataset(config.data)
    pairs = read_artifact(config.pairs, "pairs").frame
    student_rows, teacher_rows = pair_rows(data, pairs, Path(config.pairs))
    train = load_dataset(config.train, require_labels=True) if config.train else None
    if train is not None and train.labels != data.labels:
        raise AlsaceError(f"{config.train}: labels {train.labels} differ from {config.data}'s {data.labels}")
    task = get_task(data.task)
    model, tokenizer = load_model(config.model, data.task, data.labels)
    accelerator = make_accelerator(config.device, config.precision)
    total = steps_for(len(pairs), config.pairs_per_batch, config.epochs, config.max_steps)
    optimizer, scheduler = make_optimizer(
        model, config.learning_rate, config.weight_decay, config.warmup_ratio, total
    )
    model, optimizer, scheduler = accelerator.prepare(model, optimizer, scheduler)
    device = accelerator.device
    frame = data.frame
    batches = shuffled_batches(len(pairs), config.pairs_per_batch, total, config.seed)
    ce_batches = (
        shuffled_batches(len(train.frame), config.pairs_per_batch, total, config.seed + 1) if train else None
    )
    log = TrainLog()
    with report.progress("distill", total) as advance:
        for step, index in enumerate(batches, start=1):
            model.train()
            student = task.encode(tokenizer, frame.iloc[student_rows[index]], config.max_length).to(device)
            teacher = task.encode(tokenizer, frame.iloc[teacher_rows[index]], config.max_length).to(device)
            if config.mutual:
                teacher_logits = model(**teacher).logits
            else:
                model.eval()
                with torch.no_grad():
                    teacher_logits = model(**teacher).logits
                model.train()
            student_logits = model(**student).logits
            kl, log_student = kl_teacher_student(student_logits, teacher_logits, config.temperature)
            loss = kl
            ce_value = float("nan")
            if train is not None and ce_batches is not None:
                rows = train.frame.iloc[ce_batches[step - 1]]
                labeled = task.encode(tokenizer, rows, config.max_length).to(device)
                targets = torch.tensor(rows["label"].to_numpy(dtype=np.int64), device=device)
                ce = F.cross_entropy(model(**labeled).logits.float(), targets)
                loss = loss + config.ce_weight * ce
                ce_value = ce.item()
            accelerator.backward(loss)
            accelerator.clip_grad_norm_(model.parameters(), config.max_grad_norm)
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad()
            with torch.no_grad():
                # Logged to spot collapse: one distribution for every input shows as entropy drifting to a
                # constant while agreement with the teacher nears 1.
                entropy = -(log_student.exp() * log_student).sum(-1).mean().item()
                agree = (student_logits.argmax(-1) == teacher_logits.argmax(-1)).float().mean().item()
            log.add(
                step=step,
                epoch=step * config.pairs_per_batch / len(pairs),
                loss=loss.item(),
                kl=kl.item(),
                ce=ce_value,
                lr=scheduler.get_last_lr()[0],
                student_entropy=entropy,
                teacher_agreement=agree,
            )
            advance(status=f"kl {kl.item():.4f}")
    model = accelerator.unwrap_model(model)
    out = Path(config.out)
    if accelerator.is_main_process:
        inputs = {"model": config.model, "data": config.data, "pairs": config.pairs, "train": config.train}
        provenance = make_provenance("distill", config, inputs, config.seed)
        save_trained(model, tokenizer, out, data.labels, log, config, "distill", provenance)
    last = log.frame().tail(max(1, total // 10))
    report.info(
        f"distill: {total} steps of {config.pairs_per_batch} pairs ({len(pairs)} pairs), "
        f"last-10% mean KL {last['kl'].mean():.4f}, student entropy {last['student_entropy'].mean():.3f} → {out}"
    )
    return out
