"""Knowledge probing with a masked language model (GeoMLAMA, mLAMA): a cloze prompt and its candidates.

A row: `text`, a prompt with one `<mask>`; `candidates`, the answers to choose from (the same concepts in
the same order in every language of an id, translated); `label`, the index of a right candidate, and
`golds`, every right candidate's index where there are several. The label set is the candidate slots
("candidate 1" ... "candidate K", K the most candidates a prompt has), so a prediction is a distribution
over the slots, 0 on a prompt's missing ones, and vote, select, make-pairs, distill and eval work on it
as on any label distribution.

A candidate's score is GeoMLAMA's: the mean log-probability of its tokens, filled in from left to right (the
k-th token is predicted with the ones before it in place and the rest masked), each token read where it
falls in the prompt with the candidate in it, so a word's spacing is the tokenizer's own. All of a batch's
(row, candidate, token) sequences go through the model at once (tasks/probe_model.py); the scores'
softmax over a prompt's candidates is its prediction. With labels, the loss is cross-entropy over the
candidates: finetune and distill's cross-entropy anchor update the masked LM itself.

A prediction is right when its candidate is one of the golds (accuracy per language, and per `country`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from alsace_cli.errors import AlsaceError
from alsace_cli.tasks import Task, register_task

MASK = "<mask>"


def candidate_lists(frame: pd.DataFrame) -> list[list[str]]:
    return [[str(c) for c in cands] for cands in frame["candidates"]]


def _sequences(
    tokenizer: Any, prompt: str, candidate: str, max_length: int
) -> list[tuple[list[int], int, int]]:
    """(input ids, position, target id) per token of `candidate` in `prompt`: tokens before it in place, it and
    the rest masked."""
    start = prompt.index(MASK)
    filled = prompt[:start] + candidate + prompt[start + len(MASK) :]
    encoded = tokenizer(filled, truncation=True, max_length=max_length, return_offsets_mapping=True)
    end = start + len(candidate)
    span = [i for i, (a, b) in enumerate(encoded["offset_mapping"]) if b > a and a < end and b > start]
    if not span:
        raise AlsaceError(f"probe: candidate {candidate!r} has no token in {prompt!r} within --max-length")
    ids = list(encoded["input_ids"])
    out = []
    for k, position in enumerate(span):
        masked = ids.copy()
        for later in span[k:]:
            masked[later] = tokenizer.mask_token_id
        out.append((masked, position, ids[position]))
    return out


@dataclass(frozen=True)
class ProbeTask(Task):
    def encode(self, tokenizer: Any, rows: pd.DataFrame, max_length: int) -> Any:
        import torch
        from transformers import BatchEncoding

        width = self.width(rows)
        sequences, owners = [], []
        for r, (prompt, candidates) in enumerate(
            zip(rows["text"].astype(str), candidate_lists(rows), strict=True)
        ):
            for k, candidate in enumerate(candidates):
                made = _sequences(tokenizer, prompt, candidate, max_length)
                sequences += made
                owners += [r * width + k] * len(made)
        longest = max(len(ids) for ids, _, _ in sequences)
        pad = tokenizer.pad_token_id or 0
        input_ids = torch.full((len(sequences), longest), pad, dtype=torch.long)
        attention = torch.zeros((len(sequences), longest), dtype=torch.long)
        for s, (ids, _, _) in enumerate(sequences):
            input_ids[s, : len(ids)] = torch.tensor(ids)
            attention[s, : len(ids)] = 1
        return BatchEncoding(
            {
                "input_ids": input_ids,
                "attention_mask": attention,
                "probe_position": torch.tensor([p for _, p, _ in sequences]),
                "probe_target": torch.tensor([t for _, _, t in sequences]),
                "probe_owner": torch.tensor(owners),
                "probe_shape": torch.tensor([len(rows), width]),
            }
        )

    @staticmethod
    def width(rows: pd.DataFrame) -> int:
        """The batch's most candidates (the model pads its scores to the dataset's slots)."""
        return int(max(len(c) for c in rows["candidates"]))

    def auto_model_class(self) -> Any:
        from alsace_cli.tasks.probe_model import ProbeMaskedLM

        return ProbeMaskedLM

    def new_head_kwargs(self, labels: list[str]) -> dict[str, Any]:
        return {"slots": len(labels)}  # the masked-LM head scores the candidates: nothing new to train

    def load_kwargs(self, labels: list[str]) -> dict[str, Any]:
        return {"slots": len(labels)}

    def correct(self, frame: pd.DataFrame, probs: np.ndarray) -> np.ndarray:
        pred = probs.argmax(axis=1)
        if "golds" not in frame.columns:
            return (pred == frame["label"].to_numpy(dtype=np.int64)).astype(np.float64)
        return np.array([p in set(g) for p, g in zip(pred, frame["golds"], strict=True)], dtype=np.float64)

    def validate_rows(self, frame: pd.DataFrame, path: Path, labels: list[str]) -> None:
        """candidates: a non-empty list of texts, at most one per label slot; label and golds index into it."""
        if "candidates" not in frame.columns:
            raise AlsaceError(
                f"{path}: missing column 'candidates' (task 'probe': the answers to choose from)"
            )
        masks = frame["text"].astype(str).str.count(MASK).to_numpy()
        if (masks != 1).any():
            row = int((masks != 1).argmax())
            raise AlsaceError(
                f"{path}: row {row}: column 'text' has {masks[row]} {MASK}, expected one (the slot a "
                "candidate fills)"
            )
        for row, cands in enumerate(frame["candidates"]):
            if cands is None or len(cands) == 0 or any(not str(c).strip() for c in cands):
                raise AlsaceError(
                    f"{path}: row {row}: column 'candidates' is empty or holds an empty candidate"
                )
            if len(cands) > len(labels):
                raise AlsaceError(
                    f"{path}: row {row}: {len(cands)} candidates, more than the {len(labels)} slots "
                    "in the metadata's labels"
                )
        if "label" in frame.columns:
            sizes = frame["candidates"].map(len).to_numpy()
            present = frame["label"].notna().to_numpy()
            beyond = present & (frame["label"].fillna(0).to_numpy(dtype=np.int64) >= sizes)
            if beyond.any():
                row = int(beyond.argmax())
                raise AlsaceError(
                    f"{path}: row {row}: label {int(frame['label'].iloc[row])} but only "
                    f"{sizes[row]} candidates"
                )


PROBE = register_task(
    ProbeTask(
        "probe",
        ("text",),
        "a cloze prompt with <mask> and candidates, scored by a masked LM: GeoMLAMA, mLAMA",
        head="ForMaskedLM",
        pipeline_tag="fill-mask",
        labels_in_head=False,
        breakdown="country",
        translate_note="probe prompts: a translated prompt must keep its <mask> and its candidates must be "
        "translated with it; GeoMLAMA ships its own translations",
    )
)
