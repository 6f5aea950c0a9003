"""Peak resident memory of `alsace predict` on 1,000, 100,000 and 1,000,000 rows with the tiny model.

A benchmark, not a test: it prints what it measured. Each size runs in its own process (`alsace predict`
through the CLI) and its peak RSS is read from the kernel (getrusage of the child). The growth beyond the
1,000-row run is what the streaming path must keep bounded (the issue's bar: under 300 MB at 1,000,000).

    python benchmarks/predict_memory.py [--sizes 1000,100000,1000000] [--root benchmarks/runs/memory]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from alsace_cli.io.artifacts import dataset_meta  # noqa: E402
from tests.conftest import LABELS, LANGS, pair_rows  # noqa: E402


def write_rows(path: Path, n: int, group: int = 50_000) -> None:
    """n rows of the test fixture's pair texts, written one row group at a time (never all in memory)."""
    meta = {b"alsace": json.dumps({"artifact": "dataset", **dataset_meta("pair", LABELS)}).encode()}
    writer = None
    for start in range(0, n, group):
        rows = min(group, n - start)
        frame = pair_rows(
            LANGS, (rows + len(LANGS) - 1) // len(LANGS), labeled=False, offset=start // len(LANGS)
        )
        table = pa.Table.from_pandas(frame.iloc[:rows], preserve_index=False).replace_schema_metadata(meta)
        writer = writer or pq.ParquetWriter(path, table.schema)
        writer.write_table(table)
    writer.close()


def peak_rss_of(command: list[str]) -> tuple[float, float]:
    """(peak RSS in MB, seconds) of one child process; run each in a fresh Python so peaks do not mix."""
    probe = (
        "import resource, subprocess, sys, time; t = time.perf_counter(); "
        "subprocess.run(sys.argv[1:], check=True, stderr=subprocess.DEVNULL); "
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, time.perf_counter() - t)"
    )
    out = subprocess.run([sys.executable, "-c", probe, *command], check=True, capture_output=True, text=True)
    peak, seconds = out.stdout.split()
    return float(peak), float(seconds)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="1000,100000,1000000")
    parser.add_argument("--root", default="benchmarks/runs/memory")
    args = parser.parse_args()
    root = Path(args.root)
    root.mkdir(parents=True, exist_ok=True)
    from alsace_cli.io.artifacts import write_artifact
    from alsace_cli.stages.finetune import FinetuneConfig, finetune
    from alsace_cli.stages.tiny_model import build_tiny_model

    model = root / "tiny-ft"  # a tiny classifier over the 3 NLI labels: one fine-tuning step on fixture rows
    if not model.exists():
        train = pair_rows(["en"], 24, labeled=True)
        write_artifact(train, root / "train.parquet", "dataset", dataset_meta("pair", LABELS))
        texts = [t for c in ("text_a", "text_b") for t in pair_rows(LANGS, 6, labeled=False)[c]]
        build_tiny_model(root / "tiny", texts, seed=0)
        finetune(
            FinetuneConfig(
                model=str(root / "tiny"),
                train=str(root / "train.parquet"),
                out=str(model),
                max_steps=1,
                device="cpu",
            ),
            overwrite=True,
        )
    results = []
    for n in [int(s) for s in args.sizes.split(",")]:
        data, out = root / f"data-{n}.parquet", root / f"pred-{n}.parquet"
        if not data.exists():
            write_rows(data, n)
        out.unlink(missing_ok=True)
        peak, seconds = peak_rss_of(
            [
                "alsace",
                "predict",
                "--model",
                str(model),
                "--data",
                str(data),
                "--out",
                str(out),
                "--device",
                "cpu",
                "--batch-size",
                "256",
            ]
        )
        rows = pq.ParquetFile(out).metadata.num_rows
        results.append(
            {"rows": n, "written": rows, "peak_rss_mb": round(peak, 1), "seconds": round(seconds, 1)}
        )
        print(json.dumps(results[-1]), flush=True)
        assert rows == n, (rows, n)
    base = results[0]["peak_rss_mb"]
    print(f"\n| rows | peak RSS (MB) | growth over {results[0]['rows']:,} rows (MB) | seconds |")
    print("|---|---|---|---|")
    for r in results:
        print(
            f"| {r['rows']:,} | {r['peak_rss_mb']:.0f} | {r['peak_rss_mb'] - base:+.0f} | {r['seconds']:.0f} |"
        )


if __name__ == "__main__":
    main()
