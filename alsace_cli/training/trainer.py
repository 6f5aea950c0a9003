"""The one training loop: finetune and every distillation objective run through `Trainer.fit`.

The trainer owns what does not depend on the objective: the accelerator (one CPU, one GPU, or several
processes under `accelerate launch`), the loss weighting across processes, the optimizer and schedule,
resume and checkpoints (`--save-every`, SIGINT/SIGTERM), the checks that decide which weights are kept
(finetune's best epoch, distill's guard), NaN stops, the training log and trackers, and saving the model
with its provenance. An objective (training/objective.py) supplies the items, their batches and a loss step.

Several processes: a global batch of n items is split so process r holds n_r of them; its mean loss is
scaled by n_r · W / n, so that DDP's average of the W gradients is the gradient of the mean over the whole
batch, as one process computes it (alsace_cli/runtime/distributed.py). A masked mean (`StepOutput.kept`) is
weighted by each process's share of the items kept instead.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alsace_cli.io.model_card import base_model
from alsace_cli.io.provenance import make_provenance
from alsace_cli.runtime import report
from alsace_cli.runtime.distributed import processes
from alsace_cli.training.checkpoints import Checkpointer, check_loss, interruptible
from alsace_cli.training.checks import Checks
from alsace_cli.training.objective import Objective, StepOutput
from alsace_cli.training.setup import (
    TrainLog,
    freeze_word_embeddings,
    make_accelerator,
    make_optimizer,
    save_trained,
    start_tracking,
    steps_for,
    track,
)


class Trainer:
    def __init__(self, config: Any, objective: Objective) -> None:
        self.config, self.objective = config, objective
        self.accelerator = make_accelerator(
            config.device, config.precision, config.report_to, f"{config.out}.logs"
        )
        self.procs = processes(config.device)
        report.set_main_process(self.procs.main)
        objective.check_processes(self.procs.world)
        start_tracking(self.accelerator, objective.stage, config)

    def fit(self, model: Any, tokenizer: Any, checks: Checks, resume: bool | str = False) -> Path:
        """Train `model` (loaded by the stage); `resume` True continues from the checkpoint, "auto" does so
        if it matches this job. Returns the saved model directory."""
        config, objective, accelerator = self.config, self.objective, self.accelerator
        if config.freeze_embeddings:  # the shared vocabulary stays where pre-training left it
            freeze_word_embeddings(model)
        objective.build(tokenizer)
        total = steps_for(objective.n_items, objective.batch_size, config.epochs, config.max_steps)
        optimizer, scheduler = make_optimizer(
            model, config.learning_rate, config.weight_decay, config.warmup_ratio, total
        )
        model, optimizer, scheduler = accelerator.prepare(model, optimizer, scheduler)
        objective.start(model, accelerator, total)
        checks.setup(tokenizer, accelerator, objective)
        checkpoints = Checkpointer(accelerator, config.out, objective.stage, config, objective.inputs)
        log, start = TrainLog(), 0
        if resume is True or (resume == "auto" and checkpoints.matches()):
            start, log.rows, state = checkpoints.load()
            checks.load_state_dict(state)
            objective.load_state_dict(state)
            report.info(
                f"{objective.stage}: resumed at step {start} of {total} from {report.esc(checkpoints.dir)}"
            )
        else:
            checks.begin(model, log)
        model.train()
        with interruptible() as stop, report.progress(objective.stage, total) as advance:
            advance(start)
            for step, batch in enumerate(objective.batches[start:], start=start + 1):
                row = self._step(model, optimizer, scheduler, step, batch, log, checkpoints.dir)
                stopped = checks.after_step(model, step, total, log)
                track(accelerator, row)
                advance(status=objective.status(row))
                state = {**checks.state_dict(), **objective.state_dict()}
                checkpoints.after_step(step, total, stop, log.rows, state, resumes_by_itself=resume == "auto")
                if stopped:
                    break
        return self._save(model, tokenizer, checks, log, total, checkpoints)

    def _step(self, model, optimizer, scheduler, step: int, batch, log: TrainLog, checkpoint: Path) -> dict:
        """One optimizer step on this process's share of `batch`; returns the step's row of the log."""
        objective, accelerator = self.objective, self.accelerator
        objective.before_step(step, model, accelerator)
        index, weight = self.procs.training_shard(batch)
        out: StepOutput = objective.loss_step(model, index, step)
        check_loss(out.loss, step, index, objective.stage, checkpoint)
        weight = self._weight(out, weight)
        accelerator.backward(out.loss * weight)
        logged = {name: self._whole_batch(value, weight) for name, value in out.logged.items()}
        accelerator.clip_grad_norm_(model.parameters(), self.config.max_grad_norm)
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad()
        log.add(step=step, epoch=objective.epoch(step), **logged, lr=scheduler.get_last_lr()[0], **out.extra)
        return log.rows[-1]

    def _weight(self, out: StepOutput, weight: float) -> float:
        """A masked mean's weight: this process's share of the items kept across all processes."""
        if self.procs.world == 1 or out.kept is None:
            return weight
        kept = self.accelerator.reduce(out.kept.detach(), reduction="sum").clamp(min=1)
        return float(out.kept.item() * self.procs.world / kept.item()) if weight else 0.0

    def _whole_batch(self, value: Any, weight: float) -> float:
        """The whole batch's mean of a per-process mean (the value itself on one process)."""
        if not hasattr(value, "detach"):
            return value
        if self.procs.world > 1:
            value = self.accelerator.reduce(value.detach() * weight / self.procs.world, reduction="sum")
        return value.item()

    def _save(self, model, tokenizer, checks, log: TrainLog, total: int, checkpoints: Checkpointer) -> Path:
        config, objective, accelerator = self.config, self.objective, self.accelerator
        model = accelerator.unwrap_model(model)
        checks.restore(model, total)
        out = Path(config.out)
        if accelerator.is_main_process:
            provenance = make_provenance(objective.stage, config, objective.inputs, config.seed)
            provenance["base_model"] = base_model(config.model)
            if checks.decision is not None:
                provenance["guard"] = checks.decision
            save_trained(
                model,
                tokenizer,
                out,
                objective.labels,
                log,
                config,
                objective.stage,
                provenance,
                objective.task,
                objective.languages,
                checks.dev_rows(),
            )
        checkpoints.remove()
        accelerator.end_training()
        report.info(f"{objective.summary(log, total)}{checks.note()} → {report.esc(out)}")
        return out
