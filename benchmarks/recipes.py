"""The recipe grid of BENCHMARKS.md's rule: every candidate recipe on every benchmark, then the rule.

    python benchmarks/recipes.py --phase 1                    # seed 1: every candidate (paper: XCOPA only)
    python benchmarks/recipes.py --phase 2 --recipes A,B      # seeds 2 and 3 of the survivors
    python benchmarks/recipes.py --summarize                  # tables and the rule's outcome

Each run goes through quality.py or weak_majority.py, whose steps are skipped when their artifacts exist,
so the grid resumes where it stopped. After each (benchmark, seed) the report exports its rows to
benchmarks/results/grid (committed), and a unit whose rows are all there is skipped, so the grid also
resumes on another machine. The summary reads only those artifacts (benchmarks/recipes_report.py).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
# The candidates and the benchmarks (cheapest information first) are the report's, written once there.
from recipes_report import BENCHES as ORDER  # noqa: E402
from recipes_report import RECIPES as CANDIDATES  # noqa: E402


def run(command: list[str]) -> None:
    print("$", " ".join(command), file=sys.stderr, flush=True)
    subprocess.run([sys.executable, *command], check=True, cwd=HERE.parent)


def exported(bench: str, seed: int) -> set[str]:
    """The rows benchmarks/results/grid already holds for (bench, seed): done, on whatever machine."""
    import json

    import pyarrow.parquet as pq

    path = HERE / "results" / "grid" / f"{bench}-seed{seed}.parquet"
    return set(json.loads(pq.read_schema(path).metadata[b"grid"])["rows"]) if path.exists() else set()


def grid(recipes: list[str], seeds: list[int], ceiling: bool, benches: list[str]) -> None:
    for bench in benches:
        names = [r for r in recipes if r != "paper" or bench == "xcopa"]
        for seed in seeds:
            extra = ["ceiling"] if ceiling and bench in ("xnli-2ep", "xnli", "xcopa") else []
            wanted = ["baseline", *names, *extra]
            if set(wanted) <= exported(bench, seed):
                print(
                    f"{bench} seed {seed}: every row is in benchmarks/results/grid, skipped", file=sys.stderr
                )
                continue
            rows = [f"recipe-{r}" for r in names]
            if bench == "weak":
                run(
                    [
                        str(HERE / "quality.py"),
                        "--bench",
                        "xnli-2ep",
                        "--seeds",
                        str(seed),
                        "--rows",
                        "baseline",
                    ]
                )
                run([str(HERE / "weak_majority.py"), "--seed", str(seed), "--rows", ",".join(rows)])
            else:
                run(
                    [
                        str(HERE / "quality.py"),
                        "--bench",
                        bench,
                        "--seeds",
                        str(seed),
                        "--rows",
                        ",".join(["baseline", *rows, *extra]),
                    ]
                )
            run([str(HERE / "recipes_report.py")])  # exports the unit: the grid outlives this machine


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--phase", type=int, choices=(1, 2))
    parser.add_argument("--recipes", default=",".join(CANDIDATES))
    parser.add_argument("--benches", default=",".join(ORDER), help="comma-separated, run in this order")
    parser.add_argument("--summarize", action="store_true")
    args = parser.parse_args()
    recipes, benches = args.recipes.split(","), args.benches.split(",")
    unknown = sorted(set(benches) - set(ORDER))
    if unknown:
        parser.error(f"--benches: unknown {unknown[0]!r} (known: {', '.join(ORDER)})")
    if args.phase == 1:
        grid(recipes, [1], ceiling=False, benches=benches)
        grid([], [1], ceiling=True, benches=benches)
    elif args.phase == 2:
        grid(recipes, [2, 3], ceiling=False, benches=benches)
    if args.summarize:
        run([str(HERE / "recipes_report.py")])


if __name__ == "__main__":
    main()
