"""Two rows of a quality.py benchmark compared on the same test ids, per seed and pooled over the seeds.

    python benchmarks/paired_rows.py --bench xnli --seeds 1,2,3 --rows baseline,baseline-bf16

For each seed: the second row's change in English, average accuracy and gap against the first, with the
paired 95% bootstrap interval over the test ids (1,000 resamples) and McNemar's exact p for English. Then
the mean ± std over seeds and the seeds pooled (each id's outcome averaged over the seeds, resampled by id).
Reads the test predictions quality.py saved (benchmarks/runs/quality/BENCH/seedK/test-predictions-ROW.parquet).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from recipes_report import changes, interval, load_run, pooled, spread, test_labels  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--bench", required=True)
    parser.add_argument("--seeds", default="1,2,3")
    parser.add_argument("--rows", required=True, help="REFERENCE,OTHER")
    args = parser.parse_args()
    reference, other = args.rows.split(",")
    seeds = [int(s) for s in args.seeds.split(",")]
    runs = {reference: {}, other: {}}
    for seed in seeds:
        labels = test_labels(args.bench, seed)
        for row in runs:
            run = load_run(args.bench, seed, row, labels)
            if run is None:
                raise SystemExit(f"{args.bench} seed {seed}: no test predictions for row {row!r}")
            runs[row][seed] = run
    delta = changes(runs[reference], runs[other])
    print(
        f"{other} against {reference} on {args.bench}, in points (test ids × languages: "
        f"{runs[reference][seeds[0]].outcomes.matrix.size:,} outcomes per seed)"
    )
    print("| seed | English | 95% CI | McNemar p | avg acc | 95% CI | gap |")
    print("|---|---|---|---|---|---|---|")
    for _, row in delta.iterrows():
        print(
            f"| {row['seed']} | {row['english']:+.2f} | {interval(row['english_ci'])} | {row['mcnemar_en']:.3f} | "
            f"{row['average']:+.2f} | {interval(row['average_ci'])} | {row['gap']:+.2f} |"
        )
    pool = pooled(runs[reference], runs[other])
    print(
        f"| mean ± std | {spread(delta['english'])} | pooled {interval(pool['english'][1:])} | - | "
        f"{spread(delta['average'])} | pooled {interval(pool['average'][1:])} | {spread(delta['gap'])} |"
    )


if __name__ == "__main__":
    main()
