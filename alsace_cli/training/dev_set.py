"""The guard's dev set: labeled rows in any languages, each scored at every check.

The rows may be in the source language only (the guard then sees English gains and losses, not the other
languages', where distillation's gain is), or in several languages, with ids shared across languages or
not. Scores are per (id, language) row, so the guard's paired tests run over every row pooled; each check
also gives the accuracy per language, and the source-language rows are held on their own: a check whose
source-language rows are significantly worse than step 0's is not kept, whatever the pooled gain.

The rows are tokenized once and each check reuses the batches: a check on a multilingual dev set is a
forward pass over its rows, in the run's precision.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from alsace_cli.method.paired_tests import detectable_drop, sign_test_worse
from alsace_cli.runtime import report
from alsace_cli.tasks import get_task

# Languages named in one line before the rest are counted.
SHOWN_LANGUAGES = 8


@dataclass
class DevSet:
    """A labeled Dataset the guard scores row by row, with what its languages let it see."""

    dataset: Any
    source_lang: str
    alpha: float = 0.05
    encoded: dict[int, Any] = field(default_factory=dict)  # batch start → the tokenized batch (tokenize once)
    seen: dict[str, Any] = field(default_factory=dict)  # the last check's predicted labels ("pred"), if any

    def __post_init__(self) -> None:
        self.langs = self.dataset.frame["lang"].astype(str).to_numpy()
        self.languages = sorted(set(self.langs.tolist()))
        self.source = self.langs == self.source_lang

    def __len__(self) -> int:
        return len(self.langs)

    @property
    def multilingual(self) -> bool:
        """Whether the dev set has rows outside the source language (so it can see gains there)."""
        return any(lang != self.source_lang for lang in self.languages)

    @property
    def holds_source(self) -> bool:
        """Whether the source-language rows are tested on their own as well as pooled."""
        return self.multilingual and bool(self.source.any())

    def scores(self, model: Any, tokenizer: Any, settings: dict[str, Any]) -> np.ndarray:
        """Each row's score (1/0 right or wrong; F1 for QA) under the model as it is now."""
        task = get_task(self.dataset.task)
        self.seen.clear()
        rows = task.dev_row_scores(
            model, tokenizer, self.dataset, **settings, encoded=self.encoded, predictions=self.seen
        )
        return np.asarray(rows, dtype=float)

    def label_free(self, start: np.ndarray | None) -> dict[str, float]:
        """Signals that read no label, for the study of whether they track the dev change (BENCHMARKS.md):
        the share of rows that agree with their id's majority prediction across languages, and the share
        that agree with step 0's majority vote of their id (`start`: step 0's predictions)."""
        pred = self.seen.get("pred")
        if pred is None or not self.multilingual:
            return {}
        ids = self.dataset.frame["id"].astype(str).to_numpy()
        return {
            "dev_agreement": _agreement(ids, pred, pred),
            "dev_vote_agreement": _agreement(ids, pred, pred if start is None else start),
        }

    def by_language(self, rows: np.ndarray) -> dict[str, float]:
        return {lang: float(rows[self.langs == lang].mean()) for lang in self.languages}

    def source_worse(self, start: np.ndarray, rows: np.ndarray) -> tuple[int, int, float]:
        """The sign test of the source-language rows against step 0 (better, worse, p(worse))."""
        if not self.holds_source:
            return 0, 0, 1.0
        return sign_test_worse(start[self.source], rows[self.source])

    def judged_on(self) -> str:
        """Which rows and languages the guard judges on, as a phrase for its lines and the verdict."""
        names = ", ".join(self.languages[:SHOWN_LANGUAGES])
        more = len(self.languages) - SHOWN_LANGUAGES
        listed = names + (f" and {more} more" if more > 0 else "")
        translation = (self.dataset.meta or {}).get("translation") if hasattr(self.dataset, "meta") else None
        if translation and translation.get("direction") == "forward":
            listed += f"; machine-translated from {self.source_lang} by {translation.get('model')}"
        if not self.multilingual:
            return (
                f"{len(self)} {self.source_lang} dev rows (source language only: it cannot see gains or "
                f"losses outside {self.source_lang})"
            )
        held = (
            f"; the {int(self.source.sum())} {self.source_lang} rows also held on their own"
            if self.holds_source
            else ""
        )
        return f"{len(self)} dev rows in {report.plural(len(self.languages), 'language')} ({listed}){held}"

    def describe(self) -> str:
        """The line the guard prints before the first step: what it judges on and what it can see."""
        line = f"guard: judged on {self.judged_on()}"
        if len(self) < 500:
            fewest, drop = detectable_drop(len(self), self.alpha)
            line += (
                f"; at α = {self.alpha:g} the sign test calls a drop significant only from {fewest} more rows "
                f"wrong than right ({100 * fewest / len(self):.1f} points) when no row improves, about "
                f"{drop:.1f} points when a tenth of the rows change; give a few hundred rows where you can"
            )
        if not self.multilingual:
            line += "; dev rows in the target languages let it keep a gain there (docs/guard.md)"
        return line


def _agreement(ids: np.ndarray, pred: np.ndarray, voters: np.ndarray) -> float:
    """The share of rows, among ids in several languages, whose prediction is their id's majority of `voters`
    (ties: the lowest label)."""
    import pandas as pd

    frame = pd.DataFrame({"id": ids, "pred": pred, "voter": voters})
    sizes = frame.groupby("id")["id"].transform("size")
    frame = frame[sizes > 1]
    if frame.empty:
        return float("nan")
    counts = frame.groupby(["id", "voter"]).size().rename("n").reset_index()
    majority = counts.sort_values(["id", "n", "voter"], ascending=[True, False, True]).drop_duplicates("id")
    vote = frame["id"].map(majority.set_index("id")["voter"])
    return float((frame["pred"] == vote).mean())
