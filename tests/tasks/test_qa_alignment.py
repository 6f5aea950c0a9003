"""Windows of two questions over one context: the same context tokens at known positions on both sides."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from alsace_cli.errors import AlsaceError
from alsace_cli.tasks.qa_alignment import aligned_windows, collate_aligned

CONTEXT = " ".join(
    f"Town number {i} lies on the river Ossa and was founded in {1200 + i}." for i in range(12)
)
SHORT, LONG = "Who?", "Which town lies on the river Ossa and when was it founded by whom exactly?"


@pytest.fixture(scope="module")
def tokenizer(tmp_path_factory: pytest.TempPathFactory):
    from alsace_cli.stages.tiny_model import build_tiny_model
    from alsace_cli.tasks.models import load_tokenizer

    out = tmp_path_factory.mktemp("qa-align") / "m"
    build_tiny_model(out, [CONTEXT, SHORT, LONG], seed=0)
    return load_tokenizer(str(out))


def _frame(questions: list[str], contexts: list[str] | None = None) -> pd.DataFrame:
    contexts = contexts or [CONTEXT] * len(questions)
    return pd.DataFrame(
        {
            "id": ["q"] * len(questions),
            "lang": ["en"] * len(questions),
            "question_lang": [f"l{i}" for i in range(len(questions))],
            "question": questions,
            "context": contexts,
        }
    )


def test_both_sides_hold_the_same_context_tokens_in_every_window(tokenizer) -> None:
    context_ids = tokenizer(CONTEXT, add_special_tokens=False)["input_ids"]
    long_ids = tokenizer(LONG, add_special_tokens=False)["input_ids"]
    short_ids = tokenizer(SHORT, add_special_tokens=False)["input_ids"]
    windows = aligned_windows(tokenizer, _frame([LONG, SHORT]), np.array([0]), np.array([1]), 64, 8)
    room = 64 - len(long_ids) - 3  # BERT: [CLS] q [SEP] c [SEP]; the longer question sets the room
    expected = -(-(len(context_ids) - 8) // (room - 8))  # windows of `room` tokens overlapping by 8
    assert len(windows) == expected > 2
    covered = []
    for i in range(len(windows)):
        w = windows.width[i]
        teacher = windows.teacher[i]["input_ids"][windows.teacher_first[i] : windows.teacher_first[i] + w]
        student = windows.student[i]["input_ids"][windows.student_first[i] : windows.student_first[i] + w]
        assert teacher == student  # the same tokens, at positions shifted by the question length
        assert windows.teacher_first[i] - windows.student_first[i] == len(long_ids) - len(short_ids)
        assert len(windows.teacher[i]["input_ids"]) <= 64 and len(windows.student[i]["input_ids"]) <= 64
        covered.append(teacher)
    # Consecutive windows overlap by the stride, and together they are the whole context.
    assert all(a[-8:] == b[:8] for a, b in zip(covered, covered[1:], strict=False))
    assert covered[0] + [t for c in covered[1:] for t in c[8:]] == context_ids


def test_collate_gathers_the_aligned_positions_and_masks_the_padding(tokenizer) -> None:
    windows = aligned_windows(tokenizer, _frame([LONG, SHORT]), np.array([0]), np.array([1]), 64, 8)
    last = len(windows) - 1  # the last window is the narrowest
    teacher, student, t_pos, s_pos, mask = collate_aligned(tokenizer, windows, [0, last])
    assert mask[1].sum() == windows.width[last] < mask.shape[1] == windows.width[0]
    for row in (0, 1):
        w = int(mask[row].sum())
        assert (
            teacher["input_ids"][row, t_pos[row, :w]].tolist()
            == student["input_ids"][row, s_pos[row, :w]].tolist()
        )


def test_rows_over_different_contexts_are_refused(tokenizer) -> None:
    frame = _frame([LONG, SHORT], [CONTEXT, "Another text about Ossa."])
    with pytest.raises(AlsaceError, match="do not hold the same context"):
        aligned_windows(tokenizer, frame, np.array([0]), np.array([1]), 64, 8)
    with pytest.raises(AlsaceError, match="not more than the doc stride"):
        aligned_windows(tokenizer, _frame([LONG, SHORT]), np.array([0]), np.array([1]), 24, 8)
