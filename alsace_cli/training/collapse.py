"""The guard's label-free collapse detector (training/guard.py uses it; tasks with a label set).

`--collapse-check`: on two fixed, seeded samples of the unlabeled corpus, `--collapse-sample` rows of every language and as many of the source
language, the predicted-label histogram is compared with step 0's by total variation
TV = ½ Σ_y |p_k(y) − p_0(y)|, and the mean prediction entropy over log |Y| with step 0's. It fires when
either sample's TV > `--collapse-tv` or the entropy moved by more than `--collapse-entropy`, and
training stops. The source sample is there because a fine-tuned model often already predicts one label
for most rows of the languages it does not know, so a collapse onto that label hardly moves the pooled
histogram, while the source language, balanced before, moves a lot.

A model that predicts one label for nearly every row (`ONE_LABEL` of the "all" sample) is collapsed too,
whatever the histogram it started from, when it got there during the run: a fine-tuned model near chance
that already favoured one label can reach a single label with a TV under the limit.
"""

from __future__ import annotations

import math

import numpy as np

# The share of the sample predicted as one label from which a check counts as collapsed onto it.
ONE_LABEL = 0.95


def label_histogram(probs: np.ndarray) -> tuple[np.ndarray, float]:
    """Share of the sample predicted as each label, and the mean prediction entropy divided by log |Y|."""
    k = probs.shape[1]
    histogram = np.bincount(probs.argmax(axis=1), minlength=k) / len(probs)
    entropy = -(probs * np.log(np.clip(probs, 1e-12, None))).sum(axis=1).mean()
    return histogram, float(entropy / math.log(k)) if k > 1 else 0.0


def collapse_samples(frame, size: int, source_lang: str, seed: int) -> dict:
    """The detector's fixed samples of the corpus, drawn with the run's seed: `size` rows of every language
    ("all") and as many of the source language ("source", when it is in the corpus)."""
    rng = np.random.default_rng(seed)
    samples = {}
    for name, rows in (("all", frame), ("source", frame[frame["lang"] == source_lang])):
        if len(rows):
            n = min(size, len(rows))
            samples[name] = rows.iloc[np.sort(rng.choice(len(rows), size=n, replace=False))].reset_index(
                drop=True
            )
    return samples


def onto_one_label(histogram: np.ndarray, start: np.ndarray) -> bool:
    """Whether the model now predicts one label for nearly every row, and did not at step 0."""
    return bool(histogram.max() >= ONE_LABEL and histogram.max() > start.max())
