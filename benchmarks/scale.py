"""How alsace's cost grows with the data: languages ∈ {15, 100, 1,000} × instances ∈ {1,000, 10,000}.

    python benchmarks/scale.py                      # every size (the 10 M-row one needs ~15 GB of disk)
    python benchmarks/scale.py --langs 15,100 --ids 1000
    python benchmarks/scale.py --steps              # distill's per-step time with the tiny model, per size

Synthetic corpora: XNLI test pairs (ids 0-999, 15 languages) copied under made-up language codes and ids,
so the non-model stages run at full size; predictions are drawn (Dirichlet, a language's own bias toward
one label), so no model runs for them. Each stage runs in a process of its own: wall time, and peak
resident memory read from that process (wait4). Stages: vote, select, make-pairs (the rule), distill's
set-up (reading the corpus and the rule, building the sampler, drawing 150 steps of pairs: no model),
and eval's report (per-language metrics, the summary with groups, the paired comparison of two models, the
table and the plot). `--steps` adds distill's per-step time with the tiny model (1,000 ids). Results:
benchmarks/runs/scale/results.md.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "xnli"
XNLI = ["ar", "bg", "de", "el", "en", "es", "fr", "hi", "ru", "sw", "th", "tr", "ur", "vi", "zh"]
NLI = ["entailment", "neutral", "contradiction"]


def languages(n: int) -> list[str]:
    return XNLI[:n] if n <= len(XNLI) else XNLI + [f"x{k:04d}" for k in range(n - len(XNLI))]


def build(out: Path, n_langs: int, n_ids: int, seed: int = 0) -> None:
    """corpus.parquet (id, lang, text_a, text_b), predictions.parquet (drawn) and test.parquet (labeled)."""
    import pandas as pd

    out.mkdir(parents=True, exist_ok=True)
    if (out / "test.parquet").exists():
        return
    base = {
        lang: pd.read_csv(
            DATA / f"test-{lang}.tsv",
            sep="\t",
            header=None,
            quoting=3,
            nrows=1000,
            names=["text_a", "text_b", "label"],
        )
        for lang in XNLI
    }
    langs = languages(n_langs)
    ids = np.array([str(i) for i in range(n_ids)], dtype=object)
    rng = np.random.default_rng(seed)
    meta = json.dumps({"artifact": "dataset", "schema_version": 1, "task": "pair", "labels": NLI}).encode()
    gold = rng.integers(0, 3, n_ids)
    for name, labeled in (("corpus", False), ("test", True)):
        writer = None
        for k, lang in enumerate(langs):
            source = base[XNLI[k % len(XNLI)]]
            rows = np.arange(n_ids) % 1000
            columns = {
                "id": ids,
                "lang": np.full(n_ids, lang, dtype=object),
                "text_a": source["text_a"].to_numpy()[rows],
                "text_b": source["text_b"].to_numpy()[rows],
            }
            if labeled:
                columns["label"] = gold
            table = pa.table(columns).replace_schema_metadata({b"alsace": meta})
            writer = writer or pq.ParquetWriter(out / f"{name}.parquet", table.schema)
            writer.write_table(table)
        writer.close()
    _predictions(out, langs, ids, gold, rng)


def _predictions(
    out: Path, langs: list[str], ids: np.ndarray, gold: np.ndarray, rng: np.random.Generator
) -> None:
    """Per language a Dirichlet around the gold label, more or less sharp, and a bias toward one label."""
    meta = {
        "artifact": "predictions",
        "schema_version": 1,
        "task": "pair",
        "labels": NLI,
        "provenance": {"inputs": {"data": {"path": str(out / "corpus.parquet"), "sha256": ""}}},
    }
    writer = None
    for lang in langs:
        sharp, bias = rng.uniform(0.5, 4.0), rng.integers(0, 3)
        alpha = np.full((len(ids), 3), 1.0)
        alpha[np.arange(len(ids)), gold] += sharp
        alpha[:, bias] += rng.uniform(0, 2)
        probs = rng.gamma(alpha).astype(np.float32)
        probs /= probs.sum(axis=1, keepdims=True)
        flat = pa.array(probs.ravel())
        table = pa.table(
            {
                "id": ids,
                "lang": np.full(len(ids), lang, dtype=object),
                "probs": pa.FixedSizeListArray.from_arrays(flat, 3).cast(pa.list_(pa.float32())),
                "pred": probs.argmax(axis=1).astype(np.int64),
                "confidence": probs.max(axis=1).astype(np.float64),
            }
        )
        table = table.replace_schema_metadata({b"alsace": json.dumps(meta).encode()})
        writer = writer or pq.ParquetWriter(out / "predictions.parquet", table.schema)
        writer.write_table(table)
    writer.close()


def measured(command: list[str]) -> tuple[float, float]:
    """(seconds, peak resident MB) of one child process."""
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - start
    if status != 0:
        raise RuntimeError(f"{' '.join(command)} failed: {process.stderr.read().decode()[-2000:]}")
    return seconds, usage.ru_maxrss / 1024


def stages(w: Path) -> dict[str, list[str]]:
    alsace = [sys.executable, "-m", "alsace_cli"]
    return {
        "vote": [
            *alsace,
            "vote",
            "--predictions",
            str(w / "predictions.parquet"),
            "--out",
            str(w / "votes.parquet"),
            "--overwrite",
        ],
        "select": [
            *alsace,
            "select",
            "--predictions",
            str(w / "predictions.parquet"),
            "--pseudo-labels",
            str(w / "votes.parquet"),
            "--out",
            str(w / "languages.parquet"),
            "--overwrite",
        ],
        "make-pairs": [
            *alsace,
            "make-pairs",
            "--data",
            str(w / "corpus.parquet"),
            "--languages",
            str(w / "languages.parquet"),
            "--out",
            str(w / "pairs.parquet"),
            "--overwrite",
        ],
        "distill set-up": [sys.executable, str(Path(__file__).resolve()), "--setup", str(w)],
        "eval report": [sys.executable, str(Path(__file__).resolve()), "--report", str(w)],
    }


def distill_setup(w: Path) -> None:
    """What distill does before its first step, without a model: read, check, build the sampler, draw."""
    from alsace_cli.configs import DistillConfig
    from alsace_cli.tasks import get_task
    from alsace_cli.training.objectives.label_pairs import LabelPairDistillation

    config = DistillConfig(
        model="unused",
        data=str(w / "corpus.parquet"),
        pairs=str(w / "pairs.parquet"),
        teacher="live",
        max_steps=150,
        collapse_check=False,
    )
    objective = LabelPairDistillation(config, get_task("pair"))
    objective._prepare(objective.sampler.draw(150 * config.pairs_per_batch, config.seed))


def eval_report(w: Path) -> None:
    """eval's work after the forward passes: metrics, summary with groups, paired comparison, table, plot."""
    import pandas as pd
    import pyarrow.parquet as pq

    from alsace_cli.method.paired_tests import Outcomes, compare
    from alsace_cli.output_types.label_report import plot_accuracy, show_comparisons, show_gap_report
    from alsace_cli.output_types.labels import language_metrics, summarize
    from alsace_cli.runtime import report

    report.console.file = open(os.devnull, "w")  # noqa: SIM115  (the table is drawn, not read)
    test = pq.read_table(w / "test.parquet", columns=["id", "lang", "label"]).to_pandas()
    probs = np.stack(
        pq.read_table(w / "predictions.parquet", columns=["probs"])
        .column("probs")
        .to_numpy(zero_copy_only=False)
    )
    rng = np.random.default_rng(1)
    other = np.where(rng.random(probs.shape[0])[:, None] < 0.1, np.roll(probs, 1, axis=1), probs)
    parts, outcomes = [], {}
    for name, p in (("a", probs), ("b", other)):
        parts.append(language_metrics(name, test, p, "en"))
        correct = (p.argmax(axis=1) == test["label"].to_numpy()).astype(float)
        outcomes[name] = Outcomes.from_rows(
            test["id"].to_numpy(),
            test["lang"].to_numpy(),
            correct,
            pd.Index(pd.unique(test["id"])),
            sorted(test["lang"].unique()),
        )
    metrics = pd.concat(parts, ignore_index=True)
    metrics["lang_group"] = metrics["lang"].map(
        lambda lang: "xnli" if lang in XNLI else f"made-up {lang[-1]}"
    )
    summary = summarize(metrics, "en")
    comparisons = [
        {"model": "b", "baseline": "a", **row} for row in compare(outcomes["a"], outcomes["b"], "en")
    ]
    show_gap_report(metrics, summary, "en")
    show_comparisons(comparisons, metrics)
    plot_accuracy(metrics, w / "accuracy.png", "en")


def per_step(n_langs: int, root: Path) -> float:
    """Seconds one distill step takes with the tiny model at 1,000 ids: (25 steps − 5 steps) / 20, so the
    set-up (reading, the sampler, the model) cancels out; the smaller of two tries of each."""
    w = root / f"{n_langs}x1000"
    alsace = [sys.executable, "-m", "alsace_cli"]
    if not (root / "tiny-ft").exists():
        subprocess.run(
            [*alsace, "tiny-model", str(root / "tiny"), "--data", str(w / "test.parquet"), "--overwrite"],
            check=True,
            cwd=ROOT,
            capture_output=True,
        )
        subprocess.run(
            [
                *alsace,
                "finetune",
                "--model",
                str(root / "tiny"),
                "--train",
                str(w / "test.parquet"),
                "--out",
                str(root / "tiny-ft"),
                "--max-steps",
                "1",
                "--device",
                "cpu",
            ],
            check=True,
            cwd=ROOT,
            capture_output=True,
        )

    def timed(steps: int) -> float:
        command = [
            *alsace,
            "distill",
            "--model",
            str(root / "tiny-ft"),
            "--data",
            str(w / "corpus.parquet"),
            "--pairs",
            str(w / "pairs.parquet"),
            "--out",
            str(root / f"steps-{n_langs}"),
            "--max-steps",
            str(steps),
            "--no-collapse-check",
            "--device",
            "cpu",
            "--overwrite",
            "--allow-other-corpus",
        ]
        return min(measured(command)[0] for _ in range(2))

    return (timed(25) - timed(5)) / 20


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--langs", default="15,100,1000")
    parser.add_argument("--ids", default="1000,10000")
    parser.add_argument("--root", default=str(ROOT / "benchmarks/runs/scale"))
    parser.add_argument("--steps", action="store_true")
    parser.add_argument("--setup", help=argparse.SUPPRESS)
    parser.add_argument("--report", help=argparse.SUPPRESS)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    if args.setup:
        return distill_setup(Path(args.setup))
    if args.report:
        return eval_report(Path(args.report))
    root = Path(args.root)
    rows = []
    for n_langs in map(int, args.langs.split(",")):
        for n_ids in map(int, args.ids.split(",")):
            w = root / f"{n_langs}x{n_ids}"
            start = time.perf_counter()
            build(w, n_langs, n_ids)
            print(
                f"[scale] {n_langs} × {n_ids}: data in {time.perf_counter() - start:.0f} s",
                file=sys.stderr,
                flush=True,
            )
            for stage, command in stages(w).items():
                seconds, mb = measured(command)
                rows.append(
                    {
                        "languages": n_langs,
                        "ids": n_ids,
                        "rows": n_langs * n_ids,
                        "stage": stage,
                        "seconds": round(seconds, 1),
                        "peak_mb": round(mb),
                    }
                )
                print(
                    f"[scale] {n_langs} × {n_ids} {stage}: {seconds:.1f} s, {mb:.0f} MB",
                    file=sys.stderr,
                    flush=True,
                )
    if args.steps:
        for n_langs in map(int, args.langs.split(",")):
            rows.append(
                {
                    "languages": n_langs,
                    "ids": 1000,
                    "rows": n_langs * 1000,
                    "stage": "distill step (tiny)",
                    "seconds": per_step(n_langs, root),
                    "peak_mb": None,
                }
            )
    root.mkdir(parents=True, exist_ok=True)
    (root / "results.json").write_text(json.dumps(rows, indent=1))
    import pandas as pd

    (root / "results.md").write_text(markdown(pd.DataFrame(rows)))
    print(markdown(pd.DataFrame(rows)))


def markdown(frame) -> str:
    """One row per size, one column per stage: 'seconds s / peak MB' (per-step rows: seconds only)."""
    frame = frame.assign(
        cell=[
            (f"{s:.1f} s / {mb:,.0f} MB" if mb == mb and mb is not None else f"{s * 1000:.0f} ms")
            for s, mb in zip(frame["seconds"], frame["peak_mb"], strict=True)
        ]
    )
    table = frame.pivot_table(
        index=["languages", "ids", "rows"], columns="stage", values="cell", aggfunc="first", sort=False
    ).fillna("")
    head = ["languages", "ids", "rows", *table.columns]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for (langs, ids, n), cells in table.iterrows():
        lines.append(f"| {langs:,} | {ids:,} | {n:,} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
