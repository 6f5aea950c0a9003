"""Teacher selection's rules: a language's score, the softmax over languages, the threshold, and the roles
under each `--strategy` (stages/select.py explains them). Pure functions of score tables."""

from __future__ import annotations

import numpy as np
import pandas as pd

from alsace_cli.configs import SELECT_STRATEGIES
from alsace_cli.configs.stages import parse_threshold  # noqa: F401  (the stage reads it from here)
from alsace_cli.errors import AlsaceError
from alsace_cli.io.schemas import probs_matrix

TOLERANCE = 1e-12

# Pre-training data per language, GiB of CC-100 text: Conneau et al. 2020, "Unsupervised Cross-lingual
# Representation Learning at Scale" (ACL), appendix table of languages and statistics. Transcribed by hand
# for the languages of XNLI, PAWS-X and XCOPA; no copy of the paper was reachable from the machine this was
# written on, so check a figure against the paper before quoting it. Only the order matters to
# `--strategy scale`. Haitian Creole (ht) and Quechua (qu) are not in CC-100: 0.
CC100_GIB: dict[str, float] = {
    "en": 300.8,
    "ru": 278.0,
    "id": 148.3,
    "vi": 137.3,
    "th": 71.7,
    "ja": 69.3,
    "de": 66.6,
    "bg": 57.5,
    "fr": 56.8,
    "ko": 54.2,
    "es": 53.3,
    "el": 46.9,
    "zh": 46.9,
    "it": 30.2,
    "ar": 28.0,
    "tr": 20.9,
    "hi": 20.2,
    "ta": 12.2,
    "et": 6.1,
    "ur": 5.7,
    "sw": 1.6,
    "ht": 0.0,
    "qu": 0.0,
}


def scores_by_language(languages: np.ndarray, confidence: np.ndarray) -> pd.DataFrame:
    """Per language: n, s_t (the mean of its rows' confidence) and ŝ_t (softmax of s over languages)."""
    scored = pd.DataFrame({"lang": languages, "c": confidence})
    grouped = scored.groupby("lang", sort=True)["c"].agg(["size", "mean"]).reset_index()
    s = grouped["mean"].to_numpy()
    exp = np.exp(s - s.max())
    return pd.DataFrame(
        {
            "lang": grouped["lang"],
            "n": grouped["size"].astype("int64"),
            "avg_confidence": s,
            "score": exp / exp.sum(),
        }
    )


def language_scores(predictions: pd.DataFrame, pseudo: pd.DataFrame) -> pd.DataFrame:
    """Label distributions: s_t = mean over the language's rows of the probability of the pseudo-label."""
    label_of = pseudo.set_index("id")["pseudo_label"]
    labels = predictions["id"].map(label_of).to_numpy(dtype=np.int64)
    probs = probs_matrix(predictions).astype(np.float64)
    confidence = probs[np.arange(len(probs)), labels]
    return scores_by_language(predictions["lang"].to_numpy(), confidence)


def assign_roles(
    scores: pd.DataFrame, threshold: float | None, strategy: str, seed: int
) -> tuple[pd.DataFrame, float]:
    """Mark teachers and students; returns the table and the threshold applied to ŝ."""
    theta = float(scores["score"].mean()) if threshold is None else threshold
    confident = scores["score"].to_numpy() >= theta - TOLERANCE
    if strategy == "confidence":
        teacher = confident
    elif strategy == "all":
        teacher = np.ones(len(scores), dtype=bool)
    elif strategy == "random":
        # As many teachers as the confidence rule would pick, chosen by a seeded draw: the control that
        # tells whether *which* languages teach matters, not just how many.
        rng = np.random.default_rng(seed)
        teacher = np.zeros(len(scores), dtype=bool)
        teacher[rng.choice(len(scores), size=int(confident.sum()), replace=False)] = True
    elif strategy == "scale":
        # As many teachers as the confidence rule, the languages with the most pre-training data: the
        # paper's "high-resource languages teach" baseline.
        unknown = [lang for lang in scores["lang"] if lang not in CC100_GIB]
        if unknown:
            raise AlsaceError(
                f"--strategy scale: no CC-100 size for lang {unknown[0]!r} (known: {', '.join(sorted(CC100_GIB))})"
            )
        size = scores["lang"].map(CC100_GIB).to_numpy()
        order = np.lexsort((scores["lang"].to_numpy(), -size))  # largest first, ties by language code
        teacher = np.zeros(len(scores), dtype=bool)
        teacher[order[: int(confident.sum())]] = True
    else:
        raise AlsaceError(f"--strategy: unknown strategy {strategy!r} (use {', '.join(SELECT_STRATEGIES)})")
    out = scores.copy()
    out["role"] = np.where(teacher, "teacher", "student")
    out["rank"] = out["score"].rank(ascending=False, method="min").astype("int64")
    return out, theta
