"""Batched inference shared by predict, eval and the training checks.

`task` is any task object (alsace_cli/tasks): these functions only call its `encode` and read its
`text_columns`, so this module sits below the task layer."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from alsace_cli.runtime.devices import autocast

if TYPE_CHECKING:
    import torch
    from transformers import PreTrainedModel, PreTrainedTokenizerBase


def text_lengths(frame: pd.DataFrame, task: Any) -> np.ndarray:
    """Characters per row over the task's text columns: a tokenizer-free proxy for its token count."""
    return np.asarray(sum(frame[column].astype(str).str.len().to_numpy() for column in task.text_columns))


def length_order(frame: pd.DataFrame, task: Any) -> np.ndarray:
    """Row order by text length, longest first, so each batch pads to similar lengths (and OOM shows early)."""
    return np.argsort(-text_lengths(frame, task), kind="stable")


def predict_probs(
    model: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    task: Any,
    frame: pd.DataFrame,
    *,
    max_length: int,
    batch_size: int,
    device: torch.device,
    precision: str = "fp32",
    on_batch: Callable[[int], None] | None = None,
    encoded: dict[int, Any] | None = None,
) -> np.ndarray:
    """P(y | x) for every row of `frame`, as float32 of shape (rows, labels), in the frame's row order.
    `encoded`: a dict kept by the caller across calls on the same frame (the guard's dev set), which holds
    each tokenized batch after the first call, so later calls skip the tokenizer."""
    import torch

    model.eval()
    order = length_order(frame, task)
    out: np.ndarray | None = None
    with torch.inference_mode():
        for start in range(0, len(order), batch_size):
            index = order[start : start + batch_size]
            batch = encoded.get(start) if encoded is not None else None
            if batch is None:
                batch = task.encode(tokenizer, frame.iloc[index], max_length)
                if encoded is not None:
                    encoded[start] = batch
            batch = batch.to(device)
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
