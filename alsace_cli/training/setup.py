"""What the trainer sets up: the accelerator, trackers, optimizer and schedule, the step count, the log,
and saving a trained model with everything beside it."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from alsace_cli.configs import to_toml_dict
from alsace_cli.errors import AlsaceError
from alsace_cli.io.artifacts import write_artifact
from alsace_cli.io.atomic import atomic_dir
from alsace_cli.io.model_card import write_model_card
from alsace_cli.io.outputs import save_config
from alsace_cli.runtime.devices import check_device
from alsace_cli.tasks.models import save_model

if TYPE_CHECKING:
    import torch
    from accelerate import Accelerator
    from transformers import PreTrainedModel


TRACKER_PACKAGES = {"tensorboard": ("tensorboard", "tensorboardX"), "wandb": ("wandb",)}


def make_accelerator(
    device: str, precision: str, report_to: str = "none", logs: str | None = None
) -> Accelerator:
    """An Accelerator, so the same loop runs on a CPU, one GPU, or many under `accelerate launch`.

    fp16 gets accelerate's dynamic loss scaling (a GradScaler) with `accelerator.backward`. With
    `report_to`, accelerate's tracker of that name also receives the training log (in `logs`).
    """
    import importlib.util

    from accelerate import Accelerator

    if precision not in ("fp32", "bf16", "fp16"):
        raise AlsaceError(f"--precision: unknown precision {precision!r} (use fp32, bf16 or fp16)")
    check_device(device)
    if device.startswith("cuda:"):
        import torch

        torch.cuda.set_device(int(device.partition(":")[2]))  # accelerate runs on the current CUDA device
    from accelerate.state import AcceleratorState
    from accelerate.utils import DataLoaderConfiguration

    mixed = "no" if precision == "fp32" else precision
    if AcceleratorState._shared_state.get("_mixed_precision", mixed) != mixed:
        # accelerate keeps one state per process and refuses another precision; a stage called after one that
        # trained at another precision (a benchmark, a notebook) starts a fresh state. The process group stays.
        AcceleratorState._reset_state()
    # Each step's batch is split across the processes (alsace_cli/runtime/distributed.py), so the schedule steps once
    # per optimizer step; accelerate's default steps it once per process, as if each process had its own batch.
    split = {"dataloader_config": DataLoaderConfiguration(split_batches=True)}
    if report_to == "none":
        return Accelerator(cpu=device == "cpu", mixed_precision=mixed, **split)
    packages = TRACKER_PACKAGES.get(report_to)
    if packages is None:
        raise AlsaceError(f"--report-to: unknown tracker {report_to!r} (use none, tensorboard or wandb)")
    if not any(importlib.util.find_spec(name) for name in packages):
        raise AlsaceError(
            f"--report-to {report_to}: the {packages[0]} package is not installed (pip install {packages[0]})"
        )
    return Accelerator(
        cpu=device == "cpu", mixed_precision=mixed, log_with=report_to, project_dir=logs, **split
    )


def start_tracking(accelerator: Accelerator, stage: str, config: Any) -> None:
    """Open accelerate's trackers (if --report-to asked for any) with the run's settings."""
    if accelerator.log_with:
        settings = {k: v for k, v in to_toml_dict(config).items() if isinstance(v, (int, float, str, bool))}
        accelerator.init_trackers(stage, config=settings)


def track(accelerator: Accelerator, row: dict[str, Any]) -> None:
    """One training-log row to the trackers; finite numbers only, at its step."""
    if accelerator.log_with:
        values = {
            k: v for k, v in row.items() if isinstance(v, (int, float)) and math.isfinite(v) and k != "step"
        }
        accelerator.log(values, step=int(row["step"]))


def make_optimizer(
    model: PreTrainedModel, learning_rate: float, weight_decay: float, warmup_ratio: float, total_steps: int
) -> tuple[torch.optim.Optimizer, Any]:
    """AdamW with no decay on biases and norms, and linear warmup then linear decay to 0.

    The fused AdamW kernel: on a CPU torch's default is a per-tensor loop, slow on a multilingual model's
    large embedding matrix, which is updated every step (docs/speed.md). torch has fused AdamW for CPU
    (since 2.4), CUDA, MPS and XPU.
    """
    import torch
    from transformers import get_linear_schedule_with_warmup

    decay, no_decay = [], []
    for name, param in model.named_parameters():
        if not param.requires_grad:
            continue
        (no_decay if param.ndim < 2 or "norm" in name.lower() else decay).append(param)
    groups = [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}]
    optimizer = torch.optim.AdamW(groups, lr=learning_rate, fused=True)
    warmup = int(math.ceil(warmup_ratio * total_steps))
    return optimizer, get_linear_schedule_with_warmup(optimizer, warmup, total_steps)


def freeze_word_embeddings(model: PreTrainedModel) -> None:
    """Keep the (shared, multilingual) word embeddings fixed: English-only tuning then moves other languages less."""
    model.get_input_embeddings().weight.requires_grad_(False)


def steps_for(n_items: int, batch_size: int, epochs: float, max_steps: int | None) -> int:
    if max_steps is not None:
        if max_steps < 1:
            raise AlsaceError("--max-steps must be at least 1")
        return max_steps
    if epochs <= 0:
        raise AlsaceError("--epochs must be positive")
    return max(1, math.ceil(epochs * n_items / batch_size))


@dataclass
class TrainLog:
    """Rows of the training log; each row is one optimizer step (plus dev checks where they happen)."""

    rows: list[dict[str, Any]] = field(default_factory=list)

    def add(self, **values: Any) -> None:
        self.rows.append(values)

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows)


def save_trained(
    model: PreTrainedModel,
    tokenizer: Any,
    out: Path,
    labels: list[str],
    log: TrainLog,
    config: Any,
    section: str,
    provenance: dict[str, Any],
    task: Any = None,
    languages: list[str] | None = None,
    dev_rows: pd.DataFrame | None = None,
) -> Path:
    """Model, tokenizer, label names, training log, resolved config, provenance and the model card, in one
    atomic directory; `dev_rows`: the guard's dev rows scored at step 0 and at the kept step."""
    with atomic_dir(out) as tmp:
        save_model(model, tokenizer, tmp, labels, provenance)
        write_artifact(log.frame(), tmp / "train_log.parquet", "train_log", {"provenance": provenance})
        if dev_rows is not None:
            write_artifact(dev_rows, tmp / "guard_dev.parquet", "guard_dev", {"provenance": provenance})
        save_config(config, section, tmp / "alsace_config.toml")
        if task is not None:
            write_model_card(tmp, provenance, task, languages or [], out.name)
    return out
