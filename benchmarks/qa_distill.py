"""Self-knowledge distillation for QA on real data, CPU (issue 13, part 4): SKD-QA's rows and ALSACE's
question-language variant, multilingual-e5-small, mean ± std over seeds.

    python benchmarks/qa_distill.py --quick            # 3 seeds, the sizes below (about an hour on 2 cores)
    python benchmarks/qa_distill.py --quick --summarize-only

Data (../shared/data/qa), languages --langs (default en, de, hi: in both XQuAD and MLQA):
- English training: a seeded sample of SQuAD train-subset + TyDiQA-GoldP English train (never XQuAD);
  `alsace finetune` once (seed 1): the baseline every row starts from.
- Distillation: XQuAD ids [0, --distill-ids). SKD rows read `alsace cross-sample --n 1` of them (English
  plus one drawn language per id, every question × context combination: 4 rows per id; the draw's seed is
  the row's seed). The question-language row reads every question × context combination of those ids
  with no answers used: predict → select (mean best-span probability) → make-pairs
  --question-language-pairs → distill with the pairs.
- Evaluation: XQuAD ids [--distill-ids, --distill-ids + --eval-ids), every question × context combination
  of --langs (G-XLT), and --mlqa-per-pair seeded MLQA dev questions per (question, context) pair of --langs.
Rows (every distill row: --steps steps of --batch windows, lr --lr, --teacher epoch, the seed varies the
sample, the order and dropout):
  baseline        the fine-tuned model
  ce              CE on the sampled data only (--kl-weight 0)
  ce+kl           CE + KL, α = 1
  ce+kl-map       CE + KL, α = map@10 of the teacher's start/end ranking (the paper's)
  ce+kl-mrr       CE + KL, α = mrr@10 (the authors' code)
  kl              KL alone (the paper's ablation; --ce-weight 0)
  qlang-alsace    question-language pairs, KL alone (zero-shot: no gold answer)
Every step writes under --root and is skipped when its output exists (resumable).
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
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
QA = SHARED / "data" / "qa"
sys.path.insert(0, str(ROOT))

from alsace_cli.io.artifacts import dataset_meta, read_artifact, read_meta, write_artifact  # noqa: E402

ROWS = {  # name: distill flags (None: the fine-tuned model itself)
    "baseline": None,
    "ce": ["--ce-weight", "1", "--kl-weight", "0"],
    "ce+kl": ["--ce-weight", "1", "--kl-weight", "1.0"],
    "ce+kl-map": ["--ce-weight", "1", "--kl-weight", "map@k", "--kl-top-k", "10"],
    "ce+kl-mrr": ["--ce-weight", "1", "--kl-weight", "mrr@k", "--kl-top-k", "10"],
    "kl": ["--ce-weight", "0", "--kl-weight", "1.0"],
    "qlang-alsace": ["--kl-weight", "1.0"],
}


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def alsace(*args: str | Path) -> None:
    subprocess.run(["alsace", *map(str, args)], check=True, stdout=subprocess.DEVNULL)


def subset(src: Path, dst: Path, keep) -> None:
    frame = read_artifact(src, "dataset").frame
    meta = read_meta(src)
    meta = dataset_meta("qa", [], meta.get("provenance")) | {
        "qa_format": meta.get("qa_format"),
        "subset_of": str(src),
    }
    write_artifact(keep(frame).reset_index(drop=True), dst, "dataset", meta)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="the sizes below, 3 seeds (the defaults)")
    parser.add_argument("--root", default=str(ROOT / "benchmarks/runs/qa_distill"))
    parser.add_argument("--model-dir", default=str(Path.home() / ".cache/alsace-bench/me5-small"))
    parser.add_argument("--langs", default="en,de,hi")
    parser.add_argument("--train-rows", type=int, default=2400)
    parser.add_argument("--finetune-steps", type=int, default=150)
    parser.add_argument("--distill-ids", type=int, default=40)
    parser.add_argument("--eval-ids", type=int, default=30)
    parser.add_argument("--mlqa-per-pair", type=int, default=15)
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--lr", default="3e-5")
    parser.add_argument("--max-length", type=int, default=128)
    parser.add_argument("--doc-stride", type=int, default=48)
    parser.add_argument("--seeds", default="1,2,3")
    parser.add_argument("--summarize-only", action="store_true")
    args = parser.parse_args()
    root = Path(args.root)
    root.mkdir(parents=True, exist_ok=True)
    langs = args.langs.split(",")
    seeds = [int(s) for s in args.seeds.split(",")]
    if args.summarize_only:
        summarize(root, args, seeds)
        return
    timings_path = root / "timings.json"
    timings = json.loads(timings_path.read_text()) if timings_path.exists() else {}
    model = subprocess.run(
        [str(SHARED / "tools/build-me5-small"), args.model_dir],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHON": sys.executable},
    ).stdout.strip()

    def step(name: str, output: Path, action) -> None:
        if output.exists():
            return
        log(f"{name} → {output.name}")
        start = time.perf_counter()
        action()
        timings[name] = round(time.perf_counter() - start, 1)
        timings_path.write_text(json.dumps(timings, indent=2))
        log(f"{name}: {timings[name]:.0f} s")

    length = ["--max-length", str(args.max_length), "--doc-stride", str(args.doc_stride)]
    step(
        "import squad",
        root / "squad.parquet",
        lambda: alsace(
            "data",
            "import",
            QA / "squad_en/train-subset-v1.1.json",
            "--format",
            "squad",
            "--lang",
            "en",
            "--out",
            root / "squad.parquet",
        ),
    )
    step(
        "import tydiqa",
        root / "tydiqa_en.parquet",
        lambda: alsace(
            "data",
            "import",
            QA / "tydiqa/train-en.json",
            "--format",
            "tydiqa",
            "--renumber-ids",
            "--out",
            root / "tydiqa_en.parquet",
        ),
    )

    def english(frame: pd.DataFrame) -> pd.DataFrame:
        tydiqa = read_artifact(root / "tydiqa_en.parquet", "dataset").frame
        both = pd.concat(
            [frame.assign(id="squad-" + frame["id"]), tydiqa.assign(id="tydiqa-" + tydiqa["id"])]
        )
        return both.sample(n=min(args.train_rows, len(both)), random_state=1)

    step(
        "sample train",
        root / "train.parquet",
        lambda: subset(root / "squad.parquet", root / "train.parquet", english),
    )
    step(
        "import xquad",
        root / "xquad_all.parquet",
        lambda: alsace(
            "data",
            "import",
            *[QA / f"xquad/xquad.{lang}.json" for lang in langs],
            "--format",
            "squad",
            "--out",
            root / "xquad_all.parquet",
        ),
    )

    def ids_between(a: int, b: int):
        return lambda f: f[f["id"].isin(pd.unique(f["id"])[a:b])]

    end = args.distill_ids + args.eval_ids
    step(
        "xquad distill part",
        root / "xquad_distill.parquet",
        lambda: subset(
            root / "xquad_all.parquet", root / "xquad_distill.parquet", ids_between(0, args.distill_ids)
        ),
    )
    step(
        "xquad held-out part",
        root / "xquad_heldout_same.parquet",
        lambda: subset(
            root / "xquad_all.parquet",
            root / "xquad_heldout_same.parquet",
            ids_between(args.distill_ids, end),
        ),
    )
    others = [lang for lang in langs if lang != "en"]
    for name in ("distill", "heldout"):  # every question × context combination
        src = root / ("xquad_distill.parquet" if name == "distill" else "xquad_heldout_same.parquet")
        step(
            f"xquad {name} all pairs",
            root / f"xquad_{name}_gxlt.parquet",
            lambda src=src, name=name: alsace(
                "cross-sample",
                "--data",
                src,
                "--target-languages",
                ",".join(others),
                "--out",
                root / f"xquad_{name}_gxlt.parquet",
            ),
        )
    step(
        "import mlqa",
        root / "mlqa_all.parquet",
        lambda: alsace(
            "data",
            "import",
            *[QA / f"mlqa/dev/dev-context-{c}-question-{q}.json" for c in langs for q in langs],
            "--format",
            "mlqa",
            "--out",
            root / "mlqa_all.parquet",
        ),
    )
    step(
        "slice mlqa",
        root / "mlqa.parquet",
        lambda: subset(
            root / "mlqa_all.parquet",
            root / "mlqa.parquet",
            lambda f: f.groupby(["question_lang", "lang"]).sample(n=args.mlqa_per_pair, random_state=1),
        ),
    )
    ft = root / "ft"
    step(
        "finetune",
        ft,
        lambda: alsace(
            "finetune",
            "--model",
            model,
            "--train",
            root / "train.parquet",
            "--out",
            ft,
            "--max-steps",
            args.finetune_steps,
            "--batch-size",
            16,
            "--lr",
            "5e-5",
            "--warmup-ratio",
            "0.1",
            *length,
            "--seed",
            1,
            "--device",
            "cpu",
        ),
    )
    # ALSACE on question languages: the selection and pairs come from the fine-tuned model, once.
    step(
        "qlang predict",
        root / "qlang_pred.parquet",
        lambda: alsace(
            "predict",
            "--model",
            ft,
            "--data",
            root / "xquad_distill_gxlt.parquet",
            "--out",
            root / "qlang_pred.parquet",
            *length,
            "--batch-size",
            32,
        ),
    )
    step(
        "qlang select",
        root / "qlang_languages.parquet",
        lambda: alsace(
            "select", "--predictions", root / "qlang_pred.parquet", "--out", root / "qlang_languages.parquet"
        ),
    )
    step(
        "qlang pairs",
        root / "qlang_pairs.parquet",
        lambda: alsace(
            "make-pairs",
            "--data",
            root / "xquad_distill_gxlt.parquet",
            "--languages",
            root / "qlang_languages.parquet",
            "--question-language-pairs",
            "--out",
            root / "qlang_pairs.parquet",
        ),
    )

    def evaluate(tag: str, model_dir: Path) -> None:
        for data in ("xquad_heldout_gxlt", "mlqa"):
            out = root / f"metrics_{tag}_{data}.parquet"
            step(
                f"eval {tag} {data}",
                out,
                lambda data=data, out=out: alsace(
                    "eval",
                    "--model",
                    model_dir,
                    "--data",
                    root / f"{data}.parquet",
                    "--out",
                    out,
                    *length,
                    "--batch-size",
                    32,
                ),
            )

    evaluate("baseline", ft)
    for seed in seeds:
        sampled = root / f"sampled_s{seed}.parquet"
        step(
            f"cross-sample s{seed}",
            sampled,
            lambda seed=seed, sampled=sampled: alsace(
                "cross-sample",
                "--data",
                root / "xquad_distill.parquet",
                "--n",
                1,
                "--seed",
                seed,
                "--out",
                sampled,
            ),
        )
        for row, flags in ROWS.items():
            if flags is None:
                continue
            out = root / f"{row}_s{seed}"
            data = (
                ["--data", root / "xquad_distill_gxlt.parquet", "--pairs", root / "qlang_pairs.parquet"]
                if row == "qlang-alsace"
                else ["--data", sampled]
            )
            step(
                f"distill {row} s{seed}",
                out,
                lambda flags=flags, out=out, data=data, seed=seed: alsace(
                    "distill",
                    "--model",
                    ft,
                    *data,
                    "--out",
                    out,
                    "--teacher",
                    "epoch",
                    *flags,
                    "--max-steps",
                    args.steps,
                    "--pairs-per-batch",
                    args.batch,
                    "--lr",
                    args.lr,
                    *length,
                    "--seed",
                    seed,
                    "--device",
                    "cpu",
                ),
            )
            evaluate(f"{row}_s{seed}", out)
    summarize(root, args, seeds)


def summary_of(path: Path) -> dict:
    metrics = read_artifact(path, "qa_metrics")
    return pd.DataFrame(metrics.meta["summary"]).iloc[0].to_dict()


COLUMNS = [
    ("xlt_em", "XLT EM"),
    ("xlt_f1", "XLT F1"),
    ("gxlt_em", "G-XLT EM"),
    ("gxlt_f1", "G-XLT F1"),
    ("cross_em", "cross EM"),
    ("cross_f1", "cross F1"),
    ("source_f1", "en-en F1"),
    ("worst_f1", "worst pair F1"),
]


def summarize(root: Path, args: argparse.Namespace, seeds: list[int]) -> None:
    timings = json.loads((root / "timings.json").read_text()) if (root / "timings.json").exists() else {}
    total = sum(timings.values())
    lines = [
        f"# QA self-distillation, multilingual-e5-small, languages {args.langs}, seeds {args.seeds}",
        "",
        f"Fine-tuning: {args.train_rows} English questions, {args.finetune_steps} steps × 16 windows. Distillation: "
        f"{args.steps} steps × {args.batch} windows, lr {args.lr}, teacher epoch, on XQuAD ids 0-{args.distill_ids - 1}; "
        f"evaluation on XQuAD ids {args.distill_ids}-{args.distill_ids + args.eval_ids - 1} (every question × context "
        f"pair) and {args.mlqa_per_pair} MLQA dev questions per pair. Max length {args.max_length}, stride "
        f"{args.doc_stride}. Time of all steps: {total / 60:.1f} min.",
        "",
    ]
    for data, title in (("xquad_heldout_gxlt", "XQuAD held-out ids"), ("mlqa", "MLQA dev")):
        base = summary_of(root / f"metrics_baseline_{data}.parquet")
        lines += [
            f"## {title}",
            "",
            "| row | n seeds | " + " | ".join(name for _, name in COLUMNS) + " |",
            "|---" * (len(COLUMNS) + 2) + "|",
        ]
        deltas = []
        for row in ROWS:
            runs = (
                [base]
                if row == "baseline"
                else [
                    summary_of(root / f"metrics_{row}_s{s}_{data}.parquet")
                    for s in seeds
                    if (root / f"metrics_{row}_s{s}_{data}.parquet").exists()
                ]
            )
            if not runs:
                continue
            cells = []
            for key, _ in COLUMNS:
                values = 100 * np.array([r[key] for r in runs], dtype=float)
                cells.append(
                    f"{values.mean():.2f}" + (f" ± {values.std(ddof=1):.2f}" if len(values) > 1 else "")
                )
            lines.append(f"| {row} | {len(runs)} | " + " | ".join(cells) + " |")
            if row != "baseline":
                d = 100 * np.array(
                    [[r[k] - base[k] for k in ("xlt_f1", "gxlt_f1", "source_f1")] for r in runs]
                )
                deltas.append(f"| {row} | " + " | ".join(f"{d[:, i].mean():+.2f}" for i in range(3)) + " |")
        lines += [
            "",
            "Difference from the baseline (F1 points, mean over seeds):",
            "",
            "| row | XLT F1 | G-XLT F1 | en-en F1 |",
            "|---|---|---|---|",
            *deltas,
            "",
        ]
    languages = read_artifact(root / "qlang_languages.parquet", "languages").frame
    lines += [
        "Question-language selection (mean best-span probability on the distillation ids): "
        + ", ".join(f"{r.lang} {r.avg_confidence:.3f} ({r.role})" for r in languages.itertuples()),
        "",
    ]
    lines.append(f"Time per step (s): {json.dumps(timings)}")
    (root / "results.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
