"""The device and the numeric precision a stage runs at, checked against this machine before any work.

torch is imported inside the functions so that `alsace --help` stays instant.
"""

from __future__ import annotations

import contextlib
import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING, Any

from alsace_cli.configs import PRECISIONS
from alsace_cli.errors import AlsaceError

if TYPE_CHECKING:
    import torch


def pick_device(preference: str = "auto") -> torch.device:
    import torch

    if preference == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    check_device(preference)
    return torch.device(preference)


def check_device(preference: str) -> None:
    """Refuse a device this machine does not have, rather than quietly running on the CPU."""
    import torch

    if preference in ("auto", "cpu"):
        return
    if preference == "mps":
        if getattr(torch.backends, "mps", None) is None or not torch.backends.mps.is_available():
            raise AlsaceError("--device mps: no Apple GPU (MPS) here; use --device cpu or auto")
        return
    if preference == "cuda" or preference.startswith("cuda:"):
        index = preference.partition(":")[2]
        if index and not index.isdigit():
            raise AlsaceError(f"--device {preference}: expected cuda or cuda:N with N a GPU index")
        if not torch.cuda.is_available():
            raise AlsaceError(
                f"--device {preference}: no CUDA GPU is visible on this machine "
                "(torch.cuda.is_available() is False); use --device cpu or auto"
            )
        if index and int(index) >= torch.cuda.device_count():
            raise AlsaceError(
                f"--device {preference}: this machine has {torch.cuda.device_count()} CUDA GPU(s), 0.."
                f"{torch.cuda.device_count() - 1}"
            )
        return
    raise AlsaceError(f"--device: unknown device {preference!r} (use auto, cpu, cuda, cuda:N or mps)")


def cpu_computes_bf16() -> bool:
    """Whether this CPU has bf16 instructions (AVX512-BF16 or AMX), read from /proc/cpuinfo's flags: never
    guessed from the model name. False where there is no such file (macOS, Windows)."""
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    flags = next(
        (line.split(":", 1)[1].split() for line in text.splitlines() if line.startswith("flags")), []
    )
    return bool({"avx512_bf16", "amx_bf16"} & set(flags))


def resolve_precision(precision: str, device: str) -> str:
    """The precision a stage runs at, resolved once so the saved config says what ran.

    `auto` is bf16 autocast on a CUDA GPU that computes bf16 and on a CPU with bf16 instructions (there bf16
    predicted, fine-tuned and distilled as accurately as fp32, and faster: docs/speed.md), fp32 elsewhere.
    fp16 on a CPU is refused: a CPU has no fast fp16 matmul (docs/speed.md has the measurement).
    """
    if precision not in PRECISIONS:
        raise AlsaceError(f"--precision: unknown precision {precision!r} (use {', '.join(PRECISIONS)})")
    kind = pick_device(device).type
    if precision == "auto":
        return auto_precision(kind)
    if precision == "fp16" and kind == "cpu":
        raise AlsaceError(
            "--precision fp16: a CPU has no fast fp16 matmul (measured 440x slower than fp32); "
            "use --precision bf16 (CPUs with AVX512-BF16 or AMX) or fp32"
        )
    return precision


def auto_precision(device_type: str) -> str:
    import torch

    if device_type == "cuda":
        return "bf16" if torch.cuda.is_bf16_supported() else "fp32"
    if device_type == "cpu" and cpu_computes_bf16():
        return "bf16"
    return "fp32"


def with_resolved_precision(config: Any) -> Any:
    """`config` with `precision` resolved for its `device` (resolve_precision)."""
    return dataclasses.replace(config, precision=resolve_precision(config.precision, config.device))


def autocast(device: torch.device, precision: str) -> contextlib.AbstractContextManager:
    import torch

    if precision == "auto":  # a library caller's config that no stage resolved
        precision = auto_precision(device.type)
    if precision == "fp32":
        return contextlib.nullcontext()
    dtype = torch.bfloat16 if precision == "bf16" else torch.float16
    return torch.autocast(device_type=device.type, dtype=dtype)
