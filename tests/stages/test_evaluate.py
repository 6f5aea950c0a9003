from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from alsace_cli.stages.evaluate import language_metrics, summarize


def test_gap_and_group_averages_by_hand() -> None:
    frame = pd.DataFrame({"lang": ["en"] * 4 + ["de"] * 4 + ["sw"] * 4, "label": [0, 1, 2, 0] * 3})
    correct = {"en": [1, 1, 1, 1], "de": [1, 1, 1, 0], "sw": [1, 0, 0, 0]}
    probs = np.zeros((12, 3))
    for row, (lang, label) in enumerate(zip(frame["lang"], frame["label"], strict=True)):
        hit = correct[lang][row % 4]
        probs[row, label if hit else (label + 1) % 3] = 1.0
    metrics = language_metrics("m", frame, probs, "en").set_index("lang")
    assert metrics.loc["en", "accuracy"] == 1.0 and np.isnan(metrics.loc["en", "gap"])
    assert metrics.loc["de", "gap"] == pytest.approx(0.25) and metrics.loc["sw", "gap"] == pytest.approx(0.75)
    metrics = metrics.reset_index()
    metrics["role"] = metrics["lang"].map({"en": "teacher", "de": "teacher", "sw": "student"})
    summary = summarize(metrics, "en").set_index("group")
    assert summary.loc["all", "avg_accuracy"] == pytest.approx((1 + 0.75 + 0.25) / 3)
    assert summary.loc["all", "avg_gap"] == pytest.approx((0.25 + 0.75) / 2)  # English excluded
    assert summary.loc["teachers", "avg_gap"] == pytest.approx(0.25)
    assert summary.loc["students", "avg_accuracy"] == pytest.approx(0.25)
    assert summary.loc["all", "worst_lang"] == "sw" and summary.loc["all", "worst_accuracy"] == 0.25
    assert (summary["source_accuracy"] == 1.0).all()
