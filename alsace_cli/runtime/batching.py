"""Training batches: the seeded order of feature indices, optionally grouped by length, and a token cache.

Grouping by length (`--group-by-length`) is transformers' `group_by_length` made seeded and resumable:
each pass is a fresh permutation, cut into mega-batches of 50 batches; within one the features are sorted
by length, so a batch pads to similar lengths; the batches of a pass are then shuffled, so the learning
rate schedule does not meet long and short inputs in a pattern, and the batch with the longest feature of
the first pass goes first, so running out of memory shows at step 1 (docs/speed.md has its effect).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

MEGA_BATCHES = 50  # batches per sorted group: transformers' LengthGroupedSampler uses the same


def batches_per_pass(n: int, batch_size: int) -> int:
    """How many batches one pass over n items gives in `shuffled_batches`: the short last batch is dropped
    unless a pass is smaller than one batch."""
    return max(1, n // batch_size)


def shuffled_batches(
    n: int, batch_size: int, total_steps: int, seed: int, lengths: np.ndarray | None = None
) -> list[np.ndarray]:
    """Index batches for `total_steps` steps: a fresh seeded permutation per pass, the last short batch dropped
    unless a pass is smaller than one batch. With `lengths`, batches are grouped by length (module doc)."""
    import torch

    generator = torch.Generator().manual_seed(seed)
    batches: list[np.ndarray] = []
    first = True
    while len(batches) < total_steps:
        perm = torch.randperm(n, generator=generator).numpy()
        usable = max(len(perm) - len(perm) % batch_size, min(len(perm), batch_size))
        perm = perm[:usable]
        if lengths is not None:
            mega = batch_size * MEGA_BATCHES
            perm = np.concatenate(
                [
                    part[np.argsort(-lengths[part], kind="stable")]
                    for part in np.split(perm, range(mega, len(perm), mega))
                ]
            )
        passed = [perm[i : i + batch_size] for i in range(0, len(perm), batch_size)]
        if lengths is not None:
            order = torch.randperm(len(passed), generator=generator).numpy()
            passed = [passed[i] for i in order]
            if first:  # the longest batch first: an out-of-memory error shows at once
                longest = max(range(len(passed)), key=lambda i: lengths[passed[i]].max())
                passed.insert(0, passed.pop(longest))
        first = False
        batches.extend(passed)
    return batches[:total_steps]


class TokenCache:
    """Rows tokenized once, unpadded, as flat int arrays; `batch(index)` pads a batch from them.

    Per step this replaces a tokenizer call with array copies: host time a GPU would otherwise wait through
    (docs/speed.md). `lengths` are the exact token counts, for grouping by length.
    """

    CHUNK = 10_000  # rows per tokenizer call: bounds the Python lists the tokenizer returns

    def __init__(self, tokenizer: Any, texts: Sequence[list[str]], max_length: int) -> None:
        self.pad_ids = {
            "input_ids": tokenizer.pad_token_id or 0,
            "attention_mask": 0,
            "token_type_ids": getattr(tokenizer, "pad_token_type_id", 0),
        }
        self.left = tokenizer.padding_side == "left"
        pieces: dict[str, list[np.ndarray]] = {}
        lengths: list[np.ndarray] = []
        rows = len(texts[0])
        for start in range(0, rows, self.CHUNK):
            encoded = tokenizer(
                *[column[start : start + self.CHUNK] for column in texts],
                truncation=True,
                max_length=max_length,
            )
            lengths.append(np.array([len(ids) for ids in encoded["input_ids"]], dtype=np.int64))
            for key in self.pad_ids:
                if key in encoded:
                    pieces.setdefault(key, []).append(
                        np.concatenate([np.asarray(v, dtype=np.int64) for v in encoded[key]])
                    )
        self.lengths = np.concatenate(lengths) if lengths else np.zeros(0, dtype=np.int64)
        self.offsets = np.concatenate([[0], np.cumsum(self.lengths)])
        self.flat = {key: np.concatenate(parts) for key, parts in pieces.items()}

    def batch(self, index: Any) -> Any:
        import torch
        from transformers import BatchEncoding

        index = np.asarray(index)
        width = int(self.lengths[index].max()) if len(index) else 0
        out = {}
        for key, flat in self.flat.items():
            array = np.full((len(index), width), self.pad_ids[key], dtype=np.int64)
            for row, i in enumerate(index):
                n = self.lengths[i]
                start = width - n if self.left else 0
                array[row, start : start + n] = flat[self.offsets[i] : self.offsets[i + 1]]
            out[key] = torch.from_numpy(array)
        return BatchEncoding(out)
