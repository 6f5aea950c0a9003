"""What inference precision costs in accuracy and buys in time (issue 16): fp32, bf16 autocast, dynamic int8.

    python benchmarks/precision.py [--model benchmarks/runs/quality/xnli-2ep/seed1/finetuned]
                                   [--data benchmarks/runs/quality/xnli-2ep/data/test.parquet]

A benchmark, not a test. Runs `alsace eval` on the fine-tuned model with `--precision fp32` and
`--precision bf16` on the CPU, and two dynamic-int8 variants in this process (torch's quantize_dynamic, then
alsace's batched prediction, as a `--quantize int8` option would): `int8`, every Linear layer with
per-tensor weights (what the issue proposed), and `int8-ffn-fp32`, per-channel weights with the feed-forward
output layers (whose inputs, after GELU, have outliers) left in fp32. One after the other; per mode: the wall time,
the accuracy per language and on average, the difference to fp32 in points, the share of rows whose
predicted label differs from fp32's, and an exact sign test over the rows that changed from right to
wrong or back (is the mode worse than fp32 by more than chance?). Defaults: the model and test set of
`benchmarks/quality.py --bench xnli-2ep` seed 1 (15 languages × 1,000 XNLI test pairs).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
RUN = ROOT / "benchmarks/runs/quality/xnli-2ep"
MODES = {
    "fp32": ["--precision", "fp32"],
    "bf16": ["--precision", "bf16"],
    "int8": None,
    "int8-ffn-fp32": None,
}


def int8_predictions(mode: str, model_dir: str, data: str, out: Path) -> None:
    """quantize_dynamic, then alsace's prediction (length-sorted batches of 64, as eval), written as eval would."""
    import warnings

    import torch
    from torch.ao.quantization import default_dynamic_qconfig, per_channel_dynamic_qconfig, quantize_dynamic

    from alsace_cli.io.artifacts import load_dataset, write_artifact
    from alsace_cli.runtime.inference import predict_probs, predictions_frame
    from alsace_cli.tasks import get_task
    from alsace_cli.tasks.models import load_model

    dataset = load_dataset(data)
    model, tokenizer = load_model(model_dir, dataset.task, dataset.labels)
    model.eval()
    linears = [name for name, module in model.named_modules() if isinstance(module, torch.nn.Linear)]
    if mode == "int8":
        spec = {name: default_dynamic_qconfig for name in linears}
    else:  # the FFN output ("layer.N.output.dense", not "attention.output.dense") stays fp32
        spec = {
            name: per_channel_dynamic_qconfig
            for name in linears
            if not (name.endswith("output.dense") and "attention" not in name)
        }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = quantize_dynamic(model, spec, dtype=torch.qint8)
    probs = predict_probs(
        model,
        tokenizer,
        get_task(dataset.task),
        dataset.frame,
        max_length=128,
        batch_size=64,
        device=torch.device("cpu"),
    )
    write_artifact(
        predictions_frame(dataset.frame["id"], dataset.frame["lang"], probs),
        out,
        "predictions",
        {"task": dataset.task, "labels": dataset.labels},
    )


def main() -> None:
    from alsace_cli.io.artifacts import read_predictions
    from alsace_cli.training.guard import sign_test_worse

    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--model", default=str(RUN / "seed1/finetuned"))
    parser.add_argument("--data", default=str(RUN / "data/test.parquet"))
    parser.add_argument("--work", default=str(ROOT / "benchmarks/runs/precision"))
    args = parser.parse_args()
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    seconds = {}
    for mode, flags in MODES.items():
        start = time.perf_counter()
        if flags is None:
            int8_predictions(mode, args.model, args.data, work / f"predictions-{mode}.parquet")
            seconds[mode] = time.perf_counter() - start
            continue
        subprocess.run(
            [
                "alsace",
                "eval",
                "--model",
                args.model,
                "--data",
                args.data,
                "--device",
                "cpu",
                "--out",
                str(work / f"metrics-{mode}.parquet"),
                "--predictions-out",
                str(work / f"predictions-{mode}.parquet"),
                "--overwrite",
                *flags,
            ],
            check=True,
        )
        seconds[mode] = time.perf_counter() - start
    gold = pd.read_parquet(args.data, columns=["id", "lang", "label"])
    right = {}
    table = []
    for mode in MODES:
        pred = read_predictions(work / f"predictions-{mode}.parquet").frame
        merged = gold.merge(pred[["id", "lang", "pred"]], on=["id", "lang"], validate="one_to_one")
        right[mode] = (merged["pred"] == merged["label"]).to_numpy()
        per_lang = merged.assign(right=right[mode]).groupby("lang")["right"].mean() * 100
        if mode == "fp32":
            fp32_pred = merged["pred"].to_numpy()
        table.append(
            {
                "mode": mode,
                "seconds": round(seconds[mode], 1),
                "rows/s": round(len(merged) / seconds[mode], 1),
                "avg": round(per_lang.mean(), 2),
                "en": round(per_lang.get("en", np.nan), 2),
                "worst": round(per_lang.min(), 2),
                "label differs from fp32 (%)": round(
                    100 * np.mean(merged["pred"].to_numpy() != fp32_pred), 2
                ),
                **{lang: round(v, 1) for lang, v in per_lang.items()},
            }
        )
    frame = pd.DataFrame(table).set_index("mode")
    frame["Δavg vs fp32"] = (frame["avg"] - frame.loc["fp32", "avg"]).round(2)
    for mode in MODES:
        better, worse, p = sign_test_worse(right["fp32"].astype(float), right[mode].astype(float))
        frame.loc[mode, "fp32 right→wrong"] = worse
        frame.loc[mode, "wrong→right"] = better
        frame.loc[mode, "p(worse)"] = round(p, 4)
    print(f"model {args.model}, data {args.data}: {len(gold)} rows")
    print(frame.T.to_markdown())
    (work / "results.json").write_text(json.dumps(frame.reset_index().to_dict(orient="records"), indent=1))


if __name__ == "__main__":
    main()
