"""Paired comparisons of two models on the same test instances: bootstrap intervals and McNemar's test.

Two models scored on one parallel test set share their rows, so their difference is measured row by row:
- per language, McNemar's exact test on the rows one model gets right and the other wrong (two-sided);
- per language, for the average over languages and for the gap to the source language, a percentile
  bootstrap interval of the difference: `resamples` draws of the instance ids with replacement (seeded),
  each id carrying all its languages, so the languages' correlation is kept.
Every statistic is linear in the resampling weights of the ids, so one matrix product gives them all.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd


def sign_test_worse(before: np.ndarray, after: np.ndarray) -> tuple[int, int, float]:
    """(rows better, rows worse, one-sided exact p that `after` is worse): McNemar's exact test for 0/1
    scores, the sign test for graded ones (QA F1): only the sign of each row's change counts."""
    better = int((after > before + 1e-12).sum())
    worse = int((after < before - 1e-12).sum())
    n = better + worse
    if worse == 0:
        return better, worse, 1.0
    p = sum(math.comb(n, i) for i in range(worse, n + 1)) / 2**n
    return better, worse, min(1.0, p)


def noninferior_p(better: int, worse: int, n: int, margin: float) -> float:
    """One-sided p of "the drop is at least `margin` points" for paired right/wrong outcomes on n rows:
    Wald's z for the difference of two paired proportions, (b − c)/n, against −margin/100."""
    difference, m = (better - worse) / n, margin / 100
    variance = (better + worse) / n**2 - (better - worse) ** 2 / n**3
    if variance <= 0:
        return 0.0 if difference > -m else 1.0
    z = (difference + m) / math.sqrt(variance)
    return 0.5 * math.erfc(z / math.sqrt(2))


def detectable_drop(n: int, alpha: float, changed_share: float = 0.1) -> tuple[int, float]:
    """What the sign test on n dev rows can see at level `alpha`: the fewest more rows wrong than right
    that are significant when no row improves, and the smallest significant drop in points when
    `changed_share` of the rows change their outcome."""
    fewest = next(c for c in range(1, 64) if 0.5**c < alpha)
    changed = max(1, round(changed_share * n))
    for worse in range(changed + 1):
        p = sum(math.comb(changed, i) for i in range(worse, changed + 1)) / 2**changed
        if p < alpha:
            return fewest, 100 * (2 * worse - changed) / n
    return fewest, float("inf")


def mcnemar_exact(before: np.ndarray, after: np.ndarray) -> tuple[int, int, float]:
    """(rows right only after, rows right only before, two-sided exact p) for 0/1 outcomes."""
    gained = int(((after > 0.5) & (before < 0.5)).sum())
    lost = int(((before > 0.5) & (after < 0.5)).sum())
    n = gained + lost
    if n == 0:
        return gained, lost, 1.0
    k = min(gained, lost)
    tail = sum(math.comb(n, i) for i in range(k + 1)) / 2**n
    return gained, lost, min(1.0, 2 * tail)


@dataclass
class Outcomes:
    """Right (1) or wrong (0) per (language, instance id), NaN where the language lacks the id."""

    languages: list[str]
    matrix: np.ndarray  # languages × ids

    @classmethod
    def from_rows(
        cls, ids: np.ndarray, langs: np.ndarray, correct: np.ndarray, id_order: pd.Index, languages: list[str]
    ) -> Outcomes:
        matrix = np.full((len(languages), len(id_order)), np.nan)
        rows = pd.Index(languages).get_indexer(langs)
        cols = id_order.get_indexer(ids)
        matrix[rows, cols] = correct
        return cls(languages, matrix)


def compare(
    base: Outcomes,
    other: Outcomes,
    source_lang: str,
    resamples: int = 1000,
    seed: int = 42,
    level: float = 0.95,
) -> list[dict]:
    """Rows (what, lang, difference, ci_low, ci_high, gained, lost, p) of `other` minus `base`, in points of
    accuracy: one per language (McNemar's p), then the average accuracy and the average gap."""
    present = ~np.isnan(base.matrix)
    a, b = np.nan_to_num(base.matrix), np.nan_to_num(other.matrix)
    n_ids = a.shape[1]
    weights = np.random.default_rng(seed).multinomial(n_ids, np.full(n_ids, 1.0 / n_ids), size=resamples)
    weights = np.vstack([np.ones(n_ids), weights]).astype(np.float64)  # row 0: the observed sample
    count = weights @ present.T.astype(np.float64)  # resamples × languages
    acc_a, acc_b = (weights @ a.T) / count, (weights @ b.T) / count
    diffs = {lang: 100 * (acc_b[:, j] - acc_a[:, j]) for j, lang in enumerate(base.languages)}
    source = base.languages.index(source_lang) if source_lang in base.languages else None
    others = [j for j in range(len(base.languages)) if j != source]
    diffs["average"] = 100 * (acc_b.mean(axis=1) - acc_a.mean(axis=1))
    if source is not None and others:
        gap_a = acc_a[:, source] - acc_a[:, others].mean(axis=1)
        gap_b = acc_b[:, source] - acc_b[:, others].mean(axis=1)
        diffs["gap"] = 100 * (gap_b - gap_a)
    tail = 100 * (1 - level) / 2
    rows = []
    for name, values in diffs.items():
        low, high = np.percentile(values[1:], [tail, 100 - tail])
        row = {
            "what": "language" if name in base.languages else name,
            "lang": name if name in base.languages else None,
            "difference": float(values[0]),
            "ci_low": float(low),
            "ci_high": float(high),
        }
        if name in base.languages:
            j = base.languages.index(name)
            keep = present[j]
            row["gained"], row["lost"], row["p_mcnemar"] = mcnemar_exact(a[j, keep], b[j, keep])
        rows.append(row)
    return rows


def holm_adjusted(pvalues: list[float]) -> list[float]:
    """Holm's step-down adjusted p-values, in the order given: the k-th smallest of m is multiplied by
    m − k + 1 and kept monotone. A hypothesis is rejected at level α when its adjusted p is below α; the
    family-wise error rate is at most α whatever the tests' dependence."""
    order = sorted(range(len(pvalues)), key=lambda i: pvalues[i])
    adjusted, running = [1.0] * len(pvalues), 0.0
    for rank, index in enumerate(order):
        running = max(running, min(1.0, (len(pvalues) - rank) * pvalues[index]))
        adjusted[index] = running
    return adjusted


def mean_difference_interval(
    ids: np.ndarray, difference: np.ndarray, resamples: int = 1000, seed: int = 42, level: float = 0.95
) -> tuple[float, float]:
    """Percentile bootstrap interval of a mean paired difference, in points, resampling ids with replacement
    (each id carrying all its rows, so the languages of one instance move together)."""
    codes, index = np.unique(ids.astype(str), return_inverse=True)
    per_id = np.bincount(index, weights=difference, minlength=len(codes))
    rows_per_id = np.bincount(index, minlength=len(codes)).astype(float)
    counts = np.random.default_rng(seed).multinomial(
        len(codes), np.full(len(codes), 1 / len(codes)), resamples
    )
    means = 100 * (counts @ per_id) / (counts @ rows_per_id)
    tail = (1 - level) / 2
    return float(np.quantile(means, tail)), float(np.quantile(means, 1 - tail))
