"""How fast translate generates on this CPU, and what that means for a real MT model.

    python benchmarks/translate_speed.py            # ~3 min on 2 cores

Measured: the tiny random NLLB-style model (`alsace tiny-model --kind nllb`, d_model 32, 1+1 layers)
translating 256 XNLI English test premises into German, greedy and beam 4, fp32 and bf16: generated tokens
per second through the whole stage (reading, tokenizing, generating, checking, writing). The tiny model
measures alsace's own overhead per token, not an MT model's compute.

Estimated: NLLB-200-distilled-600M (12+12 layers, d_model 1024, FFN 4096, vocabulary 256,206) from its
FLOPs per token, at this CPU's measured matmul rate (benchmarks/speed.py's 2048² matmul) times the share
of it predict reaches (speed.py's last run on this machine). Generation is slower than that: each step is a small matmul
(a batch of beams × one token) that reaches a smaller share of the peak, so the estimate is an upper bound.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "xnli"
sys.path.insert(0, str(ROOT))


def nllb_600m_flops() -> dict[str, float]:
    """FLOPs (2 × multiply-adds) per source token (encoder) and per generated token per beam (decoder and
    the output projection), NLLB-200-distilled-600M's shapes; attention over the sequence is left out
    (short sentences: it is a few percent)."""
    d, ffn, layers, vocab = 1024, 4096, 12, 256_206
    attention = 4 * d * d
    encoder_layer = attention + 2 * d * ffn
    decoder_layer = 2 * attention + 2 * d * ffn  # self- and cross-attention
    return {
        "per_source_token": 2 * layers * encoder_layer,
        "per_generated_token": 2 * (layers * decoder_layer + d * vocab),
    }


def matmul_gflops(dtype: str) -> float:
    import torch

    a = torch.randn(2048, 2048, dtype=getattr(torch, dtype))
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        a @ a
        best = min(best, time.perf_counter() - start)
    return 2 * 2048**3 / best / 1e9


def run(model: Path, data: Path, out: Path, beams: int, precision: str) -> dict:
    command = [
        sys.executable,
        "-m",
        "alsace_cli",
        "translate",
        "--model",
        str(model),
        "--data",
        str(data),
        "--target-languages",
        "de",
        "--out",
        str(out),
        "--num-beams",
        str(beams),
        "--max-new-tokens",
        "48",
        "--precision",
        precision,
        "--device",
        "cpu",
        "--overwrite",
        "--json",
    ]
    start = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, check=True, cwd=ROOT)
    seconds = time.perf_counter() - start
    tokens = json.loads(result.stdout)["generated_tokens_this_run"]
    return {
        "beams": beams,
        "precision": precision,
        "seconds": round(seconds, 1),
        "generated tokens": tokens,
        "tokens/s": round(tokens / seconds, 1),
    }


def shares() -> dict[str, float]:
    """The share of the matmul peak predict reaches, per dtype, from speed.py's last results on this machine."""
    found = ROOT / "benchmarks/runs/speed/results.json"
    if not found.exists():
        sys.exit("run benchmarks/speed.py first: the estimate uses the share of the peak predict reaches")
    results = json.loads(found.read_text())
    return {
        "float32": results["alsace-predict"]["gflops"] / results["matmul"]["gflops"],
        "bfloat16": results["alsace-predict-bf16"]["gflops"] / results["matmul-bf16"]["gflops"],
    }


def main() -> None:
    from alsace_cli.io.artifacts import write_artifact
    from alsace_cli.stages.tiny_model import build_tiny_translator

    work = ROOT / "benchmarks" / "runs" / "translate-speed"
    work.mkdir(parents=True, exist_ok=True)
    rows = pd.read_csv(
        DATA / "test-en.tsv", sep="\t", header=None, quoting=3, nrows=256, names=["text", "b", "label"]
    )
    frame = pd.DataFrame({"id": [str(i) for i in range(len(rows))], "lang": "en", "text": rows["text"]})
    data = write_artifact(frame, work / "english.parquet", "dataset", {"task": "single", "labels": ["x"]})
    model = work / "tiny-nllb"
    if not model.exists():
        build_tiny_translator(model, frame["text"].tolist(), "nllb")
    measured = [
        run(model, data, work / "out.parquet", beams, precision)
        for beams in (1, 4)
        for precision in ("fp32", "bf16")
    ]
    print(pd.DataFrame(measured).to_string(index=False))
    flops = nllb_600m_flops()
    print(
        f"\nNLLB-600M: {flops['per_source_token'] / 1e9:.2f} GFLOP per source token, "
        f"{flops['per_generated_token'] / 1e9:.2f} GFLOP per generated token and beam"
    )
    for dtype, share in shares().items():
        peak = matmul_gflops(dtype)
        # one source token per generated token (a translation about as long as its input)
        for beams in (1, 4):
            per_token = flops["per_source_token"] + beams * flops["per_generated_token"]
            print(
                f"  {dtype}, beam {beams}: peak {peak:.0f} GFLOP/s × {share:.0%} → at most "
                f"{peak * share * 1e9 / per_token:.0f} generated tokens/s"
            )


if __name__ == "__main__":
    main()
