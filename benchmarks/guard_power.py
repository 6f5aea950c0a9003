"""Would a paired test on each dev row's gold-label probability tell harm from gain better than McNemar's?

A benchmark, not a test. It reads the models that `benchmarks/quality.py` left under --root (each seed's
fine-tuned model and its distilled rows), runs `predict` on the bench's English dev set (the rows the guard
checks), and compares each distilled model with its seed's fine-tuned one (step 0) on the same dev rows:

- McNemar's exact test on right/wrong (the guard's test today): rows better, rows worse, one-sided p;
- on P(gold label | x): the sign test (rows up, rows down, p), a one-sided paired t test, and a one-sided
  Wilcoxon signed-rank test;
- beside them, what the test set says: English and average accuracy change against the seed's baseline.

A useful guard test is small (p < 0.05) where the test set shows harm and large where it shows gain.

    python benchmarks/guard_power.py                # every distilled model found; about 1 min a model here

Then it replays the paired rule's harm clause (training/guard.py) on every train log found.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import tomllib
from quality import BENCHES as QUALITY_BENCHES  # each bench's max_length, as quality.py ran it
from scipy import stats

from alsace_cli.training.guard import sign_test_worse

ROOT = Path(__file__).resolve().parent.parent
BENCHES = ("xnli-2ep", "xcopa", "pawsx")


CACHE: dict[Path, tuple[np.ndarray, np.ndarray]] = {}


def gold_probs(model: Path, dev: Path, max_length: int, work: Path) -> tuple[np.ndarray, np.ndarray]:
    """(P(gold label), 1.0 if the argmax is gold) per dev row, in the dev file's row order."""
    from alsace_cli.stages.predict import PredictConfig, predict

    if model in CACHE:
        return CACHE[model]
    out = work / f"{len(CACHE)}.parquet"
    predict(PredictConfig(model=str(model), data=str(dev), out=str(out), max_length=max_length))
    frame = pd.read_parquet(dev)[["id", "lang", "label"]]
    predicted = frame.merge(pd.read_parquet(out), on=["id", "lang"], how="left", validate="one_to_one")
    probs = np.stack(predicted["probs"].to_numpy())
    gold = predicted["label"].to_numpy(dtype=np.int64)
    CACHE[model] = probs[np.arange(len(gold)), gold], (probs.argmax(axis=1) == gold).astype(float)
    return CACHE[model]


def accuracy_change(metrics: Path, baseline: Path) -> tuple[float, float]:
    """(English, average over languages) test accuracy of `metrics` minus `baseline`'s, in points."""

    def figures(path: Path) -> tuple[float, float]:
        m = pd.read_parquet(path)
        return 100 * float(m.loc[m["lang"] == "en", "accuracy"].iloc[0]), 100 * float(m["accuracy"].mean())

    (en, avg), (en0, avg0) = figures(metrics), figures(baseline)
    return en - en0, avg - avg0


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--root", default=str(ROOT / "benchmarks/runs/quality"))
    parser.add_argument(
        "--bench", default=",".join(BENCHES), help="comma-separated, from: " + ", ".join(BENCHES)
    )
    args = parser.parse_args()
    root = Path(args.root)
    lines = [
        "| bench | seed | row | dev acc 0 → kept | McNemar better/worse, p | gold-prob up/down, sign p "
        "| paired t, p | Wilcoxon p | test Δ English | test Δ avg |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    with tempfile.TemporaryDirectory() as tmp:
        for bench in args.bench.split(","):
            dev = root / bench / "data/dev_en.parquet"
            for seed_dir in sorted(root.glob(f"{bench}/seed*")) + sorted(root.glob(f"{bench}/kl-live-*")):
                finetuned = (
                    seed_dir if seed_dir.name.startswith("seed") else root / bench / "seed1"
                ) / "finetuned"
                if not (dev.exists() and finetuned.exists()):
                    continue
                base_dir = finetuned.parent
                p0, right0 = gold_probs(finetuned, dev, QUALITY_BENCHES[bench]().max_length, Path(tmp))
                for model in sorted(seed_dir.glob("distilled-*")):
                    row = model.name.removeprefix("distilled-")
                    if not (seed_dir / f"metrics-{row}.parquet").exists():
                        continue
                    p1, right1 = gold_probs(model, dev, QUALITY_BENCHES[bench]().max_length, Path(tmp))
                    if np.array_equal(p1, p0):  # the guard kept step 0: nothing to test
                        continue
                    b, c, p_mcnemar = sign_test_worse(right0, right1)  # the guard's own test
                    up, down, p_sign = sign_test_worse(p0, p1)
                    t = stats.ttest_rel(p1, p0, alternative="less")
                    w = stats.wilcoxon(p1, p0, alternative="less")
                    d_en, d_avg = accuracy_change(
                        seed_dir / f"metrics-{row}.parquet", base_dir / "metrics-baseline.parquet"
                    )
                    lines.append(
                        f"| {bench} | {seed_dir.name} | {row} | {right0.mean():.3f} → {right1.mean():.3f} "
                        f"| {b}/{c}, {p_mcnemar:.3g} | {up}/{down}, {p_sign:.3g} "
                        f"| {t.statistic:+.2f}, {t.pvalue:.3g} | {w.pvalue:.3g} | {d_en:+.2f} | {d_avg:+.2f} |"
                    )
                    print(lines[-1], file=sys.stderr, flush=True)
    print("\n".join(lines))
    print()
    print(replay_harm_clause(root))


def replay_harm_clause(root: Path) -> str:
    """Which runs on disk the paired rule's harm clause changes, re-read from each train log: a run with a
    check significantly worse than step 0 whose last check still scores below step 0 falls back to its best
    dev score. (The last check is what these runs kept unless a check was significantly better.)"""
    lines = [
        "| run | first check significantly worse than step 0 | dev at step 0 → last | the clause rolls back |",
        "|---|---|---|---|",
    ]
    for path in sorted(root.glob("*/*/distilled-*/train_log.parquet")):
        config = tomllib.loads((path.parent / "alsace_config.toml").read_text())
        if config.get("distill", config).get("guard_rule") == "best":
            continue  # the old rule: the clause does not apply
        log = pd.read_parquet(path)
        if "dev_accuracy" not in log or log["dev_accuracy"].isna().all():
            continue
        checks = log.dropna(subset=["dev_accuracy"]).sort_values("step")
        first, last = checks.iloc[0], checks.iloc[-1]
        harm = checks[(checks["step"] > 0) & (checks["dev_p_worse"] < 0.05)]
        harmed = (
            f"step {int(harm.iloc[0].step)} (p = {harm.iloc[0].dev_p_worse:.3g})" if len(harm) else "none"
        )
        rolls_back = len(harm) > 0 and last.dev_accuracy < first.dev_accuracy
        run = "/".join(path.parts[-4:-1])
        lines.append(
            f"| {run} | {harmed} | {first.dev_accuracy:.3f} → {last.dev_accuracy:.3f} "
            f"| {'yes' if rolls_back else 'no'} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
