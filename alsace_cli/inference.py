"""Batched inference shared by predict, eval and finetune's dev check."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from alsace_cli.configs import PRECISIONS
from alsace_cli.errors import AlsaceError
from alsace_cli.tasks import Task

if TYPE_CHECKING:
    import torch
    from transformers import PreTrainedModel, PreTrainedTokenizerBase


def resolve_precision(precision: str, device: str) -> str:
    """The precision a stage runs at, resolved once so the saved config says what ran.

    `auto` is bf16 autocast on a CUDA GPU that computes bf16, fp32 elsewhere: on this project's CPU, bf16
    autocast predicted 1.8x faster than fp32 with the same XNLI accuracy (BENCHMARKS.md, issue 16), but
    not every CPU has bf16 instructions, so a CPU user asks for it. fp16 on a CPU is refused: its matmul
    ran 440x slower than fp32 there.
    """
    from alsace_cli.models import pick_device

    if precision not in PRECISIONS:
        raise AlsaceError(f"--precision: unknown precision {precision!r} (use {', '.join(PRECISIONS)})")
    kind = pick_device(device).type
    if precision == "auto":
        return auto_precision(kind)
    if precision == "fp16" and kind == "cpu":
        raise AlsaceError(
            "--precision fp16: a CPU has no fast fp16 matmul (measured 440x slower than fp32); "
            "use --precision bf16 (CPUs with AVX512-BF16 or AMX) or fp32"
        )
    return precision


def auto_precision(device_type: str) -> str:
    import torch

    return "bf16" if device_type == "cuda" and torch.cuda.is_bf16_supported() else "fp32"


def with_resolved_precision(config: Any) -> Any:
    """`config` with `precision` resolved for its `device` (resolve_precision)."""
    import dataclasses

    return dataclasses.replace(config, precision=resolve_precision(config.precision, config.device))


def autocast(device: torch.device, precision: str) -> contextlib.AbstractContextManager:
    import torch

    if precision == "auto":  # a library caller's config that no stage resolved
        precision = auto_precision(device.type)
    if precision == "fp32":
        return contextlib.nullcontext()
    dtype = torch.bfloat16 if precision == "bf16" else torch.float16
    return torch.autocast(device_type=device.type, dtype=dtype)


def text_lengths(frame: pd.DataFrame, task: Task) -> np.ndarray:
    """Characters per row over the task's text columns: a tokenizer-free proxy for its token count."""
    return np.asarray(sum(frame[column].astype(str).str.len().to_numpy() for column in task.text_columns))


def length_order(frame: pd.DataFrame, task: Task) -> np.ndarray:
    """Row order by text length, longest first, so each batch pads to similar lengths (and OOM shows early)."""
    return np.argsort(-text_lengths(frame, task), kind="stable")


def predict_probs(
    model: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    task: Task,
    frame: pd.DataFrame,
    *,
    max_length: int,
    batch_size: int,
    device: torch.device,
    precision: str = "fp32",
    on_batch: Callable[[int], None] | None = None,
) -> np.ndarray:
    """P(y | x) for every row of `frame`, as float32 of shape (rows, labels), in the frame's row order."""
    import torch

    model.eval()
    order = length_order(frame, task)
    out: np.ndarray | None = None
    with torch.inference_mode():
        for start in range(0, len(order), batch_size):
            index = order[start : start + batch_size]
            batch = task.encode(tokenizer, frame.iloc[index], max_length).to(device)
            with autocast(device, precision):
                logits = model(**batch).logits
            if out is None:  # the width is the number of labels, or of choices for multiple choice
                out = np.empty((len(frame), logits.shape[-1]), dtype=np.float32)
            out[index] = torch.softmax(logits.float(), dim=-1).cpu().numpy()
            if on_batch is not None:
                on_batch(len(index))
    return out if out is not None else np.empty((0, model.config.num_labels), dtype=np.float32)


def predictions_frame(ids: pd.Series, langs: pd.Series, probs: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "id": ids.to_numpy(),
            "lang": langs.to_numpy(),
            "probs": list(probs),
            "pred": probs.argmax(axis=1).astype("int64"),
            "confidence": probs.max(axis=1).astype("float64"),
        }
    )
