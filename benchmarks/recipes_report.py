"""The recipe grid's tables and the rule's outcome (BENCHMARKS.md, "Choosing the default recipe").

    python benchmarks/recipes_report.py          # reads benchmarks/runs/{quality,weak-majority}; writes
                                                 # benchmarks/runs/recipes/report.md and outcome.json

Reads only artifacts: each row's test predictions, joined to the benchmark's labeled test set, give a right
or wrong per (language, test id). Per benchmark and recipe: English, average accuracy, the gap (English −
the mean of the other languages) and the worst language, as the change against the fine-tuned baseline of
the same seed (mean ± std over the seeds run), each seed's paired 95% bootstrap interval over the test ids
(1,000 resamples, alsace_cli.method.paired_tests.compare), and the seeds pooled (the mean over seeds of each id's
outcome, resampled by id: an interval for the test sample, not for the seeds). Then the rule: phase 1's
pruning (seed 1), who qualifies, and the default.

The run folders are a machine's scratch space (gitignored); the grid outlives them through its exports:
every (benchmark, seed) found is written to benchmarks/results/grid/BENCH-seedK.parquet (one right/wrong
column per row, the kept steps and the machine in its metadata), merged with what was exported before,
and a row with no run folder is read from there. So a grid run over several sessions or machines adds up.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from alsace_cli.configs.recipes import default_name  # noqa: E402
from alsace_cli.method.paired_tests import Outcomes, compare  # noqa: E402

RUNS = ROOT / "benchmarks" / "runs"
EXPORTS = Path(os.environ.get("ALSACE_GRID_EXPORTS", ROOT / "benchmarks" / "results" / "grid"))
RECIPES = ["static", "static-ce", "static-ds", "ensemble-conf", "static-ds-ce", "paper"]  # the tie order
BENCHES = ["xnli-2ep", "xcopa", "weak", "pawsx", "xnli"]  # recipes.py runs them in this order: cheapest first
# How the grid was cut (recipes.py): `paper` runs on XCOPA only, so it cannot qualify.
RUNS_ON = {"paper": {"xcopa"}}
# Rows shown beside the candidates, not judged by the rule: each recipe under the fallback's guard rule
# (`gain`: the fine-tuned weights kept unless dev shows a gain; one of them is what a run naming no recipe
# gets), and the ceiling.
GAIN_ROWS = [f"{name}-gain" for name in RECIPES]
EXTRA_ROWS = [*GAIN_ROWS, "ceiling"]
DEFAULT_ROW = default_name()
# The rule, as written before the runs.
PRUNE_AVG, PRUNE_EN = -1.0, -1.5
QUALIFY_AVG, QUALIFY_EN = 0.0, -0.5


@dataclass
class Run:
    """One row of one seed on one benchmark: its outcomes and the summary figures, in points."""

    outcomes: Outcomes
    english: float
    average: float
    gap: float
    worst: float
    kept_step: int | None


def seed_dir(bench: str, seed: int) -> Path:
    return RUNS / ("weak-majority" if bench == "weak" else f"quality/{bench}") / f"seed{seed}"


def test_labels(bench: str, seed: int) -> pd.DataFrame:
    path = (
        seed_dir(bench, seed) / "test.parquet"
        if bench == "weak"
        else RUNS / f"quality/{bench}/data/test.parquet"
    )
    frame = pd.read_parquet(path, columns=["id", "lang", "label"])
    return frame.assign(id=frame["id"].astype(str))


def summarize(outcomes: Outcomes, kept_step: int | None) -> Run:
    accuracy = pd.Series(np.nanmean(outcomes.matrix, axis=1) * 100, index=outcomes.languages)
    others = accuracy.drop("en")
    return Run(
        outcomes,
        float(accuracy["en"]),
        float(accuracy.mean()),
        float(accuracy["en"] - others.mean()),
        float(others.min()),
        kept_step,
    )


def load_run(bench: str, seed: int, row: str, labels: pd.DataFrame) -> Run | None:
    folder = seed_dir(bench, seed)
    path = folder / f"test-predictions-{row}.parquet"
    if not path.exists():
        return None
    predictions = pd.read_parquet(path, columns=["id", "lang", "pred"])
    joined = labels.merge(
        predictions.assign(id=predictions["id"].astype(str)), on=["id", "lang"], how="inner"
    )
    if len(joined) != len(labels):
        raise SystemExit(f"{path}: {len(joined)} of the test set's {len(labels)} rows")
    correct = (joined["pred"].to_numpy() == joined["label"].to_numpy()).astype(float)
    languages = sorted(labels["lang"].unique())
    outcomes = Outcomes.from_rows(
        joined["id"].to_numpy(),
        joined["lang"].to_numpy(),
        correct,
        pd.Index(pd.unique(labels["id"])),
        languages,
    )
    provenance = folder / f"distilled-{row}" / "alsace_provenance.json"
    guard = json.loads(provenance.read_text()).get("guard", {}) if provenance.exists() else {}
    return summarize(outcomes, guard.get("kept_step"))


def export_path(bench: str, seed: int) -> Path:
    return EXPORTS / f"{bench}-seed{seed}.parquet"


def read_export(bench: str, seed: int) -> tuple[dict[str, Run], dict]:
    """The rows exported for (bench, seed): row name → Run, and the export's metadata."""
    import pyarrow.parquet as pq

    path = export_path(bench, seed)
    if not path.exists():
        return {}, {}
    table = pq.read_table(path)
    meta = json.loads(table.schema.metadata[b"grid"])
    frame = table.to_pandas()
    languages, ids = sorted(frame["lang"].unique()), pd.Index(pd.unique(frame["id"]))
    runs = {}
    for row in meta["rows"]:
        outcomes = Outcomes.from_rows(
            frame["id"].to_numpy(), frame["lang"].to_numpy(), frame[row].to_numpy(float), ids, languages
        )
        runs[row] = summarize(outcomes, meta["kept_steps"].get(row))
    return runs, meta


def write_export(bench: str, seed: int, runs: dict[str, Run], machines: dict[str, str]) -> None:
    """(bench, seed)'s rows as right/wrong columns, merged over what was exported before (a row run again
    replaces its old column). `machines`: row → where it ran."""
    import platform

    import pyarrow as pa
    import pyarrow.parquet as pq

    first = next(iter(runs.values())).outcomes
    ids = pd.Index(pd.unique(labels_ids(bench, seed)))
    lang_index, id_index = np.meshgrid(np.arange(len(first.languages)), np.arange(len(ids)), indexing="ij")
    frame = pd.DataFrame(
        {"id": ids.to_numpy()[id_index.ravel()], "lang": np.asarray(first.languages)[lang_index.ravel()]}
    )
    for row, run in runs.items():
        frame[row] = run.outcomes.matrix.ravel()
    frame = frame.dropna(subset=list(runs), how="all")
    meta = {
        "bench": bench,
        "seed": seed,
        "rows": list(runs),
        "kept_steps": {row: run.kept_step for row, run in runs.items()},
        "machines": machines,
        "python": platform.python_version(),
    }
    table = pa.Table.from_pandas(frame, preserve_index=False)
    table = table.replace_schema_metadata(
        {**(table.schema.metadata or {}), b"grid": json.dumps(meta).encode()}
    )
    EXPORTS.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, export_path(bench, seed), compression="zstd")


def labels_ids(bench: str, seed: int) -> np.ndarray:
    return test_labels(bench, seed)["id"].to_numpy()


def machine() -> str:
    import platform

    name = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                name = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{name}, {os.cpu_count()} cores"


def collect(export: bool = False) -> dict[str, dict[str, dict[int, Run]]]:
    """bench → row ('baseline' or a recipe) → seed → Run: each row from its run folder where there is one,
    else from the grid's export. With `export`, every (bench, seed) found is written back, merged."""
    found: dict[str, dict[str, dict[int, Run]]] = {}
    for bench in BENCHES:
        for seed in (1, 2, 3):
            runs, meta = read_export(bench, seed)
            machines = dict(meta.get("machines", {}))
            fresh = {}
            if seed_dir(bench, seed).exists() and (
                bench != "weak" or (seed_dir(bench, seed) / "test.parquet").exists()
            ):
                labels = test_labels(bench, seed)
                for row in ["baseline", *RECIPES, *EXTRA_ROWS]:
                    run = load_run(
                        bench, seed, row if row in ("baseline", "ceiling") else f"recipe-{row}", labels
                    )
                    if run is not None:
                        fresh[row] = run
            if (
                "baseline" in fresh
                and "baseline" in runs
                and not np.array_equal(
                    fresh["baseline"].outcomes.matrix, runs["baseline"].outcomes.matrix, equal_nan=True
                )
            ):
                # Another fine-tuned model: rows measured against the exported one cannot join this one's.
                if not set(runs) <= set(fresh):
                    raise SystemExit(
                        f"{export_path(bench, seed)}: its baseline differs from {seed_dir(bench, seed)}'s "
                        f"and the run folder lacks {sorted(set(runs) - set(fresh))}; move one of them aside"
                    )
                runs, machines = {}, {}
            if export and fresh:
                machines.update({row: machine() for row in fresh})
                write_export(bench, seed, {**runs, **fresh}, machines)
            for row, run in {**runs, **fresh}.items():
                found.setdefault(bench, {}).setdefault(row, {})[seed] = run
    return found


def changes(base: dict[int, Run], other: dict[int, Run]) -> pd.DataFrame:
    """Per seed both runs have: the change in English, average, gap and worst language, with intervals."""
    rows = []
    for seed in sorted(set(base) & set(other)):
        a, b = base[seed], other[seed]
        paired = {r["lang"] or r["what"]: r for r in compare(a.outcomes, b.outcomes, "en")}
        rows.append(
            {
                "seed": seed,
                "english": b.english - a.english,
                "average": b.average - a.average,
                "gap": b.gap - a.gap,
                "worst": b.worst - a.worst,
                "kept_step": b.kept_step,
                "english_ci": (paired["en"]["ci_low"], paired["en"]["ci_high"]),
                "average_ci": (paired["average"]["ci_low"], paired["average"]["ci_high"]),
                "mcnemar_en": paired["en"]["p_mcnemar"],
            }
        )
    return pd.DataFrame(rows)


def pooled(base: dict[int, Run], other: dict[int, Run]) -> dict[str, tuple[float, float, float]]:
    """The seeds' mean change in English and average, with a bootstrap interval over the test ids."""
    seeds = sorted(set(base) & set(other))
    mean = lambda runs: Outcomes(  # noqa: E731
        runs[seeds[0]].outcomes.languages,
        np.mean([runs[s].outcomes.matrix for s in seeds], axis=0),
    )
    paired = {r["lang"] or r["what"]: r for r in compare(mean(base), mean(other), "en")}
    return {
        k: (paired[key]["difference"], paired[key]["ci_low"], paired[key]["ci_high"])
        for k, key in (("english", "en"), ("average", "average"), ("gap", "gap"))
    }


def spread(values: pd.Series) -> str:
    return f"{values.mean():+.2f}" + (f" ± {values.std(ddof=1):.2f}" if len(values) > 1 else "")


def interval(low_high: tuple[float, float]) -> str:
    return f"[{low_high[0]:+.1f}, {low_high[1]:+.1f}]"


def closes(rows: dict[str, dict[int, Run]], name: str) -> str:
    """The share of the ceiling's seed-1 average gain that the row's seed-1 change reaches."""
    if "ceiling" not in rows or 1 not in rows["ceiling"] or 1 not in rows.get(name, {}) or name == "ceiling":
        return "-"
    base = rows["baseline"][1].average
    room = rows["ceiling"][1].average - base
    return f"{100 * (rows[name][1].average - base) / room:.0f}%" if room > 0 else "-"


def bench_table(bench: str, rows: dict[str, dict[int, Run]]) -> list[str]:
    base = rows["baseline"]
    absolute = lambda f: spread(pd.Series([getattr(r, f) for r in base.values()])).lstrip("+")  # noqa: E731
    lines = [
        f"### {bench} (baseline seeds: {', '.join(map(str, sorted(base)))})",
        "",
        "| row | seeds | English | avg acc | gap | worst lang | seed 1: 95% CI English / avg | pooled: avg [95% CI] "
        "| kept steps | of the ceiling's gain (seed 1) |",
        "|---|---|---|---|---|---|---|---|---|---|",
        f"| baseline (absolute) | {len(base)} | {absolute('english')} | {absolute('average')} | {absolute('gap')} | "
        f"{absolute('worst')} | - | - | - | - |",
    ]
    for name in [*RECIPES, *EXTRA_ROWS]:
        if name not in rows:
            continue
        delta = changes(base, rows[name])
        if delta.empty:
            continue
        first = delta.iloc[0]
        pool = pooled(base, rows[name])["average"]
        kept = ", ".join("-" if k is None or k != k else str(int(k)) for k in delta["kept_step"])
        label = f"`{name}` (the default)" if name == DEFAULT_ROW else f"`{name}`"
        lines.append(
            f"| {label} | {len(delta)} | {spread(delta['english'])} | {spread(delta['average'])} | "
            f"{spread(delta['gap'])} | {spread(delta['worst'])} | {interval(first['english_ci'])} / "
            f"{interval(first['average_ci'])} | {pool[0]:+.2f} {interval(pool[1:])} | {kept} | "
            f"{closes(rows, name)} |"
        )
    return lines + [""]


def rule(found: dict[str, dict[str, dict[int, Run]]]) -> dict:
    """Phase 1's pruning, then qualification and the default, exactly as written in BENCHMARKS.md."""
    verdicts: dict[str, dict] = {}
    for name in RECIPES:
        per_bench, pruned, missing = {}, [], []
        for bench in BENCHES:
            rows = found.get(bench, {})
            delta = changes(rows.get("baseline", {}), rows.get(name, {})) if name in rows else pd.DataFrame()
            if delta.empty:
                missing.append(bench)
                continue
            seed1 = delta[delta["seed"] == 1]
            if not seed1.empty and (
                seed1["average"].iloc[0] < PRUNE_AVG or seed1["english"].iloc[0] < PRUNE_EN
            ):
                pruned.append(
                    f"{bench}: avg {seed1['average'].iloc[0]:+.2f}, English {seed1['english'].iloc[0]:+.2f}"
                )
            per_bench[bench] = {
                "seeds": delta["seed"].tolist(),
                "english": float(delta["english"].mean()),
                "average": float(delta["average"].mean()),
            }
        shortfall = sum(
            max(0.0, QUALIFY_EN - b["english"]) + max(0.0, QUALIFY_AVG - b["average"])
            for b in per_bench.values()
        )
        verdicts[name] = {
            "benchmarks": per_bench,
            "missing": missing,
            "pruned": pruned,
            "qualifies": not missing and not pruned and shortfall == 0.0,
            "shortfall": shortfall,
            "mean_gain": float(np.mean([b["average"] for b in per_bench.values()])) if per_bench else None,
        }
    return {"recipes": verdicts, **choose(verdicts)}


def choose(verdicts: dict[str, dict]) -> dict:
    """The default by the rule, once every candidate has run where the cut runs it (else None and why)."""
    order = {name: k for k, name in enumerate(RECIPES)}
    pending = [n for n, v in verdicts.items() if v["missing"] and n not in RUNS_ON]
    can = [n for n, v in verdicts.items() if not v["pruned"] and n not in RUNS_ON]
    complete = [n for n, v in verdicts.items() if not v["missing"]]
    closest = lambda names: min(  # noqa: E731
        names, key=lambda n: (round(verdicts[n]["shortfall"], 2), -verdicts[n]["mean_gain"], order[n])
    )
    if pending and not can and complete:
        # A shortfall only grows with more benchmarks: a pending candidate already further from qualifying
        # than a complete one can never be the closest, so it need not run (branch and bound).
        bound = round(verdicts[closest(complete)]["shortfall"], 2)
        pending = [n for n in pending if round(verdicts[n]["shortfall"], 2) <= bound]
    if pending:
        settled = (
            "" if can else "none can qualify (every candidate is pruned or, by the cut, not run everywhere); "
        )
        return {
            "default": None,
            "guard_rule": None,
            "why": settled + f"waiting for {', '.join(pending)} on every benchmark's seed 1",
        }
    qualified = [n for n, v in verdicts.items() if v["qualifies"]]
    if qualified:
        best = min(qualified, key=lambda n: (-round(verdicts[n]["mean_gain"], 2), order[n]))
        return {
            "default": best,
            "guard_rule": "paired",
            "why": f"qualifies; largest mean gain of {qualified}",
        }
    best = closest(complete)
    return {
        "default": best,
        "guard_rule": "gain",
        "why": f"none qualifies; closest (shortfall {verdicts[best]['shortfall']:.2f} points)",
    }


def goals(found: dict[str, dict[str, dict[int, Run]]], name: str) -> list[str]:
    """Issue 25's goals for one recipe, each met or missed, from the means over the seeds run."""
    out = []

    def mean(bench: str, column: str) -> float | None:
        rows = found.get(bench, {})
        delta = changes(rows.get("baseline", {}), rows.get(name, {})) if name in rows else pd.DataFrame()
        return None if delta.empty else float(delta[column].mean())

    en, avg, gap = (mean("xnli-2ep", c) for c in ("english", "average", "gap"))
    if None not in (en, avg, gap):
        base_gap = float(np.mean([r.gap for r in found["xnli-2ep"]["baseline"].values()]))
        relative = 100 * gap / base_gap
        met = relative <= -20 and avg >= 1.0 and en >= -0.5
        out.append(
            f"XNLI: gap {relative:+.0f}% (goal −20%), average {avg:+.2f} (≥ +1.0), English {en:+.2f} "
            f"(≥ −0.5): {'met' if met else 'missed'}"
        )
    for bench in ("pawsx", "xcopa"):
        en, avg = mean(bench, "english"), mean(bench, "average")
        if en is not None:
            met = en >= -0.5 and avg >= 0
            out.append(
                f"{bench}: no harm (English {en:+.2f} ≥ −0.5, average {avg:+.2f} ≥ 0): {'met' if met else 'missed'}"
            )
    avg = mean("weak", "average")
    if avg is not None:
        out.append(
            f"weak majority: a gain and no collapse (average {avg:+.2f}): {'met' if avg > 0 else 'missed'}"
        )
    return out


def main() -> None:
    global RUNS
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", default=str(RUNS), help="the folder quality.py and weak_majority.py wrote")
    parser.add_argument("--no-export", action="store_true", help="do not write benchmarks/results/grid")
    args = parser.parse_args()
    RUNS = Path(args.runs)
    found = collect(export=not args.no_export)
    lines = [
        "# The recipe grid (benchmarks/recipes_report.py)",
        "",
        "Change against the fine-tuned baseline of the same seed, in points (mean ± std over seeds); "
        "intervals: paired bootstrap over the test ids.",
        "",
    ]
    for bench in BENCHES:
        if "baseline" in found.get(bench, {}):
            lines += bench_table(bench, found[bench])
    outcome = rule(found)
    lines += ["### The rule", ""]
    for name, verdict in outcome["recipes"].items():
        state = (
            "pruned (" + "; ".join(verdict["pruned"]) + ")"
            if verdict["pruned"]
            else "qualifies"
            if verdict["qualifies"]
            else f"not run on {', '.join(verdict['missing'])}"
            if verdict["missing"]
            else f"does not qualify (shortfall {verdict['shortfall']:.2f})"
        )
        gain = "-" if verdict["mean_gain"] is None else f"{verdict['mean_gain']:+.2f}"
        lines.append(
            f"- `{name}`: {state}; over {', '.join(verdict['benchmarks']) or 'no benchmark'}: "
            f"shortfall {verdict['shortfall']:.2f}, mean average-accuracy change {gain}"
        )
    lines += [
        "",
        f"**Default:** `{outcome['default']}` (guard rule `{outcome['guard_rule']}`): {outcome['why']}.",
        "",
    ]
    for name, verdict in outcome["recipes"].items():
        if not verdict["missing"]:
            lines += [f"Goals, `{name}`:", *(f"- {g}" for g in goals(found, name)), ""]
    out = RUNS / "recipes"
    out.mkdir(parents=True, exist_ok=True)
    (out / "report.md").write_text("\n".join(lines))
    (out / "outcome.json").write_text(json.dumps(outcome, indent=1))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
