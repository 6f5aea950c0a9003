"""Interrupt, checkpoint and resume for finetune and distill.

A checkpoint is a directory beside the output, `<out>.checkpoint/`, written atomically:
- accelerate's `save_state`: model, optimizer, scheduler and every RNG state (Python, NumPy, torch);
- `alsace_state.pt`: what the loop itself carries (the best-so-far of the dev check or collapse guard);
- `alsace_checkpoint.json`: the step reached, the training log so far, and the job's fingerprint (its
  resolved settings and the sha256 of every input), so a checkpoint is never resumed into another job.
The data position is the step: batches are a seeded list fixed before the loop, so step k resumes at
batch k (accelerate's `skip_first_batches` for a prepared DataLoader).

SIGINT or SIGTERM sets a flag; at the end of the step in progress the loop saves a checkpoint and stops
with a line saying how to resume. `--save-every N` keeps a rolling checkpoint too. A finished run removes
its checkpoint.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from alsace_cli.configs import to_toml_dict
from alsace_cli.errors import AlsaceError
from alsace_cli.io.atomic import atomic_dir
from alsace_cli.io.outputs import Output, check_outputs, model_output
from alsace_cli.io.provenance import command_line, hash_path

# Settings that change how a run is checkpointed or trusted, not what it computes.
NOT_FINGERPRINTED = {"save_every", "force", "allow_other_corpus", "device", "eval_batch_size", "report_to"}


class TrainingInterrupted(AlsaceError):
    exit_code = 130


class NonFiniteLoss(AlsaceError):
    exit_code = 3


class StopFlag:
    def __init__(self) -> None:
        self.signal: str | None = None


@contextlib.contextmanager
def interruptible() -> Iterator[StopFlag]:
    """SIGINT and SIGTERM set a flag instead of killing the loop, for as long as the block runs."""
    flag = StopFlag()

    def handler(signum: int, _frame: Any) -> None:
        if flag.signal is not None:  # a second Ctrl-C: stop now, without a checkpoint
            raise KeyboardInterrupt
        flag.signal = signal.Signals(signum).name

    previous = {}
    try:
        for signum in (signal.SIGINT, signal.SIGTERM):
            previous[signum] = signal.signal(signum, handler)
    except ValueError:  # not the main thread: signals cannot be caught here, run without the flag
        pass
    try:
        yield flag
    finally:
        for signum, old in previous.items():
            signal.signal(signum, old)


def fingerprint(config: Any, inputs: dict[str, str | None]) -> dict[str, Any]:
    settings = {k: v for k, v in to_toml_dict(config).items() if k not in NOT_FINGERPRINTED}
    return {"settings": settings, "inputs": {k: hash_path(v) for k, v in inputs.items() if v}}


def checkpoint_dir(out: str | Path) -> Path:
    return Path(f"{out}.checkpoint")


class Checkpointer:
    def __init__(
        self, accelerator: Any, out: str | Path, stage: str, config: Any, inputs: dict[str, str | None]
    ):
        self.accelerator, self.stage = accelerator, stage
        self.dir = checkpoint_dir(out)
        self.fingerprint = fingerprint(config, inputs)
        self.save_every = int(getattr(config, "save_every", 0) or 0)

    def matches(self) -> bool:
        try:
            saved = json.loads((self.dir / "alsace_checkpoint.json").read_text())
        except (OSError, ValueError):
            return False
        return saved.get("fingerprint") == json.loads(json.dumps(self.fingerprint, default=str))

    def save(self, step: int, log_rows: list[dict], state: dict[str, Any]) -> None:
        import torch

        self.accelerator.wait_for_everyone()
        if not self.accelerator.is_main_process:
            return
        with atomic_dir(self.dir) as tmp:
            self.accelerator.save_state(str(tmp))
            torch.save(state, tmp / "alsace_state.pt")
            meta = {"stage": self.stage, "step": step, "fingerprint": self.fingerprint, "log": log_rows}
            (tmp / "alsace_checkpoint.json").write_text(json.dumps(meta, default=str))

    def load(self) -> tuple[int, list[dict], dict[str, Any]]:
        """Restore model, optimizer, scheduler and RNG states; return (step, log rows, loop state)."""
        import torch

        where = f"--resume: {self.dir}"
        if not (self.dir / "alsace_checkpoint.json").is_file():
            raise AlsaceError(
                f"{where}: no checkpoint to resume from (it is written when a run is interrupted)"
            )
        saved = json.loads((self.dir / "alsace_checkpoint.json").read_text())
        expected = json.loads(json.dumps(self.fingerprint, default=str))
        for part in ("settings", "inputs"):
            old, new = saved["fingerprint"].get(part, {}), expected[part]
            changed = sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))
            if changed:
                what = "setting" if part == "settings" else "input"
                raise AlsaceError(
                    f"{where}: was made by a run with another {what} {changed[0]!r} "
                    f"({old.get(changed[0])!r} then, {new.get(changed[0])!r} now); resume with the same "
                    "settings and inputs, or pass --overwrite to start over"
                )
        self.accelerator.load_state(str(self.dir))
        state = torch.load(self.dir / "alsace_state.pt", weights_only=False)
        return int(saved["step"]), list(saved["log"]), state

    def after_step(
        self,
        step: int,
        total: int,
        flag: StopFlag,
        log_rows: list[dict],
        state: dict,
        resumes_by_itself: bool = False,
    ) -> None:
        """Checkpoint and stop if a signal came; keep the rolling checkpoint every --save-every steps.
        `resumes_by_itself`: the command (`alsace run`) resumes a checkpoint that matches, so the hint is the
        same command; otherwise it is the command with --resume."""
        if flag.signal is not None:
            self.save(step, log_rows, state)
            command = command_line() + ("" if resumes_by_itself else " --resume")
            raise TrainingInterrupted(
                f"{self.stage}: {flag.signal} at step {step} of {total}; checkpoint saved in {self.dir}; "
                f"resume with: {command}"
            )
        if self.save_every and step % self.save_every == 0 and step < total:
            self.save(step, log_rows, state)

    def remove(self) -> None:
        if self.accelerator.is_main_process and (self.dir / "alsace_checkpoint.json").is_file():
            shutil.rmtree(self.dir, ignore_errors=True)


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


def check_loss(loss: Any, step: int, index: Any, stage: str, checkpoint: Path) -> None:
    """Stop on a NaN or infinite loss, naming the step and the batch; the last checkpoint stays as it is."""
    import math

    value = float(loss.detach())
    if math.isfinite(value):
        return
    rows = [int(i) for i in list(index)[:8]]
    kept = (
        f"; the last good checkpoint is {checkpoint}"
        if (checkpoint / "alsace_checkpoint.json").is_file()
        else ""
    )
    raise NonFiniteLoss(
        f"{stage}: the loss is {value} at step {step} (batch rows {rows}{'...' if len(index) > 8 else ''}); "
        f"stopped, nothing written{kept}. Lower --lr, or use fp32 (--precision)"
    )
