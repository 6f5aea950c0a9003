"""Speed, side by side in one run (issue 16): alsace against what a user would write with transformers alone.

    python benchmarks/speed.py [--rows 1000] [--train 512] [--distill-steps 20] [--repeat 3] [--only ROWS]

A benchmark, not a test. Real model (multilingual-e5-small from ../shared/tools/build-me5-small), real text
(XNLI test pairs in 10 languages, TaxiNLI for training), fp32 on this machine's CPU. Every row runs in a
fresh subprocess, so its peak resident memory (ru_maxrss) is its own; each prints one JSON line. Rows:
- matmul, matmul-bf16: torch.matmul of two 2048 × 2048 matrices (best of 5 trials), the machine's peak
  FLOP/s at fp32 and bf16;
- predict: alsace's batched prediction (length-sorted, dynamic padding, batch 32) in fp32, bf16 autocast
  (--precision bf16) and dynamic int8 (--quantize int8, the quantization inside the timed part),
  transformers' text-classification pipeline at batch sizes 8, 32 and 64, and a plain loop padding every
  batch to --max-length; sequences/s, and achieved FLOP/s = 2 × non-embedding parameters × real tokens /
  time as a share of the matmul peak at the row's dtype (fp32's for int8: "fp32-equivalent");
- finetune: `alsace finetune` (and with --group-by-length) against transformers' Trainer (same model, data,
  batch size, max length, AdamW and learning rate; dynamic padding; Trainer's default fused AdamW), and
  Trainer with its group_by_length; examples/s;
- distill: pairs/s of `alsace distill` with --teacher live, static and mutual;
- profile: torch.profiler's top operators over one predict batch; profile-train: one training step's time
  by phase with torch's default and the fused AdamW, and the top operators of its forward and backward.
Times include the model load for the training rows (both sides), not for the predict rows. With --repeat N
the rows run N rounds, interleaved, and each row reports its median run (its runs listed as all_per_s).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
sys.path.insert(0, str(ROOT))
LANGS = ["ar", "de", "en", "es", "fr", "hi", "ru", "sw", "vi", "zh"]
NLI = ["entailment", "neutral", "contradiction"]


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def non_embedding_parameters(model) -> int:
    return sum(p.numel() for name, p in model.named_parameters() if "embeddings" not in name)


def real_tokens(tokenizer, frame, max_length: int) -> int:
    encoded = tokenizer(
        frame["text_a"].tolist(), frame["text_b"].tolist(), truncation=True, max_length=max_length
    )
    return sum(len(ids) for ids in encoded["input_ids"])


def matmul_row(name: str, args: argparse.Namespace) -> dict:
    """The machine's peak FLOP/s at the row's dtype."""
    import torch

    dtype = torch.bfloat16 if name.endswith("bf16") else torch.float32
    a, b = torch.randn(2048, 2048, dtype=dtype), torch.randn(2048, 2048, dtype=dtype)
    torch.matmul(a, b)
    # The best of 5 trials of 10: a shared machine's slow moments would otherwise lower the peak and
    # flatter every share of it.
    seconds = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(10):
            torch.matmul(a, b)
        seconds = min(seconds, time.perf_counter() - start)
    return {"gflops": 10 * 2 * 2048**3 / seconds / 1e9}


def predict_row(name: str, args: argparse.Namespace) -> dict:
    """Predict's rows: alsace's batched prediction, transformers' pipeline, a plain loop, a profile."""
    import pandas as pd
    import torch

    work, model_dir = Path(args.work), args.model
    frame = pd.read_parquet(work / "test.parquet")
    from alsace_cli.tasks import get_task
    from alsace_cli.tasks.models import load_model

    # A new, random classification head: the speed is the same as a fine-tuned one's.
    model, tokenizer = load_model(model_dir, "pair", NLI, new_head=True, max_length=args.max_length)
    model.eval()
    tokens = real_tokens(tokenizer, frame, args.max_length)
    flop = 2 * non_embedding_parameters(model) * tokens
    start = time.perf_counter()
    if name.startswith("alsace-predict"):
        from alsace_cli.runtime.inference import predict_probs

        precision = "bf16" if name.endswith("bf16") else "fp32"
        if name.endswith(
            "int8"
        ):  # what `predict --quantize int8` does (alsace_cli.tasks.models.load_for_inference)
            model = torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)
        predict_probs(
            model,
            tokenizer,
            get_task("pair"),
            frame,
            max_length=args.max_length,
            batch_size=32,
            device=torch.device("cpu"),
            precision=precision,
        )
    elif name.startswith("pipeline"):
        from transformers import pipeline

        batch = int(name.split("-b")[1])
        classify = pipeline("text-classification", model=model, tokenizer=tokenizer, device="cpu", top_k=None)
        inputs = [{"text": a, "text_pair": b} for a, b in zip(frame["text_a"], frame["text_b"], strict=True)]
        start = time.perf_counter()
        list(classify(inputs, batch_size=batch, truncation=True, max_length=args.max_length))
    elif name == "plain-loop":
        with torch.inference_mode():
            for i in range(0, len(frame), 32):
                part = frame.iloc[i : i + 32]
                batch = tokenizer(
                    part["text_a"].tolist(),
                    part["text_b"].tolist(),
                    truncation=True,
                    max_length=args.max_length,
                    padding="max_length",
                    return_tensors="pt",
                )
                model(**batch)
    elif name == "profile":
        from torch.profiler import ProfilerActivity, profile

        part = frame.iloc[:32]
        batch = tokenizer(
            part["text_a"].tolist(),
            part["text_b"].tolist(),
            truncation=True,
            max_length=args.max_length,
            padding=True,
            return_tensors="pt",
        )
        with torch.inference_mode(), profile(activities=[ProfilerActivity.CPU]) as prof:
            model(**batch)
        return {"table": prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=8)}
    seconds = time.perf_counter() - start
    return {
        "rows": len(frame),
        "seconds": seconds,
        "per_s": len(frame) / seconds,
        "tokens": tokens,
        "gflops": flop / seconds / 1e9,
    }


def profile_train_row(name: str, args: argparse.Namespace) -> dict:
    import pandas as pd
    import torch

    work, model_dir = Path(args.work), args.model
    # Where one training step's time goes (alsace's batches of 32 TaxiNLI pairs), with torch's default
    # AdamW (a per-tensor loop on CPU) and the fused one alsace uses; and the operators of one forward.
    import numpy as np
    from torch.profiler import ProfilerActivity, profile

    from alsace_cli.tasks import get_task
    from alsace_cli.tasks.models import load_model

    train = pd.read_parquet(work / "train.parquet")
    model, tokenizer = load_model(model_dir, "pair", NLI, new_head=True, max_length=args.max_length)
    features = get_task("pair").training_features(tokenizer, train, args)
    model.train()
    phases = {}
    for fused in (False, True):
        optimizer = torch.optim.AdamW(model.parameters(), lr=5e-5, fused=fused)
        times = {"batch": 0.0, "forward": 0.0, "backward": 0.0, "clip": 0.0, "optimizer": 0.0}
        for step in range(5):
            marks = [time.perf_counter()]
            batch = features.collate(np.arange(step * 32, (step + 1) * 32))
            marks.append(time.perf_counter())
            loss = model(**batch).loss
            marks.append(time.perf_counter())
            loss.backward()
            marks.append(time.perf_counter())
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            marks.append(time.perf_counter())
            optimizer.step()
            optimizer.zero_grad()
            marks.append(time.perf_counter())
            if step:  # the first step allocates the optimizer's state
                for key, a, b in zip(times, marks, marks[1:], strict=False):
                    times[key] += (b - a) / 4
        phases["fused AdamW" if fused else "default AdamW"] = {k: round(v, 3) for k, v in times.items()}
    batch = features.collate(np.arange(32))
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        model(**batch).loss.backward()
    table = prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=10)
    return {"phases": phases, "table": table}


def finetune_row(name: str, args: argparse.Namespace) -> dict:
    work, model_dir = Path(args.work), args.model
    from alsace_cli.stages.finetune import FinetuneConfig, finetune

    start = time.perf_counter()
    finetune(
        FinetuneConfig(
            model=model_dir,
            train=str(work / "train.parquet"),
            out=str(work / "ft-alsace"),
            epochs=1,
            batch_size=32,
            max_length=args.max_length,
            learning_rate=5e-5,
            warmup_ratio=0.0,
            weight_decay=0.0,
            device="cpu",
            group_by_length="group" in name,
            precision="bf16" if name.endswith("bf16") else "fp32",
        ),
        overwrite=True,
    )
    seconds = time.perf_counter() - start
    return {"rows": args.train, "seconds": seconds, "per_s": args.train / seconds}


def trainer_row(name: str, args: argparse.Namespace) -> dict:
    import pandas as pd

    work, model_dir = Path(args.work), args.model
    from transformers import (
        AutoModelForSequenceClassification,
        AutoTokenizer,
        DataCollatorWithPadding,
        Trainer,
        TrainingArguments,
    )

    start = time.perf_counter()
    train = pd.read_parquet(work / "train.parquet")
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModelForSequenceClassification.from_pretrained(model_dir, num_labels=3)
    encoded = tokenizer(
        train["text_a"].tolist(), train["text_b"].tolist(), truncation=True, max_length=args.max_length
    )
    rows = [
        {"input_ids": i, "attention_mask": m, "token_type_ids": t, "labels": int(y)}
        for i, m, t, y in zip(
            encoded["input_ids"],
            encoded["attention_mask"],
            encoded.get("token_type_ids", encoded["attention_mask"]),
            train["label"],
            strict=True,
        )
    ]
    targs = TrainingArguments(
        output_dir=str(work / "ft-trainer"),
        per_device_train_batch_size=32,
        num_train_epochs=1,
        learning_rate=5e-5,
        weight_decay=0.0,
        report_to=[],
        save_strategy="no",
        logging_steps=1000,
        train_sampling_strategy="group_by_length" if name.endswith("group") else "random",
        use_cpu=True,
        disable_tqdm=True,
    )
    Trainer(
        model=model, args=targs, train_dataset=rows, data_collator=DataCollatorWithPadding(tokenizer)
    ).train()
    seconds = time.perf_counter() - start
    return {"rows": args.train, "seconds": seconds, "per_s": args.train / seconds}


def distill_row(name: str, args: argparse.Namespace) -> dict:
    work = Path(args.work)
    from alsace_cli.stages.distill import DistillConfig, distill

    teacher = name.split("-")[1]
    precision = "bf16" if name.endswith("bf16") else "fp32"
    extra = {}
    if teacher == "static":  # the targets come from predict, outside the timed part
        from alsace_cli.stages.predict import PredictConfig, predict

        extra["predictions"] = str(work / "unlabeled_predictions.parquet")
        predict(
            PredictConfig(
                model=str(work / "ft-alsace"),
                data=str(work / "unlabeled.parquet"),
                out=extra["predictions"],
                max_length=args.max_length,
                device="cpu",
            ),
            overwrite=True,
        )
    start = time.perf_counter()
    distill(
        DistillConfig(
            model=str(work / "ft-alsace"),
            data=str(work / "unlabeled.parquet"),
            pairs=str(work / "pairs.parquet"),
            out=str(work / f"d-{teacher}"),
            max_steps=args.distill_steps,
            pairs_per_batch=16,
            max_length=args.max_length,
            teacher=teacher,
            collapse_check=False,
            device="cpu",
            precision=precision,
            **extra,
        ),
        overwrite=True,
    )
    seconds = time.perf_counter() - start
    pairs = args.distill_steps * 16
    return {"rows": pairs, "seconds": seconds, "per_s": pairs / seconds}


# Row name prefix → the function that measures it.
ROW_KINDS = (
    ("matmul", matmul_row),
    ("alsace-predict", predict_row),
    ("pipeline", predict_row),
    ("plain-loop", predict_row),
    ("profile-train", profile_train_row),
    ("profile", predict_row),
    ("alsace-finetune", finetune_row),
    ("trainer", trainer_row),
    ("distill", distill_row),
)


def row(name: str, args: argparse.Namespace) -> dict:
    for prefix, measure in ROW_KINDS:
        if name.startswith(prefix):
            return measure(name, args)
    raise SystemExit(f"unknown row {name}")


def prepare(args: argparse.Namespace) -> None:
    from alsace_cli.data.importer import ImportConfig, import_data
    from alsace_cli.stages.pairs import PairsConfig, make_pairs

    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    per_lang = args.rows // len(LANGS)
    steps = {
        "test": {
            "inputs": [str(DATA / f"xnli/test-{lang}.tsv") for lang in LANGS],
            "labels": NLI,
            "limit": per_lang,
        },
        "unlabeled": {
            "inputs": [str(DATA / f"xnli/dev-{lang}.tsv") for lang in LANGS],
            "labels": NLI,
            "limit": 40,
            "drop_labels": True,
        },
        "train": {
            "inputs": [str(DATA / "taxinli/taxinli10k.tsv")],
            "lang": ["en"],
            "text_a_column": "prem",
            "labels": NLI,
            "limit": args.train,
        },
    }
    for name, fields in steps.items():
        if not (work / f"{name}.parquet").exists():
            import_data(ImportConfig(out=str(work / f"{name}.parquet"), **fields))
    if not (work / "pairs.parquet").exists():
        # Which languages teach does not change the speed: a fixed split, en/de/es/fr teaching.
        import pandas as pd

        from alsace_cli.io.artifacts import write_artifact

        roles = ["teacher" if lang in ("en", "de", "es", "fr") else "student" for lang in LANGS]
        languages = pd.DataFrame(
            {"lang": LANGS, "n": 40, "avg_confidence": 0.5, "score": 1 / len(LANGS), "role": roles}
        )
        write_artifact(languages, work / "languages.parquet", "languages", {})
        make_pairs(
            PairsConfig(
                data=str(work / "unlabeled.parquet"),
                languages=str(work / "languages.parquet"),
                out=str(work / "pairs.parquet"),
            ),
            overwrite=True,
        )


ROWS = [
    "matmul",
    "matmul-bf16",
    "alsace-predict",
    "alsace-predict-bf16",
    "alsace-predict-int8",
    "pipeline-b8",
    "pipeline-b32",
    "pipeline-b64",
    "plain-loop",
    "profile",
    "profile-train",
    "alsace-finetune",
    "alsace-finetune-group",
    "alsace-finetune-group-bf16",
    "trainer",
    "trainer-group",
    "distill-live",
    "distill-static",
    "distill-static-bf16",
    "distill-mutual",
]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--rows", type=int, default=1000, help="XNLI test pairs to predict (over 10 languages)"
    )
    parser.add_argument("--train", type=int, default=512, help="TaxiNLI pairs to fine-tune on, 1 epoch")
    parser.add_argument("--distill-steps", type=int, default=20)
    parser.add_argument("--max-length", type=int, default=128)
    parser.add_argument("--model", default=str(Path.home() / ".cache/alsace-bench/me5-small"))
    parser.add_argument("--work", default=str(ROOT / "benchmarks/runs/speed"))
    parser.add_argument("--only", default=None, help="comma-separated rows (default: all)")
    parser.add_argument(
        "--repeat", type=int, default=1, help="rounds of every row, interleaved; medians reported"
    )
    parser.add_argument("--one", default=None, help=argparse.SUPPRESS)  # a row, in its own subprocess
    args = parser.parse_args()
    if args.one:
        result = row(args.one, args)
        print(json.dumps({"row": args.one, "peak_mb": peak_mb(), **result}))
        return
    subprocess.run(
        [str(ROOT.parent / "shared/tools/build-me5-small"), args.model],
        check=True,
        capture_output=True,
        env={**os.environ, "PYTHON": sys.executable},
    )
    prepare(args)
    names = args.only.split(",") if args.only else ROWS
    runs: dict[str, list[dict]] = {name: [] for name in names}
    for round_ in range(args.repeat):  # rows interleaved, A B C A B C: a drifting machine hits all alike
        for name in names:
            if round_ and (name.startswith(("matmul", "profile")) and name != "matmul"):
                continue  # the profiles and the bf16 peak once; the fp32 peak every round
            command = [
                sys.executable,
                __file__,
                "--one",
                name,
                *[
                    f"--{k.replace('_', '-')}={v}"
                    for k, v in vars(args).items()
                    if k in ("rows", "train", "distill_steps", "max_length", "model", "work")
                ],
            ]
            out = (
                subprocess.run(command, check=True, capture_output=True, text=True)
                .stdout.strip()
                .splitlines()[-1]
            )
            runs[name].append(json.loads(out))
            print(
                f"[{time.strftime('%H:%M:%S')}] {name}: {json.dumps({k: v for k, v in runs[name][-1].items() if k not in ('table', 'phases')})}",
                file=sys.stderr,
                flush=True,
            )
    results = {name: median_run(found) for name, found in runs.items()}
    (Path(args.work) / "results.json").write_text(json.dumps(results, indent=1))
    report(results)


def median_run(found: list[dict]) -> dict:
    """The run with the median speed (the highest for a peak), with every run's speed beside it."""
    if "per_s" in found[0]:
        ordered = sorted(found, key=lambda r: r["per_s"])
        return {**ordered[(len(ordered) - 1) // 2], "all_per_s": [round(r["per_s"], 2) for r in found]}
    if "gflops" in found[0]:
        return max(found, key=lambda r: r["gflops"])
    return found[0]


def report(results: dict) -> None:
    peak = results.get("matmul", {}).get("gflops")
    peak_bf16 = results.get("matmul-bf16", {}).get("gflops")
    lines = [
        "| row | per second (median; min-max) | seconds | peak RSS (MB) | GFLOP/s (share of matmul peak at its dtype) |",
        "|---|---|---|---|---|",
    ]
    for name, r in results.items():
        if name.startswith(("matmul", "profile")):
            continue
        top = peak_bf16 if name.endswith("bf16") else peak
        flops = f"{r['gflops']:.1f} ({100 * r['gflops'] / top:.0f}%)" if "gflops" in r and top else "-"
        spread = (
            f" ({min(r['all_per_s']):.2f}-{max(r['all_per_s']):.2f})"
            if len(r.get("all_per_s", [])) > 1
            else ""
        )
        lines.append(
            f"| {name} | {r['per_s']:.2f}{spread} | {r['seconds']:.1f} | {r['peak_mb']:.0f} | {flops} |"
        )
    if peak:
        lines.append(
            f"\nmatmul peak (2048²): fp32 {peak:.1f} GFLOP/s"
            + (f", bf16 {peak_bf16:.1f} GFLOP/s" if peak_bf16 else "")
        )
    pipes = [results[k]["per_s"] for k in results if k.startswith("pipeline")]
    base = max(
        pipes + [results["plain-loop"]["per_s"]] if "plain-loop" in results else pipes or [float("nan")]
    )
    for name in ("alsace-predict", "alsace-predict-bf16", "alsace-predict-int8"):
        if name in results:
            lines.append(
                f"predict: {name} / best of pipeline and plain loop = {results[name]['per_s'] / base:.2f}"
            )
    for ours, theirs in (
        ("alsace-finetune", "trainer"),
        ("alsace-finetune-group", "trainer-group"),
        ("alsace-finetune-group", "trainer"),
    ):
        if ours in results and theirs in results:
            ratio = results[ours]["per_s"] / results[theirs]["per_s"]
            memory = results[ours]["peak_mb"] / results[theirs]["peak_mb"]
            lines.append(f"finetune: {ours} / {theirs} = {ratio:.2f} (peak memory {memory:.2f}x)")
    if "distill-live" in results and "distill-static" in results:
        lines.append(
            f"distill: static / live = {results['distill-static']['per_s'] / results['distill-live']['per_s']:.2f}"
        )
    for ours in ("alsace-finetune-group", "distill-static"):
        if ours in results and f"{ours}-bf16" in results:
            lines.append(
                f"{ours}: bf16 / fp32 = {results[f'{ours}-bf16']['per_s'] / results[ours]['per_s']:.2f}"
            )
    if "profile" in results:
        lines += ["", "Profile of one predict batch (32 rows):", "```", results["profile"]["table"], "```"]
    if "profile-train" in results:
        lines += ["", "One training step (32 pairs), seconds per phase:"]
        lines += [
            f"- {kind}: {json.dumps(times)}" for kind, times in results["profile-train"]["phases"].items()
        ]
        lines += [
            "",
            "Profile of one training forward and backward (32 pairs):",
            "```",
            results["profile-train"]["table"],
            "```",
        ]
    print("\n".join(lines))


if __name__ == "__main__":
    main()
