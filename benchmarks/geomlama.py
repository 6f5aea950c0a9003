"""ALSACE on GeoMLAMA (the paper's Table 12 / Figure 2): a masked LM's per-country probing accuracy before and
after self-distillation across en, zh, hi, fa, sw.

    git clone https://github.com/WadeYin9712/GeoMLAMA ~/GeoMLAMA     # its files carry no licence: not shipped
    python benchmarks/geomlama.py --geomlama-dir ~/GeoMLAMA --model xlm-roberta-large [--seeds 1,2,3]

Steps (each an alsace command, skipped when its output exists): import the five gd_prompt_<lang>.tsv
files, predict with the masked LM, vote, select, make-pairs, distill (static teacher, 150 steps of 16
pairs, lr 2e-5: the setting the recipe grid tests) and eval both models with accuracy per country. No
masked LM with its head can be installed on this project's machines, so the figures come from a user's
run; tests/tasks/test_probe.py runs the same commands on a tiny random BertForMaskedLM.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LANGS = ("en", "zh", "hi", "fa", "sw")


def alsace(*args: object) -> None:
    command = [sys.executable, "-m", "alsace_cli", *map(str, args)]
    print("$", " ".join(command[2:]), file=sys.stderr, flush=True)
    subprocess.run(command, check=True, cwd=ROOT)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--geomlama-dir", required=True, help="a local copy of the GeoMLAMA repository")
    parser.add_argument("--model", default="xlm-roberta-large", help="a masked LM (AutoModelForMaskedLM)")
    parser.add_argument("--seeds", default="1")
    parser.add_argument("--root", default=str(ROOT / "benchmarks/runs/geomlama"))
    args = parser.parse_args()
    root, source = Path(args.root), Path(args.geomlama_dir)
    root.mkdir(parents=True, exist_ok=True)
    data = root / "geomlama.parquet"
    if not data.exists():
        alsace(
            "data",
            "import",
            "--format",
            "geomlama",
            *(source / f"gd_prompt_{lang}.tsv" for lang in LANGS),
            "--out",
            data,
        )
    predictions = root / "predictions.parquet"
    if not predictions.exists():
        alsace("predict", "--model", args.model, "--data", data, "--out", predictions, "--batch-size", 8)
    for seed in map(int, args.seeds.split(",")):
        w = root / f"seed{seed}"
        w.mkdir(exist_ok=True)
        steps = [
            ("pseudo_labels.parquet", ["vote", "--predictions", predictions]),
            (
                "languages.parquet",
                ["select", "--predictions", predictions, "--pseudo-labels", w / "pseudo_labels.parquet"],
            ),
            ("pairs.parquet", ["make-pairs", "--data", data, "--languages", w / "languages.parquet"]),
            (
                "distilled",
                [
                    "distill",
                    "--model",
                    args.model,
                    "--data",
                    data,
                    "--pairs",
                    w / "pairs.parquet",
                    "--teacher",
                    "static",
                    "--predictions",
                    predictions,
                    "--learning-rate",
                    "2e-5",
                    "--max-steps",
                    150,
                    "--pairs-per-batch",
                    16,
                    "--seed",
                    seed,
                ],
            ),
            (
                "metrics.parquet",
                [
                    "eval",
                    "--model",
                    args.model,
                    "--model",
                    w / "distilled",
                    "--data",
                    data,
                    "--languages",
                    w / "languages.parquet",
                    "--plot",
                    w / "accuracy.png",
                ],
            ),
        ]
        for out, command in steps:
            if not (w / out).exists():
                alsace(*command, "--out", w / out)


if __name__ == "__main__":
    main()
