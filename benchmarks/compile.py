"""Does torch.compile pay on this CPU? Predict and training steps of multilingual-e5-small, eager against
compiled (`torch.compile(model, dynamic=True)`: alsace pads each batch to its own longest row, so shapes
vary), each in a process of its own.

    python benchmarks/compile.py          # ~10 min on 2 cores

predict: the 1,000 XNLI test pairs speed.py prepares (10 languages), batch 32, length-sorted, fp32 and bf16; the compiled row's
time includes compiling. train: 48 steps of 32 TaxiNLI pairs (AdamW, fp32): the first 8 steps (where
compiling happens) and the median of the last 40. The projection is for a realistic run, XNLI's
fine-tuning here (630 steps): first-steps time + 622 × steady step. The rule (issue 28): keep compile where
it gains ≥ 10% after its compile time.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
MODEL = Path.home() / ".cache/alsace-bench/me5-small"
WORK = ROOT / "benchmarks/runs/speed"  # speed.py's prepared data
NLI = ["entailment", "neutral", "contradiction"]
REALISTIC_STEPS = 630


def predict_row(compiled: bool, precision: str) -> dict:
    import pandas as pd
    import torch

    from alsace_cli.runtime.inference import predict_probs
    from alsace_cli.tasks import get_task
    from alsace_cli.tasks.models import load_model

    frame = pd.read_parquet(WORK / "test.parquet")
    model, tokenizer = load_model(str(MODEL), "pair", NLI, new_head=True, max_length=128)
    model.eval()
    start = time.perf_counter()
    if compiled:
        model = torch.compile(model, dynamic=True)
    run = lambda: predict_probs(  # noqa: E731
        model,
        tokenizer,
        get_task("pair"),
        frame,
        max_length=128,
        batch_size=32,  # noqa: E731
        device=torch.device("cpu"),
        precision=precision,
    )
    run()
    seconds = time.perf_counter() - start
    start = time.perf_counter()
    run()  # the same batches again: every shape compiled, the steady state
    again = time.perf_counter() - start
    return {
        "seconds": round(seconds, 1),
        "rows_per_s": round(len(frame) / seconds, 1),
        "second_pass_rows_per_s": round(len(frame) / again, 1),
    }


def train_row(compiled: bool) -> dict:
    import torch

    from alsace_cli.configs import FinetuneConfig
    from alsace_cli.io.artifacts import load_dataset
    from alsace_cli.tasks import get_task
    from alsace_cli.tasks.models import load_model

    train = load_dataset(WORK / "train.parquet", require_labels=True)
    model, tokenizer = load_model(str(MODEL), "pair", NLI, new_head=True, max_length=128)
    features = get_task("pair").training_features(tokenizer, train.frame, FinetuneConfig(max_length=128))
    optimizer = torch.optim.AdamW(model.parameters(), lr=5e-5)
    model.train()
    if compiled:
        model = torch.compile(model, dynamic=True)
    rng = np.random.default_rng(0)
    times = []
    for _ in range(48):
        batch = features.collate(rng.choice(features.n, 32, replace=False))
        start = time.perf_counter()
        model(**batch).loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        times.append(time.perf_counter() - start)
    first, steady = sum(times[:8]), float(np.median(times[8:]))
    return {
        "first_8_steps_s": round(first, 1),
        "steady_step_s": round(steady, 3),
        "projected_630_steps_s": round(first + (REALISTIC_STEPS - 8) * steady, 1),
    }


def len_rows(result: dict) -> float:
    return result["rows_per_s"] * result["seconds"]


def main() -> None:
    if len(sys.argv) == 3:  # one row, in this process
        kind, setting = sys.argv[1], sys.argv[2]
        result = (
            predict_row(setting.startswith("compiled"), setting.split("-")[-1])
            if kind == "predict"
            else train_row(setting == "compiled")
        )
        print(json.dumps(result))
        return
    if not (WORK / "train.parquet").exists():
        sys.exit("run benchmarks/speed.py once first: it prepares the data this reads")
    only = sys.argv[1] if len(sys.argv) == 2 else None  # "predict" or "train": those rows alone
    rows = [
        (kind, setting)
        for kind, setting in (
            ("predict", "eager-fp32"),
            ("predict", "compiled-fp32"),
            ("predict", "eager-bf16"),
            ("predict", "compiled-bf16"),
            ("train", "eager"),
            ("train", "compiled"),
        )
        if only in (None, kind)
    ]
    results = {}
    for kind, setting in rows:
        out = subprocess.run(
            [sys.executable, __file__, kind, setting], capture_output=True, text=True, check=True
        )
        results[f"{kind} {setting}"] = json.loads(out.stdout.strip().splitlines()[-1])
        print(f"{kind} {setting}: {results[f'{kind} {setting}']}", flush=True)
    for precision in ("fp32", "bf16") if "predict eager-fp32" in results else ():
        eager, compiled = results[f"predict eager-{precision}"], results[f"predict compiled-{precision}"]
        steady = compiled["second_pass_rows_per_s"] / eager["second_pass_rows_per_s"]
        compile_s = compiled["seconds"] - len_rows(compiled) / compiled["second_pass_rows_per_s"]
        n_rows = 15_000  # XNLI's test set: a realistic predict
        total = (
            compile_s + n_rows / compiled["second_pass_rows_per_s"],
            n_rows / eager["second_pass_rows_per_s"],
        )
        print(
            f"predict {precision}: first pass compiled / eager = {compiled['rows_per_s'] / eager['rows_per_s']:.2f}; "
            f"second pass {steady:.2f}; {n_rows} rows: compiled {total[0]:.0f} s (compiling {compile_s:.0f} s), "
            f"eager {total[1]:.0f} s ({total[1] / total[0]:.2f}x)"
        )
    saved = WORK / "compile.json"
    saved.write_text(
        json.dumps({**(json.loads(saved.read_text()) if saved.exists() else {}), **results}, indent=1)
    )
    if "train eager" not in results:
        return
    eager, compiled = results["train eager"], results["train compiled"]
    print(
        f"train: steady step compiled / eager = {eager['steady_step_s'] / compiled['steady_step_s']:.2f}x speed; "
        f"{REALISTIC_STEPS} steps: eager {eager['projected_630_steps_s']} s, compiled "
        f"{compiled['projected_630_steps_s']} s ({eager['projected_630_steps_s'] / compiled['projected_630_steps_s']:.2f}x)"
    )


if __name__ == "__main__":
    main()
