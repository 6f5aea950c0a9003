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
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from qa_steps import QA, english_training, finetune, subset
from steps import Runner, build_me5_small, options

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from alsace_cli.io.artifacts import read_artifact  # noqa: E402

ROWS = {  # name: distill flags (None: the fine-tuned model itself)
    "baseline": None,
    "ce": ["--ce-weight", "1", "--kl-weight", "0"],
    "ce+kl": ["--ce-weight", "1", "--kl-weight", "1.0"],
    "ce+kl-map": ["--ce-weight", "1", "--kl-weight", "map@k", "--kl-top-k", "10"],
    "ce+kl-mrr": ["--ce-weight", "1", "--kl-weight", "mrr@k", "--kl-top-k", "10"],
    "kl": ["--ce-weight", "0", "--kl-weight", "1.0"],
    "qlang-alsace": ["--kl-weight", "1.0"],
}


def alsace(*args: str | Path) -> None:
    subprocess.run(["alsace", *map(str, args)], check=True, stdout=subprocess.DEVNULL)


def parse_args() -> argparse.Namespace:
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
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    root = Path(args.root)
    root.mkdir(parents=True, exist_ok=True)
    seeds = [int(s) for s in args.seeds.split(",")]
    if args.summarize_only:
        summarize(root, args, seeds)
        return
    runner = Runner(root, tag="qa")
    model = build_me5_small(args.model_dir)
    length = {"max_length": args.max_length, "doc_stride": args.doc_stride}
    english_training(runner, alsace, args.train_rows, 1)
    xquad_parts(runner, args)
    mlqa_slice(runner, args)
    ft = finetune(runner, alsace, model, args.finetune_steps, 16, length, 1)
    question_language_pairs(runner, ft, length)
    evaluate(runner, "baseline", ft, length)
    for seed in seeds:
        distill_rows(runner, ft, seed, args, length)
    summarize(root, args, seeds)


def xquad_parts(runner: Runner, args: argparse.Namespace) -> None:
    """XQuAD in --langs, cut into the distillation ids and the held-out ids, each also as every question ×
    context combination."""
    root, langs = runner.root, args.langs.split(",")
    xquad_all = root / "xquad_all.parquet"
    files = [QA / f"xquad/xquad.{lang}.json" for lang in langs]
    runner.step(
        "import xquad",
        xquad_all,
        lambda: alsace("data", "import", *files, *options(format="squad", out=xquad_all)),
    )

    def ids_between(a: int, b: int):
        return lambda f: f[f["id"].isin(pd.unique(f["id"])[a:b])]

    end = args.distill_ids + args.eval_ids
    parts = {
        "distill": ("xquad distill part", root / "xquad_distill.parquet", ids_between(0, args.distill_ids)),
        "heldout": (
            "xquad held-out part",
            root / "xquad_heldout_same.parquet",
            ids_between(args.distill_ids, end),
        ),
    }
    for name, out, keep in parts.values():
        runner.step(name, out, lambda out=out, keep=keep: subset(xquad_all, out, keep))
    others = ",".join(lang for lang in langs if lang != "en")
    for name, (_, src, _) in parts.items():  # every question × context combination
        out = root / f"xquad_{name}_gxlt.parquet"
        settings = options(data=src, target_languages=others, out=out)
        runner.step(
            f"xquad {name} all pairs", out, lambda settings=settings: alsace("cross-sample", *settings)
        )


def mlqa_slice(runner: Runner, args: argparse.Namespace) -> None:
    """--mlqa-per-pair seeded MLQA dev questions per (question, context) pair of --langs."""
    root, langs = runner.root, args.langs.split(",")
    mlqa_all, mlqa = root / "mlqa_all.parquet", root / "mlqa.parquet"
    files = [QA / f"mlqa/dev/dev-context-{c}-question-{q}.json" for c in langs for q in langs]
    runner.step(
        "import mlqa",
        mlqa_all,
        lambda: alsace("data", "import", *files, *options(format="mlqa", out=mlqa_all)),
    )
    per_pair = lambda f: f.groupby(["question_lang", "lang"]).sample(  # noqa: E731
        n=args.mlqa_per_pair, random_state=1
    )
    runner.step("slice mlqa", mlqa, lambda: subset(mlqa_all, mlqa, per_pair))


def question_language_pairs(runner: Runner, ft: Path, length: dict) -> None:
    """ALSACE on question languages: the selection and pairs come from the fine-tuned model, once."""
    root = runner.root
    data, predictions = root / "xquad_distill_gxlt.parquet", root / "qlang_pred.parquet"
    languages, pairs = root / "qlang_languages.parquet", root / "qlang_pairs.parquet"
    settings = options(model=ft, data=data, out=predictions, **length, batch_size=32)
    runner.step("qlang predict", predictions, lambda: alsace("predict", *settings))
    runner.step(
        "qlang select",
        languages,
        lambda: alsace("select", *options(predictions=predictions, out=languages)),
    )
    settings = options(data=data, languages=languages, question_language_pairs=True, out=pairs)
    runner.step("qlang pairs", pairs, lambda: alsace("make-pairs", *settings))


def evaluate(runner: Runner, tag: str, model_dir: Path, length: dict) -> None:
    for data in ("xquad_heldout_gxlt", "mlqa"):
        out = runner.root / f"metrics_{tag}_{data}.parquet"
        settings = options(
            model=model_dir, data=runner.root / f"{data}.parquet", out=out, **length, batch_size=32
        )
        runner.step(f"eval {tag} {data}", out, lambda settings=settings: alsace("eval", *settings))


def distill_rows(runner: Runner, ft: Path, seed: int, args: argparse.Namespace, length: dict) -> None:
    """Every distill row of one seed; the SKD rows read `cross-sample --n 1` of the distillation ids."""
    root = runner.root
    sampled = root / f"sampled_s{seed}.parquet"
    settings = options(data=root / "xquad_distill.parquet", n=1, seed=seed, out=sampled)
    runner.step(f"cross-sample s{seed}", sampled, lambda: alsace("cross-sample", *settings))
    for row, flags in ROWS.items():
        if flags is None:
            continue
        out = root / f"{row}_s{seed}"
        data = (
            ["--data", root / "xquad_distill_gxlt.parquet", "--pairs", root / "qlang_pairs.parquet"]
            if row == "qlang-alsace"
            else ["--data", sampled]
        )
        command = [
            "distill",
            *options(model=ft),
            *data,
            *options(out=out, teacher="epoch"),
            *flags,
            *options(max_steps=args.steps, pairs_per_batch=args.batch, lr=args.lr, **length),
            *options(seed=seed, device="cpu"),
        ]
        runner.step(f"distill {row} s{seed}", out, lambda command=command: alsace(*command))
        evaluate(runner, f"{row}_s{seed}", out, length)


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
