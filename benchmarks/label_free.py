"""Does a label-free signal track the target-language dev change? (issue 34, part 4)

At every guard check the guard logs, beside the dev accuracy, two signals that read no label, computed on
the same dev rows (ids distillation never trains on): `dev_agreement`, the share of rows that agree with
their id's majority prediction across languages, and `dev_vote_agreement`, the share that agree with step
0's majority vote of their id. This script reads the train logs of `benchmarks/auto_dev.py`'s candidates and
applies the rule written before the runs:

    adopt a signal as the guard's criterion without target rows only if, over at least 30 checks across at
    least 2 benchmarks, Spearman's ρ between its change and the multilingual dev accuracy change (both
    against step 0) is ≥ 0.6, and on no benchmark the check it ranks best is one the dev set shows
    significantly worse than step 0 (the guard's sign test, p < 0.05).

    python benchmarks/label_free.py                 # every auto-* run under benchmarks/runs/quality
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
SIGNALS = ("dev_agreement", "dev_vote_agreement")
MIN_CHECKS, MIN_BENCHES, MIN_RHO, ALPHA = 30, 2, 0.6, 0.05


def checks(root: Path) -> pd.DataFrame:
    """One row per check after step 0 of every candidate of every auto run: the changes against step 0."""
    rows = []
    for log_path in sorted(root.glob("*/seed*/auto-*/distilled-*/train_log.parquet")):
        log = pd.read_parquet(log_path)
        if not set(SIGNALS) <= set(log.columns):
            continue
        log = log[log["dev_accuracy"].notna()].sort_values("step")
        start = log.iloc[0]
        for _, check in log.iloc[1:].iterrows():
            row = {
                "bench": log_path.parts[-5],
                "seed": log_path.parts[-4],
                "run": log_path.parts[-3],
                "candidate": log_path.parts[-2],
                "step": int(check["step"]),
                "dev_change": 100 * (check["dev_accuracy"] - start["dev_accuracy"]),
                "dev_p_worse": check["dev_p_worse"],
            }
            row.update({s: 100 * (check[s] - start[s]) for s in SIGNALS})
            rows.append(row)
    return pd.DataFrame(rows)


def verdict(found: pd.DataFrame, signal: str) -> dict:
    rho = found[[signal, "dev_change"]].rank().corr().iloc[0, 1] if len(found) > 2 else float("nan")
    picks = found.loc[found.groupby(["bench", "seed", "run", "candidate"])[signal].idxmax()]
    harmful = int((picks["dev_p_worse"] < ALPHA).sum())
    enough = len(found) >= MIN_CHECKS and found["bench"].nunique() >= MIN_BENCHES
    adopted = enough and rho >= MIN_RHO and harmful == 0
    return {
        "signal": signal,
        "checks": len(found),
        "benches": found["bench"].nunique(),
        "spearman": round(rho, 3),
        "picks significantly worse": harmful,
        "adopted": adopted,
        "why": "adopted"
        if adopted
        else (
            "too few checks or benchmarks for the rule" if not enough else "ρ below the bar or a harmful pick"
        ),
    }


def by_bench(found: pd.DataFrame) -> pd.DataFrame:
    """Each signal's Spearman ρ within each benchmark (the rule pools them; this shows where each stands)."""
    rows = []
    for bench, group in found.groupby("bench"):
        row = {"bench": bench, "checks": len(group)}
        for signal in SIGNALS:
            row[signal] = round(group[[signal, "dev_change"]].rank().corr().iloc[0, 1], 3)
        rows.append(row)
    return pd.DataFrame(rows)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--root", default=str(ROOT / "benchmarks/runs/quality"))
    found = checks(Path(parser.parse_args().root))
    if found.empty:
        raise SystemExit("no auto run with label-free signals: run benchmarks/auto_dev.py first")
    print(found.round(2).to_string(index=False))
    print(by_bench(found).to_string(index=False))
    print(pd.DataFrame([verdict(found, s) for s in SIGNALS]).to_string(index=False))


if __name__ == "__main__":
    main()
