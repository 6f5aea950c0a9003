"""What inference precision costs in accuracy and buys in time (issue 16): fp32, bf16 autocast, dynamic int8.

    python benchmarks/precision.py [--model benchmarks/runs/quality/xnli-2ep/seed1/finetuned]
                                   [--data benchmarks/runs/quality/xnli-2ep/data/test.parquet]

A benchmark, not a test. Runs `alsace eval` on the fine-tuned model once per mode (`--precision fp32`,
`--precision bf16`, `--quantize int8`) on the CPU, one after the other, and prints per mode: the wall time,
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
MODES = {"fp32": [], "bf16": ["--precision", "bf16"], "int8": ["--quantize", "int8"]}


def main() -> None:
    from alsace_cli.artifacts import read_predictions
    from alsace_cli.stages.guard import sign_test_worse

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
        subprocess.run(["alsace", "eval", "--model", args.model, "--data", args.data, "--device", "cpu",
                        "--out", str(work / f"metrics-{mode}.parquet"), "--predictions-out",
                        str(work / f"predictions-{mode}.parquet"), "--overwrite", *flags], check=True)  # fmt: skip
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
        table.append({"mode": mode, "seconds": round(seconds[mode], 1), "rows/s": round(len(merged) / seconds[mode], 1),
                      "avg": round(per_lang.mean(), 2), "en": round(per_lang.get("en", np.nan), 2),
                      "worst": round(per_lang.min(), 2),
                      "label differs from fp32 (%)": round(100 * np.mean(merged["pred"].to_numpy() != fp32_pred), 2),
                      **{lang: round(v, 1) for lang, v in per_lang.items()}})  # fmt: skip
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
