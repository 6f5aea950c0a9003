"""`auto` against the fine-tuned model pooled over seeds: one paired interval per benchmark, the test ids
resampled together across seeds (every seed is scored on the same ids, so their changes are not independent).

    python benchmarks/pooled.py                     # every benchmark with auto-<dev> results under --root
    python benchmarks/pooled.py --bench xnli --dev full

For each seed, the chosen model's test predictions are made once (fp32, as auto_dev.py's test comparison) and
kept beside its result.json as test-predictions-chosen.parquet; the fine-tuned model's come from quality.py's
test-predictions-baseline.parquet. A seed where `auto` kept the fine-tuned model changes nothing. Each seed's
own change is recomputed from these predictions and must equal the one in its result.json (else the script
stops): the pooled figure is built from the same rows as the per-seed ones. The pooled change is the mean of
the seeds' changes; its 95% interval is a percentile bootstrap over test ids (1,000 resamples).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from quality import BENCHES  # noqa: E402

RESAMPLES = 1000
WHAT = ("en", "average", "gap")


def correct_matrix(predictions: Path, test: pd.DataFrame, languages: list[str], ids: pd.Index) -> np.ndarray:
    """Right (1) or wrong (0) per (language, test id) of `predictions` on `test`'s rows; NaN where absent."""
    pred = pd.read_parquet(predictions, columns=["id", "lang", "pred"])
    rows = test.merge(pred, on=["id", "lang"], how="left", validate="one_to_one")
    if rows["pred"].isna().any():
        raise SystemExit(f"{predictions}: no prediction for {int(rows['pred'].isna().sum())} test rows")
    matrix = np.full((len(languages), len(ids)), np.nan)
    matrix[pd.Index(languages).get_indexer(rows["lang"]), ids.get_indexer(rows["id"])] = (
        rows["pred"].to_numpy() == rows["label"].to_numpy()
    )
    return matrix


def changes(pairs: list[tuple[np.ndarray, np.ndarray]], languages: list[str], source: str) -> dict:
    """Mean over seeds of (other − base) in points, for English, the average and the gap, with the observed
    value first and then each bootstrap resample's (ids resampled once for every seed)."""
    present = ~np.isnan(pairs[0][0])
    n_ids = present.shape[1]
    weights = np.random.default_rng(42).multinomial(n_ids, np.full(n_ids, 1 / n_ids), size=RESAMPLES)
    weights = np.vstack([np.ones(n_ids), weights])
    count = weights @ present.T.astype(float)
    j = languages.index(source)
    others = [k for k in range(len(languages)) if k != j]
    out = {k: np.zeros(len(weights)) for k in WHAT}
    for base, other in pairs:
        acc_a = (weights @ np.nan_to_num(base).T) / count
        acc_b = (weights @ np.nan_to_num(other).T) / count
        out["en"] += 100 * (acc_b[:, j] - acc_a[:, j]) / len(pairs)
        out["average"] += 100 * (acc_b.mean(axis=1) - acc_a.mean(axis=1)) / len(pairs)
        gap_a = acc_a[:, j] - acc_a[:, others].mean(axis=1)
        gap_b = acc_b[:, j] - acc_b[:, others].mean(axis=1)
        out["gap"] += 100 * (gap_b - gap_a) / len(pairs)
    return out


def chosen_predictions(result: dict, run: Path, test_file: Path, max_length: int) -> Path | None:
    """The chosen model's test predictions (made once), or None when auto kept the fine-tuned model."""
    from alsace_cli.configs import PredictConfig
    from alsace_cli.stages.predict import predict

    if result["choice"]["chosen"] is None:
        return None
    out = run / "test-predictions-chosen.parquet"
    if not out.exists():
        config = PredictConfig(
            model=str(run / "distilled"),
            data=str(test_file),
            out=str(out),
            max_length=max_length,
            precision="fp32",
        )
        predict(config)
    return out


def pooled(bench_name: str, root: Path, dev: str) -> dict | None:
    """Per-seed and pooled changes of one benchmark's `auto-<dev>` runs (None when it has none)."""
    bench = BENCHES[bench_name]()
    runs = sorted(root.glob(f"{bench_name}/seed*/auto-{dev}-bf16/result.json"))
    if not runs:
        return None
    data = root / bench_name / "data"
    test_file = runs[0].parent / "test.parquet"
    test_file = test_file if test_file.exists() else data / "test.parquet"
    test = pd.read_parquet(test_file, columns=["id", "lang", "label"])
    languages, ids = sorted(test["lang"].unique()), pd.Index(sorted(test["id"].unique()))
    pairs, seeds = [], []
    for found in runs:
        result, run = json.loads(found.read_text()), found.parent
        base = correct_matrix(run.parent / "test-predictions-baseline.parquet", test, languages, ids)
        chosen = chosen_predictions(result, run, test_file, bench.max_length)
        other = base if chosen is None else correct_matrix(chosen, test, languages, ids)
        mine = changes([(base, other)], languages, "en")
        logged = {r.get("lang") or r["what"]: r["difference"] for r in result["comparisons"]}
        for k in WHAT:
            if chosen is not None and abs(mine[k][0] - logged[k]) > 1e-6:
                raise SystemExit(f"{found}: {k} recomputed {mine[k][0]:+.4f}, result.json {logged[k]:+.4f}")
        pairs.append((base, other))
        seeds.append({"seed": result["seed"], "chosen": result["choice"]["chosen"], **_row(mine)})
    return {"bench": bench_name, "dev": dev, "seeds": seeds, "pooled": _row(changes(pairs, languages, "en"))}


def _row(values: dict) -> dict:
    return {
        k: {
            "difference": round(float(v[0]), 2),
            "ci_low": round(float(np.percentile(v[1:], 2.5)), 2),
            "ci_high": round(float(np.percentile(v[1:], 97.5)), 2),
        }
        for k, v in values.items()
    }


def cell(row: dict) -> str:
    return f"{row['difference']:+.2f} [{row['ci_low']:+.2f}, {row['ci_high']:+.2f}]"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--bench", choices=sorted(BENCHES), action="append")
    parser.add_argument("--dev", default="full")
    parser.add_argument("--root", default=str(ROOT / "benchmarks/runs/quality"))
    args = parser.parse_args()
    print("| bench | seeds (chosen) | English [95% CI] | average [95% CI] | gap [95% CI] |")
    print("|---|---|---|---|---|")
    for name in args.bench or sorted(BENCHES):
        found = pooled(name, Path(args.root), args.dev)
        if found is None:
            continue
        chosen = ", ".join(f"{s['seed']} ({s['chosen'] or 'fine-tuned'})" for s in found["seeds"])
        p = found["pooled"]
        print(f"| {name} | {chosen} | {cell(p['en'])} | {cell(p['average'])} | {cell(p['gap'])} |")
        out = Path(args.root) / name / f"pooled-{args.dev}.json"
        out.write_text(json.dumps(found, indent=2))


if __name__ == "__main__":
    main()
