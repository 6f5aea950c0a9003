"""benchmarks/paired_rows.py: two quality.py rows compared on the same test ids, per seed and pooled."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[2]


def test_the_change_per_seed_is_the_accuracy_difference_on_the_same_ids(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    labels = pd.DataFrame(
        [(str(i), lang, int(rng.integers(0, 3))) for lang in ("en", "de") for i in range(200)],
        columns=["id", "lang", "label"],
    )
    bench = tmp_path / "quality/toy"
    (bench / "data").mkdir(parents=True)
    labels.to_parquet(bench / "data/test.parquet")
    expected = []
    for seed in (1, 2):
        (bench / f"seed{seed}").mkdir()
        english = {}
        for row, accuracy in (("baseline", 0.6), ("other", 0.7)):
            right = rng.random(len(labels)) < accuracy
            pred = np.where(right, labels["label"], (labels["label"] + 1) % 3)
            labels.assign(pred=pred)[["id", "lang", "pred"]].sample(frac=1, random_state=seed).to_parquet(
                bench / f"seed{seed}/test-predictions-{row}.parquet"
            )  # shuffled: joined by id, not by position
            english[row] = 100 * right[labels["lang"].to_numpy() == "en"].mean()
        expected.append(english["other"] - english["baseline"])
    script = (
        f"import recipes_report, sys; recipes_report.RUNS = __import__('pathlib').Path({str(tmp_path)!r}); "
        f"import paired_rows; sys.argv = ['x', '--bench', 'toy', '--seeds', '1,2', '--rows', 'baseline,other']; "
        f"paired_rows.main()"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT / "benchmarks", capture_output=True, text=True, check=True
    ).stdout
    lines = {
        line.split("|")[1].strip(): line.split("|")[2].strip()
        for line in out.splitlines()
        if line.startswith("| ")
    }
    assert [float(lines[s]) for s in ("1", "2")] == [round(e, 2) for e in expected]
    assert lines["mean ± std"].startswith(f"{np.mean(expected):+.2f}")
