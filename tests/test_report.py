"""The accuracy plot: one row per language, sorted by the first model, short model names."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from alsace_cli.output_types.label_report import plot_accuracy, short_names


def test_short_names_keep_just_enough_of_the_path() -> None:
    assert short_names(["runs/a/finetuned", "runs/a/distilled"]) == ["finetuned", "distilled"]
    assert short_names(["runs/a/model", "runs/b/model"]) == ["a/model", "b/model"]
    assert short_names(["xlm-roberta-base"]) == ["xlm-roberta-base"]


def _metrics(n: int) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    langs = ["en"] + [f"l{i:02d}" for i in range(n - 1)]
    base = rng.uniform(0.4, 0.9, n)
    rows = [{"model": model, "lang": lang, "accuracy": acc + shift, "role": "teacher" if acc > 0.6 else "student"}
            for model, shift in (("runs/x/finetuned", 0.0), ("runs/x/distilled", 0.02))
            for lang, acc in zip(langs, base, strict=True)]  # fmt: skip
    return pd.DataFrame(rows)


def test_the_plot_grows_with_the_languages_and_sorts_them(tmp_path: Path, monkeypatch) -> None:
    import matplotlib.axes

    seen: list[list[str]] = []
    original = matplotlib.axes.Axes.set_yticklabels

    def record(self, labels, **kwargs):
        seen.append([str(label) for label in labels])
        return original(self, labels, **kwargs)

    monkeypatch.setattr(matplotlib.axes.Axes, "set_yticklabels", record)
    from PIL import Image

    small = plot_accuracy(_metrics(24), tmp_path / "a.png")
    large = plot_accuracy(_metrics(100), tmp_path / "b.png")
    assert Image.open(large).size[1] > 3 * Image.open(small).size[1] / 1.5
    metrics = _metrics(24)
    first = metrics[metrics["model"] == "runs/x/finetuned"].set_index("lang")["accuracy"]
    assert seen[0] == first.sort_values().index.tolist()  # bottom to top: the best language on top
