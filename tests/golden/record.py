"""Record the golden fingerprint: `python -m tests.golden.record [--out tests/golden/golden.json.gz]`.

Runs every scenario (tests/golden/scenarios.py) in a temporary folder and writes its fingerprint. With
`--compare FILE`, prints how the runs differ from that recorded fingerprint instead, and how many weight
tensors are bit-identical (max |Δw| = 0). `--keep DIR` leaves the runs in DIR.
"""

from __future__ import annotations

import argparse
import gzip
import json
import tempfile
from pathlib import Path

from tests.golden.fingerprint import compare, fingerprint, identical_tensors
from tests.golden.scenarios import run_all

GOLDEN = Path(__file__).with_name("golden.json.gz")


def load(path: Path = GOLDEN) -> dict:
    return json.loads(gzip.decompress(path.read_bytes()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=GOLDEN)
    parser.add_argument("--compare", type=Path)
    parser.add_argument("--keep", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = args.keep or Path(tmp) / "golden"
        run_all(work)
        found = fingerprint(work)
    if args.compare:
        expected = load(args.compare)
        problems = compare(expected, found)
        same, total = identical_tensors(expected, found)
        print(f"{len(problems)} differences; {same} of {total} weight tensors bit-identical")
        for line in problems[:40]:
            print(" ", line)
        return
    args.out.write_bytes(gzip.compress(json.dumps(found, sort_keys=True).encode(), mtime=0))
    print(f"{len(found)} artifacts → {args.out}")


if __name__ == "__main__":
    main()
