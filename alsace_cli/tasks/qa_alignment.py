"""Windows of two questions over one context, cut so both sides hold the very same context tokens.

`make-pairs --question-language-pairs` pairs a question in a teacher language with the same question in
another language, over the same context. Their start and end distributions are over the same thing, the
context's tokens, but not at the same positions: the question comes first, so its length shifts every
context position, and run_qa-style windows (`tasks/qa.py`) would cut the context at different tokens on the
two sides. Here the context is cut once per pair: each window takes `room` context tokens, room being what
the longer of the two questions leaves in `--max-length`, consecutive windows overlapping by
`--doc-stride` tokens. Both sides' inputs are then [question's prefix] + the same context slice + [suffix],
built from each row's own full encoding (so the special tokens and token type ids are the tokenizer's), and
context token j of the window sits at `first + j` on each side. The context's tokens are the same on both
sides because a fast tokenizer pre-tokenizes the two sequences of a pair independently (checked per pair).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from alsace_cli.errors import AlsaceError

FIELDS = ("input_ids", "token_type_ids")


@dataclass
class AlignedWindows:
    """One entry per window pair: each side's unpadded inputs and the position of its first context token."""

    teacher: list[dict[str, list[int]]] = field(default_factory=list)
    student: list[dict[str, list[int]]] = field(default_factory=list)
    teacher_first: list[int] = field(default_factory=list)
    student_first: list[int] = field(default_factory=list)
    width: list[int] = field(default_factory=list)
    pair: list[int] = field(default_factory=list)  # the row of the pairs file each window came from

    def __len__(self) -> int:
        return len(self.width)


def _split(encoded: Any, i: int) -> tuple[dict[str, list[int]], dict[str, list[int]], dict[str, list[int]]]:
    """(prefix, context, suffix) of row i's full encoding, field by field."""
    sequence = encoded.sequence_ids(i)
    context = [t for t, s in enumerate(sequence) if s == 1]
    a, b = context[0], context[-1] + 1
    fields = {k: list(encoded[k][i]) for k in FIELDS if k in encoded}
    return (
        {k: v[:a] for k, v in fields.items()},
        {k: v[a:b] for k, v in fields.items()},
        {k: v[b:] for k, v in fields.items()},
    )


def aligned_windows(
    tokenizer: Any,
    frame: pd.DataFrame,
    teacher_rows: np.ndarray,
    student_rows: np.ndarray,
    max_length: int,
    stride: int,
) -> AlignedWindows:
    if not getattr(tokenizer, "is_fast", False):
        raise AlsaceError("extractive QA needs a fast (Rust) tokenizer: its offsets map tokens to characters")
    rows = np.unique(np.concatenate([teacher_rows, student_rows]))
    questions = [str(q).lstrip() for q in frame["question"].to_numpy()[rows]]
    contexts = [str(c) for c in frame["context"].to_numpy()[rows]]
    # The full encoding, never truncated: the windows are cut below, the same on both sides.
    encoded = tokenizer(questions, contexts, truncation=False, padding=False, verbose=False)
    parts = {int(row): _split(encoded, j) for j, row in enumerate(rows)}
    out = AlignedWindows()
    for p, (t, s) in enumerate(zip(teacher_rows.tolist(), student_rows.tolist(), strict=True)):
        (t_pre, t_ctx, t_suf), (s_pre, s_ctx, s_suf) = parts[t], parts[s]
        if t_ctx["input_ids"] != s_ctx["input_ids"] or len(t_suf["input_ids"]) != len(s_suf["input_ids"]):
            raise AlsaceError(
                f"pair row {p} (id {frame['id'].iloc[t]!r}): the two questions' rows do not hold the same context"
            )
        room = max_length - max(len(t_pre["input_ids"]), len(s_pre["input_ids"])) - len(t_suf["input_ids"])
        if room <= stride:
            raise AlsaceError(
                f"pair row {p} (id {frame['id'].iloc[t]!r}): the longer question leaves {max(room, 0)} context tokens "
                f"in --max-length {max_length}, not more than the doc stride {stride}"
            )
        n, start = len(t_ctx["input_ids"]), 0
        while True:
            end = min(start + room, n)
            for side, (pre, ctx, suf), firsts in (
                (out.teacher, parts[t], out.teacher_first),
                (out.student, parts[s], out.student_first),
            ):
                inputs = {k: pre[k] + ctx[k][start:end] + suf[k] for k in pre}
                inputs["attention_mask"] = [1] * len(inputs["input_ids"])
                side.append(inputs)
                firsts.append(len(pre["input_ids"]))
            out.width.append(end - start)
            out.pair.append(p)
            if end == n:
                break
            start = end - stride
    return out


def collate_aligned(tokenizer: Any, windows: AlignedWindows, index: Any) -> tuple[Any, Any, Any, Any, Any]:
    """Padded teacher and student batches, each side's context positions [B, W] and their mask [B, W]."""
    import torch

    tokenizer.padding_side = "right"  # positions were computed before padding
    index = [int(i) for i in index]
    teacher = tokenizer.pad([windows.teacher[i] for i in index], return_tensors="pt")
    student = tokenizer.pad([windows.student[i] for i in index], return_tensors="pt")
    width = max(windows.width[i] for i in index)
    j = torch.arange(width)
    widths = torch.tensor([windows.width[i] for i in index])
    mask = j[None, :] < widths[:, None]
    t_pos = torch.where(mask, torch.tensor([windows.teacher_first[i] for i in index])[:, None] + j, 0)
    s_pos = torch.where(mask, torch.tensor([windows.student_first[i] for i in index])[:, None] + j, 0)
    return teacher, student, t_pos, s_pos, mask
