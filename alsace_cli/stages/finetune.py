"""Stage 1, finetune: fine-tune a pretrained multilingual model on labeled (normally English) data.

Batches are a seeded list of row indices fixed before the loop (so a resumed run continues at its step).
Under `accelerate launch` every process takes its shard of each batch and weights its loss so that DDP's
averaged gradient is the whole batch's (alsace_cli/distributed.py): W processes train what one would.
"""

from __future__ import annotations

from pathlib import Path

from alsace_cli import report
from alsace_cli.artifacts import load_dataset
from alsace_cli.batching import shuffled_batches
from alsace_cli.checkpoints import Checkpointer, check_loss, checkpoint_dir, interruptible
from alsace_cli.configs import FinetuneConfig
from alsace_cli.errors import AlsaceError
from alsace_cli.inference import with_resolved_precision
from alsace_cli.models import load_model, seed_everything
from alsace_cli.outputs import Output, check_outputs, model_output
from alsace_cli.provenance import make_provenance
from alsace_cli.tasks import get_task
from alsace_cli.training import (
    TrainLog,
    freeze_word_embeddings,
    make_accelerator,
    make_optimizer,
    save_trained,
    start_tracking,
    steps_for,
    track,
)


def check_training_outputs(out: str, inputs: dict, overwrite: bool, resume: bool | str) -> None:
    """The model directory and its checkpoint may be written (a checkpoint is kept only for --resume)."""
    checkpoint = Output("the checkpoint beside --out", checkpoint_dir(out), "checkpoint")
    check_outputs([model_output("--out", out)], inputs, overwrite)
    if resume is False and checkpoint.path.exists() and not overwrite:
        raise AlsaceError(
            f"{checkpoint.path}: an interrupted run's checkpoint; pass --resume to continue it or --overwrite"
        )
    if resume is not True:
        check_outputs([checkpoint], inputs, overwrite=True)


def finetune(config: FinetuneConfig, overwrite: bool = False, resume: bool | str = False) -> Path:
    """Train; `resume` True continues from the checkpoint, "auto" does so if it matches this job."""
    from alsace_cli.distributed import processes

    config = with_resolved_precision(config)
    inputs = {"--model": config.model, "--train": config.train, "--dev": config.dev}
    check_training_outputs(config.out, inputs, overwrite, resume)
    seed_everything(config.seed)
    train = load_dataset(config.train, require_labels=True)
    dev = load_dataset(config.dev, require_labels=True) if config.dev else None
    if dev is not None and (dev.labels != train.labels or dev.task != train.task):
        raise AlsaceError(
            f"{config.dev}: labels or task differ from {config.train} ({dev.labels} vs {train.labels})"
        )
    task = get_task(train.task)
    accelerator = make_accelerator(config.device, config.precision, config.report_to, f"{config.out}.logs")
    procs = processes(config.device)
    report.set_main_process(procs.main)
    start_tracking(accelerator, "finetune", config)
    model, tokenizer = load_model(
        config.model, train.task, train.labels, new_head=True, max_length=config.max_length
    )
    if config.freeze_embeddings:
        freeze_word_embeddings(model)
    frame = train.frame.reset_index(drop=True)
    # One feature per row for classification; for QA, one per window of a long context.
    features = task.training_features(tokenizer, frame, config)
    total = steps_for(len(features), config.batch_size, config.epochs, config.max_steps)
    steps_per_epoch = max(1, len(features) // config.batch_size)
    optimizer, scheduler = make_optimizer(
        model, config.learning_rate, config.weight_decay, config.warmup_ratio, total
    )
    lengths = features.lengths if config.group_by_length else None
    batches = shuffled_batches(len(features), config.batch_size, total, config.seed, lengths)
    model, optimizer, scheduler = accelerator.prepare(model, optimizer, scheduler)
    checkpoints = Checkpointer(accelerator, config.out, "finetune", config,
                               {"model": config.model, "train": config.train, "dev": config.dev})  # fmt: skip
    log, best_acc, best_state, start = TrainLog(), -1.0, None, 0
    if resume is True or (resume == "auto" and checkpoints.matches()):
        start, log.rows, state = checkpoints.load()
        best_acc, best_state = state["best_acc"], state["best_state"]
        report.info(f"finetune: resumed at step {start} of {total} from {report.esc(checkpoints.dir)}")
    model.train()
    with interruptible() as stop, report.progress("finetune", total) as advance:
        advance(start)
        for step, index in enumerate(batches[start:], start=start + 1):
            mine, weight = procs.training_shard(index)
            batch = features.collate(mine).to(accelerator.device)
            loss = model(**batch).loss
            check_loss(loss, step, index, "finetune", checkpoints.dir)
            accelerator.backward(loss * weight)
            # The whole batch's mean loss, for the log: the shards' means weighted by their sizes.
            loss = accelerator.reduce(loss.detach() * weight / procs.world, reduction="sum")
            accelerator.clip_grad_norm_(model.parameters(), config.max_grad_norm)
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad()
            row = {"step": step, "epoch": step / steps_per_epoch, "loss": loss.item(),
                   "lr": scheduler.get_last_lr()[0]}  # fmt: skip
            if dev is not None and (step % steps_per_epoch == 0 or step == total):
                row[task.dev_metric] = task.dev_score(
                    model, tokenizer, dev, max_length=config.max_length, batch_size=config.eval_batch_size,
                    device=accelerator.device, precision=config.precision, doc_stride=config.doc_stride,
                )  # fmt: skip
                model.train()
                if row[task.dev_metric] > best_acc:
                    best_acc = row[task.dev_metric]
                    unwrapped = accelerator.unwrap_model(model)
                    best_state = {k: v.detach().cpu().clone() for k, v in unwrapped.state_dict().items()}
            log.add(**row)
            track(accelerator, row)
            advance(status=f"loss {row['loss']:.4f}")
            checkpoints.after_step(
                step, total, stop, log.rows, {"best_acc": best_acc, "best_state": best_state}
            )
    model = accelerator.unwrap_model(model)
    if best_state is not None:
        model.load_state_dict(best_state)
    out = Path(config.out)
    if accelerator.is_main_process:
        provenance = make_provenance(
            "finetune", config, {"model": config.model, "train": config.train, "dev": config.dev}, config.seed
        )
        save_trained(model, tokenizer, out, train.labels, log, config, "finetune", provenance)
    checkpoints.remove()
    accelerator.end_training()
    final = log.rows[-1]["loss"]
    dev_note = f", best {task.dev_metric.replace('_', ' ')} {best_acc:.4f}" if dev is not None else ""
    report.info(
        f"finetune: {total} steps on {len(frame)} rows ({len(features)} features), final loss {final:.4f}{dev_note} → {report.esc(out)}"
    )
    return out
