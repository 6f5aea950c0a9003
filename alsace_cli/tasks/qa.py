"""Extractive question answering, SQuAD v1 style (XQuAD, MLQA, TyDiQA-GoldP, SQuAD).

Rows: `id` (the instance, shared across languages), `lang` (the context's language), `question_lang`,
`question`, `context`, and `answers` (a list of {text, answer_start}; empty or absent when unlabeled). A row
is keyed by (id, lang, question_lang): MLQA asks one question in several languages over one context.

Encoding (as transformers' run_qa.py): question first, the context truncated into windows of
`--max-length` tokens that overlap by `--doc-stride` tokens (default a third of max-length), token
positions of the answer found with the fast tokenizer's offsets; a window without the whole answer is
trained to point at the [CLS] position. There is no null answer at prediction time.

Decoding, per row, over all its windows: in each window the start and end logits are turned into
probabilities by a softmax over the context tokens and [CLS] (whose probability is then set to 0), as
transformers' question-answering pipeline does, so spans from different windows compare on one scale. The
`--n-best` most probable starts and ends are paired with end ≥ start, at most `--max-answer-length` tokens,
both inside the context (never the question, special tokens or padding); a span's score is
P(start) · P(end). The best span is the answer; the `--top-k` best are kept as candidates.
Across windows (`--merge-windows`): `max` (default) scores a span by its best window, so a span in the
overlap of two windows is not counted twice; `sum` does what transformers' pipeline does: each window's
top-k spans enter, and the scores of one answer text are added (a score may then exceed 1).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from alsace_cli.errors import AlsaceError
from alsace_cli.runtime.devices import autocast
from alsace_cli.tasks import Task, TrainingFeatures, register_task
from alsace_cli.tasks.qa_metrics import f1

DEFAULT_N_BEST, DEFAULT_TOP_K, DEFAULT_MAX_ANSWER = 20, 5, 30


def doc_stride(config: Any) -> int:
    stride = getattr(config, "doc_stride", None)
    return config.max_length // 3 if stride is None else int(stride)


def answers_of(value: Any) -> list[dict[str, Any]]:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return []
    return [dict(a) for a in list(value)]


@dataclass(frozen=True)
class QATask(Task):
    def auto_model_class(self) -> Any:
        from transformers import AutoModelForQuestionAnswering

        return AutoModelForQuestionAnswering

    def new_head_kwargs(self, labels: list[str]) -> dict[str, Any]:
        return {}

    def validate_answers(self, frame: pd.DataFrame, path: Path, require_labels: bool) -> None:
        """Each gold answer is text found in the context at its answer_start."""
        if "answers" not in frame.columns:
            if require_labels:
                raise AlsaceError(f"{path}: missing column 'answers' (this stage needs answered questions)")
            return
        for row, (value, context) in enumerate(zip(frame["answers"], frame["context"], strict=True)):
            try:
                answers = answers_of(value)
            except (TypeError, ValueError):
                raise AlsaceError(
                    f"{path}: row {row}: column 'answers' holds {value!r}, expected a list"
                ) from None
            if require_labels and not answers:
                raise AlsaceError(f"{path}: row {row}: column 'answers' is empty (answered questions needed)")
            for answer in answers:
                text, start = answer.get("text"), answer.get("answer_start")
                if not isinstance(text, str) or not text.strip() or not isinstance(start, (int, np.integer)):
                    raise AlsaceError(
                        f"{path}: row {row}: column 'answers' holds {answer!r}, expected text and answer_start"
                    )
                if context[int(start) : int(start) + len(text)] != text:
                    raise AlsaceError(
                        f"{path}: row {row} (id {frame['id'].iloc[row]!r}): answer {text!r} is not in the context "
                        f"at character {start}"
                    )

    def _windows(self, tokenizer: Any, frame: pd.DataFrame, config: Any) -> Any:
        if not getattr(tokenizer, "is_fast", False):
            raise AlsaceError(
                "extractive QA needs a fast (Rust) tokenizer: its offsets map tokens to characters"
            )
        stride = doc_stride(config)
        questions = [q.lstrip() for q in frame["question"].astype(str)]
        lengths = [len(ids) for ids in tokenizer(questions, add_special_tokens=False)["input_ids"]]
        room = config.max_length - tokenizer.num_special_tokens_to_add(pair=True)
        for row, length in enumerate(lengths):
            if length + stride >= room:
                raise AlsaceError(
                    f"row {row} (id {frame['id'].iloc[row]!r}): the question is {length} tokens; with --doc-stride "
                    f"{stride} it leaves no room for the context in --max-length {config.max_length}"
                )
        tokenizer.padding_side = "right"  # positions are computed before padding: the context must stay put
        return tokenizer(
            questions,
            frame["context"].astype(str).tolist(),
            truncation="only_second",
            max_length=config.max_length,
            stride=stride,
            return_overflowing_tokens=True,
            return_offsets_mapping=True,
            padding=False,
        )

    @staticmethod
    def _inputs(encoded: Any, i: int) -> dict[str, list[int]]:
        return {k: encoded[k][i] for k in ("input_ids", "attention_mask", "token_type_ids") if k in encoded}

    def training_features(self, tokenizer: Any, frame: pd.DataFrame, config: Any) -> TrainingFeatures:
        import torch

        encoded = self._windows(tokenizer, frame, config)
        sample = encoded["overflow_to_sample_mapping"]
        features, starts, ends, allowed = [], [], [], []
        for i, offsets in enumerate(encoded["offset_mapping"]):
            ids, sequence = encoded["input_ids"][i], encoded.sequence_ids(i)
            cls = ids.index(tokenizer.cls_token_id) if tokenizer.cls_token_id in ids else 0
            answer = answers_of(frame["answers"].iloc[sample[i]])[0]
            first, last = answer["answer_start"], answer["answer_start"] + len(answer["text"])
            context = [t for t, s in enumerate(sequence) if s == 1]
            start = end = cls
            if context and offsets[context[0]][0] <= first and offsets[context[-1]][1] >= last:
                start = next(t for t in context if offsets[t][1] > first)
                end = next(t for t in reversed(context) if offsets[t][0] < last)
            features.append(self._inputs(encoded, i))
            starts.append(start)
            ends.append(end)
            allowed.append([s == 1 or t == cls for t, s in enumerate(sequence)])
        start_positions, end_positions = torch.tensor(starts), torch.tensor(ends)

        def collate(index: Any, with_mask: bool = False) -> Any:
            """A padded batch with its gold positions; with_mask adds `context_mask` (context tokens and
            [CLS]: the positions a span may take), which distill pops before the model sees the batch."""
            batch = tokenizer.pad([features[i] for i in index], return_tensors="pt")
            batch["start_positions"] = start_positions[index]
            batch["end_positions"] = end_positions[index]
            if with_mask:
                width = batch["input_ids"].shape[1]
                batch["context_mask"] = torch.tensor(
                    [allowed[i] + [False] * (width - len(allowed[i])) for i in index]
                )
            return batch

        return TrainingFeatures(len(features), collate, np.array([len(f["input_ids"]) for f in features]))

    def window_logits(
        self, model: Any, tokenizer: Any, encoded: Any, config: Any, device: Any, on_window=None
    ):
        """Start and end logits of every window (float32, unpadded), longest windows batched first."""
        import torch

        n = len(encoded["input_ids"])
        order = np.argsort([-len(ids) for ids in encoded["input_ids"]], kind="stable")
        starts: list[np.ndarray | None] = [None] * n
        ends: list[np.ndarray | None] = [None] * n
        model.eval()
        with torch.inference_mode():
            for begin in range(0, n, config.batch_size):
                index = order[begin : begin + config.batch_size]
                batch = tokenizer.pad([self._inputs(encoded, int(i)) for i in index], return_tensors="pt").to(
                    device
                )
                with autocast(device, config.precision):
                    output = model(**batch)
                start_logits, end_logits = (
                    output.start_logits.float().cpu().numpy(),
                    output.end_logits.float().cpu().numpy(),
                )
                for row, i in enumerate(index):
                    length = len(encoded["input_ids"][int(i)])
                    starts[int(i)], ends[int(i)] = start_logits[row, :length], end_logits[row, :length]
                if on_window is not None:
                    on_window(len(index))
        return starts, ends

    def predict_chunk(
        self, model: Any, tokenizer: Any, frame: pd.DataFrame, config: Any, device: Any, on_batch=None
    ) -> pd.DataFrame:
        encoded = self._windows(tokenizer, frame, config)
        starts, ends = self.window_logits(model, tokenizer, encoded, config, device)
        windows_of: dict[int, list[int]] = {}
        for window, row in enumerate(encoded["overflow_to_sample_mapping"]):
            windows_of.setdefault(row, []).append(window)
        n_best = getattr(config, "n_best", DEFAULT_N_BEST)
        top_k = getattr(config, "top_k", DEFAULT_TOP_K)
        longest = getattr(config, "max_answer_length", DEFAULT_MAX_ANSWER)
        summed = getattr(config, "merge_windows", "max") == "sum"
        answers, answer_starts, scores, candidates = [], [], [], []
        for row in range(len(frame)):
            context = str(frame["context"].iloc[row])
            found: dict[Any, float] = {}
            first_start: dict[str, int] = {}
            for window in windows_of.get(row, []):
                offsets, sequence = encoded["offset_mapping"][window], encoded.sequence_ids(window)
                ids = encoded["input_ids"][window]
                spans = span_scores(
                    starts[window], ends[window], sequence, ids, tokenizer.cls_token_id, n_best, longest
                )
                if summed:  # the pipeline: each window's top-k spans; one answer text's scores are added up
                    for (first, last), score in sorted(spans, key=lambda kv: -kv[1])[:top_k]:
                        text = context[offsets[first][0] : offsets[last][1]]
                        first_start.setdefault(text, offsets[first][0])
                        found[text] = found.get(text, 0.0) + score
                    continue
                for (first, last), score in spans:
                    key = (offsets[first][0], offsets[last][1])
                    found[key] = max(score, found.get(key, 0.0))
            ranked = sorted(found.items(), key=lambda kv: -kv[1])[:top_k]
            if summed:
                top = [{"text": t, "start": int(first_start[t]), "score": float(s)} for t, s in ranked]
            else:
                top = [{"text": context[a:b], "start": int(a), "score": float(s)} for (a, b), s in ranked]
            best = top[0] if top else {"text": "", "start": -1, "score": 0.0}
            answers.append(best["text"])
            answer_starts.append(best["start"])
            scores.append(best["score"])
            candidates.append(top)
            if on_batch is not None:
                on_batch(1)
        return pd.DataFrame(
            {
                "id": frame["id"].to_numpy(),
                "lang": frame["lang"].to_numpy(),
                "question_lang": frame["question_lang"].to_numpy(),
                "answer": answers,
                "answer_start": np.asarray(answer_starts, dtype=np.int64),
                "score": np.asarray(scores, dtype=np.float64),
                "candidates": candidates,
            }
        )

    def dev_options(self, config: Any) -> dict[str, Any]:
        return {"doc_stride": config.doc_stride}  # the windows a long context is cut into

    def dev_row_scores(self, model: Any, tokenizer: Any, dataset: Any, **settings: Any) -> np.ndarray:
        """F1 (SQuAD normalisation) of each dev question's answer, in 0..1."""
        from types import SimpleNamespace

        config = SimpleNamespace(
            max_length=settings["max_length"],
            batch_size=settings["batch_size"],
            precision=settings.get("precision", "fp32"),
            doc_stride=settings.get("doc_stride"),
        )
        predicted = self.predict_chunk(model, tokenizer, dataset.frame, config, settings["device"])
        golds = [[a["text"] for a in answers_of(v)] for v in dataset.frame["answers"]]
        model.train()
        return np.array([f1(p, g) for p, g in zip(predicted["answer"], golds, strict=True)], dtype=np.float64)


def span_scores(
    start_logits: np.ndarray,
    end_logits: np.ndarray,
    sequence: list[int | None],
    ids: list[int],
    cls_id: int | None,
    n_best: int,
    longest: int,
) -> list[tuple[tuple[int, int], float]]:
    """Candidate spans (first token, last token) of one window with their P(start)·P(end)."""
    context = np.array([s == 1 for s in sequence])
    if not context.any():
        return []
    allowed = context.copy()
    cls = np.array([i == cls_id for i in ids]) if cls_id is not None else np.zeros_like(context)
    allowed |= cls

    def probabilities(logits: np.ndarray) -> np.ndarray:
        masked = np.where(allowed, logits.astype(np.float64), -np.inf)
        exp = np.exp(masked - masked.max())
        p = exp / exp.sum()
        p[cls] = 0.0  # [CLS] shares the normalisation, as in the pipeline, but is never an answer
        return p

    p_start, p_end = probabilities(start_logits), probabilities(end_logits)
    positions = np.flatnonzero(context)
    best_starts = positions[np.argsort(-p_start[positions], kind="stable")[:n_best]]
    best_ends = positions[np.argsort(-p_end[positions], kind="stable")[:n_best]]
    spans = []
    for first in best_starts:
        for last in best_ends:
            if last < first or last - first + 1 > longest:
                continue
            spans.append(((int(first), int(last)), float(p_start[first] * p_end[last])))
    return spans


QA = register_task(
    QATask(
        "qa",
        ("question", "context"),
        "extractive question answering: question, context, answers (XQuAD, MLQA, TyDiQA, SQuAD)",
        head="ForQuestionAnswering",
        pipeline_tag="question-answering",
        key_columns=("id", "lang", "question_lang"),
        output_type="spans",
        prediction_kind="qa_predictions",
        dev_metric="dev_f1",
        translate_note="extractive QA: an answer is a span of the context, and a translated context loses its "
        "spans (projecting them needs word alignment, which translate does not do); translate-test by hand, or "
        "use a QA set that ships translations (XQuAD, MLQA)",
    )
)
