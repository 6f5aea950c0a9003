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
    rows = [
        {"model": model, "lang": lang, "accuracy": acc + shift, "role": "teacher" if acc > 0.6 else "student"}
        for model, shift in (("runs/x/finetuned", 0.0), ("runs/x/distilled", 0.02))
        for lang, acc in zip(langs, base, strict=True)
    ]
    return pd.DataFrame(rows)


def test_the_plot_grows_with_the_languages_up_to_40_and_sorts_them(tmp_path: Path, monkeypatch) -> None:
    import matplotlib.axes

    seen: list[list[str]] = []
    original = matplotlib.axes.Axes.set_yticklabels

    def record(self, labels, **kwargs):
        seen.append([str(label) for label in labels])
        return original(self, labels, **kwargs)

    monkeypatch.setattr(matplotlib.axes.Axes, "set_yticklabels", record)
    from PIL import Image

    small = plot_accuracy(_metrics(24), tmp_path / "a.png")
    medium = plot_accuracy(_metrics(40), tmp_path / "b.png")
    huge = plot_accuracy(_metrics(1000), tmp_path / "c.png")
    height = {k: Image.open(p).size[1] for k, p in (("small", small), ("medium", medium), ("huge", huge))}
    assert height["medium"] > 1.4 * height["small"]  # every language, one row each
    assert height["huge"] < height["medium"]  # past 40: the source and the 10 best and worst
    metrics = _metrics(24)
    first = metrics[metrics["model"] == "runs/x/finetuned"].set_index("lang")["accuracy"]
    assert seen[0] == first.sort_values().index.tolist()  # bottom to top: the best language on top


def test_select_table_and_warnings_stay_short_with_a_thousand_languages(monkeypatch) -> None:
    from io import StringIO

    from rich.console import Console

    from alsace_cli.runtime import report

    out = StringIO()
    monkeypatch.setattr(report, "console", Console(file=out, width=200))
    langs = [f"x{k:04d}" for k in range(999)] + ["en"]
    score = np.linspace(1.0, 2.0, 1000)
    score[-1] = 1.5  # the source language, in the middle
    languages = pd.DataFrame(
        {
            "lang": langs,
            "role": np.where(score >= score.mean(), "teacher", "student"),
            "avg_confidence": score / 2,
            "score": score / score.sum(),
            "n": 10,
        }
    )
    report.show_languages(languages, float(languages["score"].mean()), "en")
    text = out.getvalue()
    rows = [line for line in text.splitlines() if line.startswith("│")]
    assert len(rows) == 21 and any("│ en " in line or " en │" in line for line in rows)
    assert "x0998" in text and "x0000" in text and "x0500" not in text  # the highest and lowest ŝ
    assert "979 more in the output file" in text
    listed = report.few([f"l{k}" for k in range(100)])
    assert listed.startswith("l0, l1") and listed.endswith("l19 and 80 more (in the output file)")
