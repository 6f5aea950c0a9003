"""A run directory's fingerprint: what each artifact holds, without when, where or by which command.

- Parquet artifacts: every column's values (floats as floats, everything else as text) and the alsace
  metadata less its provenance (which names paths and times).
- Model directories: per weight tensor its shape, sha256 of its bytes, sum and sum of squares (float64);
  the guard's decision from the provenance; the model config less its path and versions.
`compare` reports the first difference beyond `tolerance` (relative, on floats) and counts the tensors
that are bit-identical.
"""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path
from typing import Any

import numpy as np


def _value(v: Any) -> Any:
    if isinstance(v, (float, np.floating)):
        return float(v)
    if isinstance(v, (int, np.integer, bool, np.bool_)) and not isinstance(v, bool):
        return int(v)
    if isinstance(v, np.ndarray):
        return [_value(x) for x in v.tolist()]
    if isinstance(v, (list, tuple)):
        return [_value(x) for x in v]
    if isinstance(v, dict):
        return {str(k): _value(x) for k, x in sorted(v.items())}
    if v is None or v is True or v is False:
        return v
    return str(v)


def parquet_fingerprint(path: Path) -> dict[str, Any]:
    import pyarrow.parquet as pq

    table = pq.read_table(path)
    meta = json.loads((table.schema.metadata or {}).get(b"alsace", b"{}"))
    meta.pop("provenance", None)
    frame = table.to_pandas()
    return {
        "columns": {c: [_value(v) for v in frame[c].tolist()] for c in sorted(frame.columns)},
        "meta": _value(meta),
    }


def model_fingerprint(path: Path) -> dict[str, Any]:
    from safetensors.numpy import load_file

    weights = load_file(path / "model.safetensors")
    tensors = {}
    for name in sorted(weights):
        w = weights[name]
        tensors[name] = {
            "shape": list(w.shape),
            "sha256": hashlib.sha256(w.tobytes()).hexdigest(),
            "sum": float(w.astype(np.float64).sum()),
            "sumsq": float((w.astype(np.float64) ** 2).sum()),
        }
    provenance = (
        json.loads((path / "alsace_provenance.json").read_text())
        if (path / "alsace_provenance.json").exists()
        else {}
    )
    config = json.loads((path / "config.json").read_text())
    for key in ("_name_or_path", "transformers_version"):
        config.pop(key, None)
    out = {"tensors": tensors, "guard": _value(provenance.get("guard")), "config": _value(config)}
    if (path / "train_log.parquet").exists():
        out["train_log"] = parquet_fingerprint(path / "train_log.parquet")
    return out


def _relative(value: Any, root: str) -> Any:
    """Paths under the run folder written relative to it ("W/..."), so two folders compare equal."""
    if isinstance(value, str):
        return value.replace(root, "W")
    if isinstance(value, list):
        return [_relative(v, root) for v in value]
    if isinstance(value, dict):
        return {k: _relative(v, root) for k, v in value.items()}
    return value


def fingerprint(root: Path) -> dict[str, Any]:
    return _relative(_fingerprint(root), str(root))


def _fingerprint(root: Path) -> dict[str, Any]:
    out: dict[str, Any] = {}
    models = sorted(p.parent for p in root.rglob("model.safetensors"))
    for model in models:
        out[str(model.relative_to(root)) + "/"] = model_fingerprint(model)
    for path in sorted(root.rglob("*.parquet")):
        if not any(path.is_relative_to(m) for m in models):
            out[str(path.relative_to(root))] = parquet_fingerprint(path)
    return out


def _noise_only(name: str, config: dict[str, Any]) -> bool:
    """A weight whose gradient is zero in exact arithmetic: a key bias adds one score to every key of a query
    (softmax ignores it); in a span head the output bias and the last layer's LayerNorm bias add one logit
    to every position. Their updates are rounding noise that Adam scales to full-size steps, so they differ
    between CPUs (AVX2 and AVX-512 kernels round differently) where every other weight agrees within 1e-6."""
    if name.endswith("attention.self.key.bias"):
        return True
    spans = any("QuestionAnswering" in a for a in config.get("architectures", []))
    last = config.get("num_hidden_layers", 0) - 1
    return spans and (name == "qa_outputs.bias" or name.endswith(f"layer.{last}.output.LayerNorm.bias"))


def _compare_tensors(expected: dict, found: dict, config: dict, where: str, tolerance: float) -> list[str]:
    """Per weight tensor: its shape, and its sum and sum of squares within `tolerance` of its scale (the sum
    relative to sqrt(n · sumsq), the most it can be, so a near-zero sum of large weights is not read as a
    large relative change). Noise-only tensors (see _noise_only) are compared by shape."""
    problems = []
    for name in sorted(set(expected) | set(found)):
        if name not in found or name not in expected:
            problems.append(f"{where}/{name}: {'missing' if name not in found else 'unexpected'}")
            continue
        a, b = expected[name], found[name]
        if a["shape"] != b["shape"]:
            problems.append(f"{where}/{name}/shape: {b['shape']}, expected {a['shape']}")
        elif not _noise_only(name, config):
            scale = math.sqrt(max(math.prod(a["shape"]), 1) * a["sumsq"])
            if abs(b["sum"] - a["sum"]) > tolerance * scale + 1e-12:
                problems.append(f"{where}/{name}/sum: {b['sum']!r}, expected {a['sum']!r}")
            if abs(b["sumsq"] - a["sumsq"]) > tolerance * a["sumsq"] + 1e-12:
                problems.append(f"{where}/{name}/sumsq: {b['sumsq']!r}, expected {a['sumsq']!r}")
    return problems


def compare(expected: Any, found: Any, where: str = "", tolerance: float = 1e-5) -> list[str]:
    """The differences (each a line naming where), floats compared within `tolerance` relative."""
    if (
        isinstance(expected, dict)
        and isinstance(found, dict)
        and "tensors" in expected
        and "tensors" in found
    ):
        rest = compare(
            {k: v for k, v in expected.items() if k != "tensors"},
            {k: v for k, v in found.items() if k != "tensors"},
            where,
            tolerance,
        )
        return rest + _compare_tensors(
            expected["tensors"], found["tensors"], expected.get("config") or {}, f"{where}/tensors", tolerance
        )
    if isinstance(expected, dict) and isinstance(found, dict):
        problems = []
        for key in sorted(set(expected) | set(found)):
            if key == "sha256":
                continue
            if key not in found or key not in expected:
                problems.append(f"{where}/{key}: {'missing' if key not in found else 'unexpected'}")
                continue
            problems += compare(expected[key], found[key], f"{where}/{key}", tolerance)
        return problems
    if isinstance(expected, list) and isinstance(found, list):
        if len(expected) != len(found):
            return [f"{where}: {len(found)} values, expected {len(expected)}"]
        problems = []
        for i, (a, b) in enumerate(zip(expected, found, strict=True)):
            problems += compare(a, b, f"{where}[{i}]", tolerance)
            if problems:
                return problems
        return problems
    if isinstance(expected, float) and isinstance(found, (float, int)):
        if math.isnan(expected) and math.isnan(found):
            return []
        if math.isclose(expected, found, rel_tol=tolerance, abs_tol=tolerance * 1e-2):
            return []
        return [f"{where}: {found!r}, expected {expected!r}"]
    return [] if expected == found else [f"{where}: {found!r}, expected {expected!r}"]


def identical_tensors(expected: dict[str, Any], found: dict[str, Any]) -> tuple[int, int]:
    """(bit-identical weight tensors, all weight tensors) over the models both fingerprints hold."""
    same = total = 0
    for name, entry in expected.items():
        if "tensors" in entry and name in found:
            for key, tensor in entry["tensors"].items():
                total += 1
                same += found[name]["tensors"].get(key, {}).get("sha256") == tensor["sha256"]
    return same, total
