"""What distillation reads besides the corpus: each pair's rows, fixed teacher targets, voted labels, and
the check that an artifact was made from the very corpus it is used with."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from alsace_cli.errors import AlsaceError
from alsace_cli.io.artifacts import Dataset, read_artifact, read_meta_kind, read_predictions
from alsace_cli.io.provenance import hash_path
from alsace_cli.io.schemas import probs_matrix
from alsace_cli.method.pairing import PairRule


def pair_rows(
    dataset: Dataset,
    pairs: pd.DataFrame,
    pairs_path: Path,
    columns: tuple[str, ...] = ("student_lang", "teacher_lang"),
    keys: tuple[str, ...] = ("id", "lang"),
    shared: tuple[str, ...] = ("id",),
) -> list[np.ndarray]:
    """Row positions in the dataset of each pair's sides (`columns`); every side must exist.

    A side is found by the pair's `shared` columns plus that side's column, matched against the dataset's
    `keys` (QA question-language pairs: id and context_lang, plus a question language, against id, lang
    and question_lang)."""
    frame = dataset.frame
    position = pd.Series(np.arange(len(frame)), index=pd.MultiIndex.from_frame(frame[list(keys)].astype(str)))
    sides = []
    for column in columns:
        wanted = pd.MultiIndex.from_arrays([pairs[c].astype(str) for c in (*shared, column)])
        found = position.reindex(wanted)
        if found.isna().any():
            row = int(found.isna().to_numpy().argmax())
            key = ", ".join(f"{c}={pairs[c].iloc[row]!r}" for c in (*shared, column))
            raise AlsaceError(f"{pairs_path}: row {row}: ({key}) is not in {dataset.path}")
        sides.append(found.to_numpy(dtype=np.int64))
    return sides


def check_made_from(meta: dict, path: str, option: str, data: str, force: bool) -> None:
    """Refuse an artifact whose provenance does not record --data's very bytes as its corpus (unless
    --allow-other-corpus)."""
    if force:
        return
    recorded = ((meta.get("provenance") or {}).get("inputs") or {}).get("data") or {}
    if not recorded.get("sha256"):
        raise AlsaceError(
            f"{path}: its provenance names no corpus, so {option} cannot be checked against --data {data}; "
            "pass --allow-other-corpus if you know they match"
        )
    if recorded["sha256"] != hash_path(data):
        raise AlsaceError(
            f"{path}: was made from {recorded.get('path')} (sha256 {recorded['sha256'][:12]}), not from --data "
            f"{data} (sha256 {hash_path(data)[:12]}); rerun that stage on --data, or pass --allow-other-corpus"
        )


def read_pairs(path: str, data: str, force: bool) -> pd.DataFrame | PairRule:
    """make-pairs' output, checked to have been made from --data: its table of pairs (`--materialize`), or
    the rule distill draws its pairs from."""
    kind = read_meta_kind(path) if read_meta_kind(path) in PAIRS_AS else "pairs"
    artifact = read_artifact(path, kind)
    check_made_from(artifact.meta, path, "--pairs", data, force)
    return PAIRS_AS[kind](artifact.frame)


# make-pairs' two outputs, each as distill takes it: the rule it draws pairs from, or the table itself.
PAIRS_AS = {"pair_rule": PairRule.from_frame, "pairs": lambda frame: frame}


def static_targets(
    predictions_path: str, data: Dataset, corpus: str, teacher_rows: np.ndarray, pairs_path: str, force: bool
) -> np.ndarray:
    """log P(y | x_teacher) from predict's artifact, one row per pair: the fixed targets of --teacher static."""
    predictions = read_predictions(predictions_path, data)
    check_made_from(predictions.meta, predictions_path, "--predictions", corpus, force)
    keys = pd.MultiIndex.from_frame(predictions.frame[["id", "lang"]].astype(str))
    wanted = pd.MultiIndex.from_frame(data.frame[["id", "lang"]].astype(str).iloc[teacher_rows])
    position = pd.Series(np.arange(len(keys)), index=keys).reindex(wanted)
    if position.isna().any():
        row = int(position.isna().to_numpy().argmax())
        raise AlsaceError(
            f"{predictions_path}: no prediction for (id={wanted[row][0]!r}, lang={wanted[row][1]!r}), "
            f"a teacher side of {pairs_path}; predict on {corpus} first"
        )
    probs = probs_matrix(predictions.frame)[position.to_numpy(dtype=np.int64)]
    return np.log(np.clip(probs.astype(np.float32), 1e-12, None))


def pair_pseudo_labels(path: str, data: Dataset, pairs: pd.DataFrame) -> np.ndarray:
    """The voted label of each pair's instance (vote's output), for --mask-pseudo-labels and map@k."""
    votes = read_artifact(path, "pseudo_labels").frame
    by_id = pd.Series(votes["pseudo_label"].to_numpy(), index=votes["id"].astype(str))
    found = by_id.reindex(pairs["id"].astype(str))
    if found.isna().any():
        row = int(found.isna().to_numpy().argmax())
        raise AlsaceError(
            f"{path}: no pseudo-label for id {pairs['id'].iloc[row]!r} (row {row} of the pairs)"
        )
    labels = found.to_numpy(dtype=np.int64)
    if labels.min() < 0 or labels.max() >= len(data.labels):
        raise AlsaceError(f"{path}: column pseudo_label: values outside 0..{len(data.labels) - 1}")
    return labels
