"""The QA task's encoding and decoding on hand-made inputs: answer positions, windows, span rules."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from alsace_cli.tasks import get_task
from alsace_cli.tasks.qa import span_scores

CONTEXT = (
    "Arlen is a small town on the river Ossa. It was founded in 1201 by Anna Berg. Today about "
    "1200 people live there, and its best-known building is the old mill."
)


@pytest.fixture(scope="module")
def tokenizer(tmp_path_factory: pytest.TempPathFactory):
    from alsace_cli.stages.tiny_model import build_tiny_model
    from alsace_cli.tasks.models import load_tokenizer

    out = tmp_path_factory.mktemp("qa-tok") / "m"
    build_tiny_model(out, [CONTEXT, "Who founded Arlen? When was Arlen founded?"], seed=0)
    return load_tokenizer(str(out))


def _rows(question: str, answer: str) -> pd.DataFrame:
    start = CONTEXT.index(answer)
    return pd.DataFrame(
        {
            "id": ["q"],
            "lang": ["en"],
            "question_lang": ["en"],
            "question": [question],
            "context": [CONTEXT],
            "answers": [[{"text": answer, "answer_start": start}]],
        }
    )


def _decoded(tokenizer, features, i: int) -> str:
    batch = features.collate([i])
    ids = batch["input_ids"][0].tolist()
    start, end = int(batch["start_positions"][0]), int(batch["end_positions"][0])
    return tokenizer.decode(ids[start : end + 1])


def test_answer_positions_point_at_the_answer_tokens(tokenizer) -> None:
    task = get_task("qa")
    features = task.training_features(
        tokenizer, _rows("Who founded Arlen?", "Anna Berg"), SimpleNamespace(max_length=128, doc_stride=None)
    )
    assert len(features) == 1
    assert _decoded(tokenizer, features, 0) == "anna berg"  # the tiny tokenizer lower-cases


def test_long_context_is_split_into_windows_and_a_window_without_the_answer_points_at_cls(tokenizer) -> None:
    task = get_task("qa")
    rows = _rows("When was Arlen founded?", "old mill")
    features = task.training_features(tokenizer, rows, SimpleNamespace(max_length=24, doc_stride=6))
    assert len(features) > 2
    decoded = [_decoded(tokenizer, features, i) for i in range(len(features))]
    assert "old mill" in decoded  # the window holding the whole answer points at it
    cls = [i for i in range(len(features)) if int(features.collate([i])["start_positions"][0]) == 0]
    assert cls and all(decoded[i] == "[CLS]" for i in cls)  # the others at [CLS]
    assert len(cls) + decoded.count("old mill") == len(features)


def test_span_scores_stay_in_the_context_end_after_start_within_the_length() -> None:
    # tokens: [CLS] q q [SEP] c c c c [SEP] [PAD]
    sequence = [None, 0, 0, None, 1, 1, 1, 1, None, None]
    ids = [2, 7, 7, 3, 9, 9, 9, 9, 3, 0]
    start = np.array(
        [9.0, 9.0, 9.0, 0.0, 1.0, 5.0, 0.0, 0.0, 9.0, 9.0]
    )  # question/special/pad logits are high
    end = np.array([9.0, 9.0, 9.0, 0.0, 4.0, 0.0, 0.0, 3.0, 9.0, 9.0])
    spans = dict(span_scores(start, end, sequence, ids, cls_id=2, n_best=4, longest=3))
    assert spans and all(4 <= a <= b <= 7 and b - a + 1 <= 3 for a, b in spans)
    best = max(spans, key=spans.get)
    assert best == (5, 7)  # start 5 (logit 5) with end 7 (logit 3); end 4 comes before start 5
    # P(start) and P(end) are a softmax over the context and [CLS]; [CLS] then weighs 0.
    allowed = np.array([0, 4, 5, 6, 7])
    p_start = np.exp(start[allowed]) / np.exp(start[allowed]).sum()
    p_end = np.exp(end[allowed]) / np.exp(end[allowed]).sum()
    assert spans[(5, 7)] == pytest.approx(p_start[2] * p_end[4])


def test_predictions_are_spans_of_the_context_with_ranked_candidates(tmp_path: Path, tokenizer) -> None:
    from transformers import AutoModelForQuestionAnswering, BertConfig

    task = get_task("qa")
    config = BertConfig(
        vocab_size=len(tokenizer),
        hidden_size=32,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=128,
    )
    model = AutoModelForQuestionAnswering.from_config(config)
    rows = pd.concat([_rows("Who founded Arlen?", "Anna Berg"), _rows("When?", "1201").assign(id="q2")])
    settings = SimpleNamespace(
        max_length=32, doc_stride=8, batch_size=4, precision="fp32", n_best=10, top_k=3, max_answer_length=5
    )
    import torch

    out = task.predict_chunk(model, tokenizer, rows.reset_index(drop=True), settings, torch.device("cpu"))
    assert list(out["id"]) == ["q", "q2"]
    for answer, start, score, candidates in zip(
        out["answer"], out["answer_start"], out["score"], out["candidates"], strict=True
    ):
        assert answer and CONTEXT[start : start + len(answer)] == answer
        assert 0 < score <= 1 and len(candidates) == 3
        assert [c["score"] for c in candidates] == sorted((c["score"] for c in candidates), reverse=True)
        assert candidates[0]["text"] == answer


def test_merge_windows_sum_adds_one_texts_scores_across_windows(tokenizer) -> None:
    import torch
    from transformers import AutoModelForQuestionAnswering, BertConfig

    task = get_task("qa")
    config = BertConfig(
        vocab_size=len(tokenizer),
        hidden_size=32,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=128,
    )
    torch.manual_seed(0)
    model = AutoModelForQuestionAnswering.from_config(config)
    rows = _rows("Who founded Arlen?", "Anna Berg")
    common = {
        "max_length": 24,
        "doc_stride": 8,
        "batch_size": 4,
        "precision": "fp32",
        "n_best": 10,
        "max_answer_length": 4,
    }
    windows = len(task._windows(tokenizer, rows, SimpleNamespace(**common))["input_ids"])
    assert windows > 2
    best = task.predict_chunk(
        model, tokenizer, rows, SimpleNamespace(**common, top_k=1, merge_windows="max"), torch.device("cpu")
    )
    summed = task.predict_chunk(
        model, tokenizer, rows, SimpleNamespace(**common, top_k=1, merge_windows="sum"), torch.device("cpu")
    )
    # max's winner is the top span of its own window, so under sum its text scores at least as much, and
    # sum's winner scores at least that
    assert summed["score"].iloc[0] >= best["score"].iloc[0] - 1e-9
    assert CONTEXT[summed["answer_start"].iloc[0] :].startswith(summed["answer"].iloc[0])
    assert 0 < summed["score"].iloc[0] <= windows
