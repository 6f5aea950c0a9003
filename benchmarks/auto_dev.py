"""`--recipe auto` on a benchmark: the candidates distilled from quality.py's fine-tuned model of a seed, each
under the guard on a dev set in the target languages, the choice between them (stages/choose_recipe.py, the
code `alsace run` runs), the chosen model on the benchmark's test ids, paired against the fine-tuned model.

    python benchmarks/quality.py --bench xnli --seeds 1 --rows baseline     # the fine-tuned model first
    python benchmarks/auto_dev.py --bench xnli --seed 1 --dev full          # then auto on it

Dev sets (written before the runs): `full`, the bench's labeled tune slice in every language (a perfect
translation's stand-in, disjoint from the corpus and the test ids: XNLI dev ids 500-799, PAWS-X dev ids
1000-1299, XCOPA test ids 400-499, whose test comparison then reports ids 0-399); `small`, its first 50
ids per language; `pivot`, its English rows plus the alphabetically first other language. The candidates
run as `alsace run --recipe auto` runs them (each recipe's [distill], guard rule `best`, the run's
precision: `--precision`, default bf16 here, fp32 for the grid's rows). Prints the per-candidate dev table,
the choice, the test comparison and each step's wall time; writes <root>/<bench>/seed<N>/auto-<dev>/result.json.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from quality import BENCHES  # noqa: E402

from alsace_cli.stages.run_settings import auto_distill_sections  # noqa: E402

SMALL_IDS = 50


def dev_set(kind: str, tune: Path, out: Path, source: str = "en") -> Path:
    """The dev set of `kind`, cut from the bench's tune slice (ids and rows unchanged)."""
    from alsace_cli.io.artifacts import load_dataset, write_artifact

    if kind == "full" or out.exists():
        return tune if kind == "full" else out
    dataset = load_dataset(tune)
    frame = dataset.frame
    if kind == "small":
        keep = list(dict.fromkeys(frame["id"]))[:SMALL_IDS]
        frame = frame[frame["id"].isin(keep)]
    elif kind == "pivot":
        other = sorted(set(frame["lang"]) - {source})[0]
        frame = frame[frame["lang"].isin([source, other])]
    write_artifact(frame.reset_index(drop=True), out, "dataset", dict(dataset.meta))
    return out


def test_set(bench, data: Path, out: Path) -> Path:
    """The bench's test rows, less the tune slice's ids where that slice was cut from the test files."""
    from alsace_cli.io.artifacts import load_dataset, write_artifact

    if not bench.tune_from_test:
        return data / "test.parquet"
    if not out.exists():
        test = load_dataset(data / "test.parquet")
        held = set(load_dataset(data / "tune.parquet").frame["id"])
        frame = test.frame[~test.frame["id"].isin(held)].reset_index(drop=True)
        write_artifact(frame, out, "dataset", dict(test.meta))
    return out


def candidate_config(
    bench, s: Path, data: Path, dev: Path, out: Path, precision: str, seed: int, settings: dict
):
    """One candidate's distill config: its recipe's [distill] `settings`, the seed's artifacts as inputs (a
    teacher's predictions and languages only where it reads them; the English training set only under a
    cross-entropy term)."""
    from alsace_cli.configs import DistillConfig
    from alsace_cli.training.teachers import teacher_class

    needs = teacher_class(settings.get("teacher", "live")).needs
    return DistillConfig(
        model=str(s / "finetuned"),
        data=str(data / "unlabeled.parquet"),
        pairs=str(s / "pairs-confidence.parquet"),
        out=str(out),
        dev=str(dev),
        max_length=bench.max_length,
        seed=seed,
        precision=precision,
        predictions=str(s / "predictions.parquet") if "predictions" in needs else None,
        languages=str(s / "languages-confidence.parquet") if "languages" in needs else None,
        train=str(data / "train.parquet") if settings.get("ce_weight", 0) > 0 else None,
        **settings,
    )


def distill_candidates(bench, s: Path, data: Path, dev: Path, out: Path, precision: str, seed: int) -> dict:
    """Each candidate distilled under the guard on `dev`; returns {name: (directory, wall seconds)}."""
    from alsace_cli.stages.distill import distill

    done = {}
    for name, settings in auto_distill_sections({}).items():
        target = out / f"distilled-{name}"
        start = time.perf_counter()
        if not target.exists():
            config = candidate_config(bench, s, data, dev, target, precision, seed, dict(settings))
            distill(config, resume="auto")
        done[name] = (str(target), round(time.perf_counter() - start, 1))
    return done


def on_test(bench, s: Path, data: Path, out: Path, models: list[Path], metrics: Path) -> None:
    """`models` and the fine-tuned model (first: each is compared with it) on the test ids, in fp32."""
    from alsace_cli.configs import EvalConfig
    from alsace_cli.stages.evaluate import evaluate

    if metrics.exists():
        return
    evaluate(
        EvalConfig(
            models=[str(s / "finetuned"), *map(str, models)],
            data=str(test_set(bench, data, out / "test.parquet")),
            out=str(metrics),
            languages=str(s / "languages-confidence.parquet"),
            max_length=bench.max_length,
            precision="fp32",
        )
    )


def candidates_on_test(bench, s: Path, data: Path, out: Path) -> list[dict]:
    """Each candidate's kept checkpoint alone on the test ids, paired against the fine-tuned model (one eval
    of all four models: each is compared with the first)."""
    from alsace_cli.io.artifacts import read_artifact

    result = json.loads((out / "result.json").read_text())
    names = [c["recipe"] for c in result["choice"]["candidates"]]
    metrics = out / "metrics-candidates.parquet"
    on_test(bench, s, data, out, [out / f"distilled-{n}" for n in names], metrics)
    comparisons = read_artifact(metrics, "metrics").meta.get("comparisons", [])
    rows = []
    for name in names:
        mine = {
            (r.get("lang") or r["what"]): r for r in comparisons if r["model"].endswith(f"distilled-{name}")
        }
        candidate = next(c for c in result["choice"]["candidates"] if c["recipe"] == name)
        rows.append({"recipe": name, "kept_step": candidate.get("kept_step"), "test": mine})
    (out / "candidates.json").write_text(json.dumps(rows, indent=2, default=str))
    return rows


def dev_cell(c: dict) -> str:
    return f"{c['change_points']:+.2f} [{c['ci_low']:+.2f}, {c['ci_high']:+.2f}], {c['p_holm']:.3g}"


def print_candidates(result: dict, rows: list[dict]) -> None:
    print(
        "| bench, seed, dev set | candidate (kept step) | dev change [95% CI], Holm p | English [95% CI] | average [95% CI] | gap |"
    )
    print("|---|---|---|---|---|---|")
    chosen = {c["recipe"]: c for c in result["choice"]["candidates"]}
    for row in rows:
        test = row["test"]
        cell = {
            k: f"{test[k]['difference']:+.2f} [{test[k]['ci_low']:+.2f}, {test[k]['ci_high']:+.2f}]"
            for k in ("en", "average")
            if k in test
        }
        print(
            f"| {result['bench']}, seed {result['seed']}, {result['dev']} | {row['recipe']} ({row['kept_step']}) "
            f"| {dev_cell(chosen[row['recipe']])} | {cell.get('en', '')} | {cell.get('average', '')} | {test['gap']['difference']:+.2f} |"
        )


def summarize(root: Path) -> None:
    """Every auto run's choice and test comparison under `root`, as the Markdown rows BENCHMARKS.md quotes."""
    from alsace_cli.stages.choose_recipe import choose

    print(
        "| bench, seed, dev set | rows | chosen (kept step) | dev change [95% CI] | English | average [95% CI] | gap | worst |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for found in sorted(root.glob("*/seed*/auto-*/result.json")):
        result = json.loads(found.read_text())
        dirs = {
            c["recipe"]: str(found.parent / f"distilled-{c['recipe']}")
            for c in result["choice"]["candidates"]
        }
        winner, summaries = choose(
            dirs, result["choice"]["alpha"]
        )  # today's code: ids resampled with their rows
        rows = {(r.get("lang") or r["what"]): r for r in result["comparisons"]}
        test = {k: f"{rows[k]['difference']:+.2f}" for k in ("en", "average", "gap") if k in rows}
        ci = (
            f"[{rows['average']['ci_low']:+.2f}, {rows['average']['ci_high']:+.2f}]"
            if "average" in rows
            else ""
        )
        worst = min(
            (r for r in result["comparisons"] if r["what"] == "language"), key=lambda r: r["difference"]
        )
        dev = (
            f"{winner['change_points']:+.2f} [{winner['ci_low']:+.2f}, {winner['ci_high']:+.2f}]"
            if winner
            else "none qualified"
        )
        chosen = f"{winner['recipe']} ({winner['kept_step']})" if winner else "fine-tuned model"
        n = len(pd.read_parquet(found.parent / "distilled" / "guard_dev.parquet")) if winner else "-"
        print(
            f"| {result['bench']}, seed {result['seed']}, {result['dev']} | {n} | {chosen} | {dev} | {test.get('en', '')} | {test.get('average', '')} {ci} | "
            f"{test.get('gap', '')} | {worst['lang']} {worst['difference']:+.2f} |"
        )
        for c in summaries:
            print(
                f"|   {c['recipe']} | | step {c['kept_step']} | {c['change_points']:+.2f} [{c['ci_low']:+.2f}, "
                f"{c['ci_high']:+.2f}], Holm p {c['p_holm']:.3g} | | | | |"
            )
        print(f"|   distill wall time (s) | {result['distill_seconds']} | | | | | | |")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--bench", default="xnli", choices=sorted(BENCHES))
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--dev", default="full", choices=("full", "small", "pivot"))
    parser.add_argument("--precision", default="bf16")
    parser.add_argument("--root", default=str(ROOT / "benchmarks/runs/quality"))
    parser.add_argument("--summarize", action="store_true", help="print every finished run's rows and stop")
    parser.add_argument(
        "--candidates", action="store_true", help="each candidate of a finished run alone on test, and stop"
    )
    args = parser.parse_args()
    if args.summarize:
        return summarize(Path(args.root))
    if args.candidates:
        bench = BENCHES[args.bench]()
        s = Path(args.root) / bench.name / f"seed{args.seed}"
        out = s / f"auto-{args.dev}-{args.precision}"
        rows = candidates_on_test(bench, s, s.parent / "data", out)
        return print_candidates(json.loads((out / "result.json").read_text()), rows)
    from alsace_cli.stages.choose_recipe import choose_recipe
    from alsace_cli.stages.pairs import PairsConfig, make_pairs

    bench = BENCHES[args.bench]()
    root = Path(args.root) / bench.name
    s, data = root / f"seed{args.seed}", root / "data"
    if not (s / "finetuned").exists() or not (data / "tune.parquet").exists():
        sys.exit(
            f"error: run `python benchmarks/quality.py --bench {bench.name} --seeds {args.seed} --rows baseline` first"
        )
    out = s / f"auto-{args.dev}-{args.precision}"
    out.mkdir(parents=True, exist_ok=True)
    dev = dev_set(args.dev, data / "tune.parquet", out / "dev.parquet")
    pairs = s / "pairs-confidence.parquet"
    if not pairs.exists():
        make_pairs(
            PairsConfig(
                data=str(data / "unlabeled.parquet"),
                languages=str(s / "languages-confidence.parquet"),
                out=str(pairs),
            )
        )
    done = distill_candidates(bench, s, data, dev, out, args.precision, args.seed)
    choice = choose_recipe(
        {n: d for n, (d, _) in done.items()}, str(s / "finetuned"), str(out / "distilled"), 0.05
    )
    metrics = out / "metrics.parquet"
    on_test(bench, s, data, out, [out / "distilled"], metrics)
    from alsace_cli.io.artifacts import read_artifact

    comparisons = read_artifact(metrics, "metrics").meta.get("comparisons", [])
    result = {
        "bench": bench.name,
        "seed": args.seed,
        "dev": args.dev,
        "precision": args.precision,
        "distill_seconds": {n: t for n, (_, t) in done.items()},
        "choice": choice,
        "comparisons": comparisons,
    }
    (out / "result.json").write_text(json.dumps(result, indent=2, default=str))
    for row in comparisons:
        name = row.get("lang") or row["what"]
        print(f"{name}: {row['difference']:+.2f} [{row['ci_low']:+.2f}, {row['ci_high']:+.2f}]")
    print(f"distill wall time per candidate (s): {result['distill_seconds']}")


if __name__ == "__main__":
    main()
