"""The speed options (issue 16): --group-by-length, the fused optimizer, --precision auto, on the tiny model."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from alsace_cli.io.artifacts import read_predictions
from tests.cli.helpers import invoke, ok


def test_make_optimizer_uses_the_fused_adamw(tiny_base: Path) -> None:
    from alsace_cli.tasks.models import load_model
    from alsace_cli.training.setup import make_optimizer

    model, _ = load_model(str(tiny_base), "pair", ["a", "b", "c"], new_head=True)
    optimizer, _ = make_optimizer(model, 1e-3, 0.01, 0.1, 10)
    assert optimizer.defaults["fused"] is True
    # Same decay groups as before: no decay on biases and norms.
    assert [g["weight_decay"] for g in optimizer.param_groups] == [0.01, 0.0]


def test_finetune_group_by_length_trains_on_every_row_and_is_recorded(
    tmp_path: Path, data_dir: Path, tiny_base: Path
) -> None:
    train = pd.read_parquet(data_dir / "train.parquet")
    for flag, out in (("--group-by-length", "grouped"), ("--no-group-by-length", "plain")):
        ok(
            "finetune",
            "--model",
            tiny_base,
            "--train",
            data_dir / "train.parquet",
            "--out",
            tmp_path / out,
            "--epochs",
            "1",
            "--batch-size",
            "8",
            "--device",
            "cpu",
            flag,
        )
    grouped = json.loads((tmp_path / "grouped" / "alsace_provenance.json").read_text())
    assert grouped["config"]["group_by_length"] is True
    assert "group_by_length = true" in (tmp_path / "grouped" / "alsace_config.toml").read_text()
    logs = [pd.read_parquet(tmp_path / name / "train_log.parquet") for name in ("grouped", "plain")]
    assert [len(log) for log in logs] == [len(train) // 8] * 2
    # Other batches, so another trajectory: the option changes what is trained on at each step.
    assert not np.allclose(logs[0]["loss"], logs[1]["loss"])


def test_cpu_bf16_is_read_from_the_hardware_flags(tmp_path: Path, monkeypatch) -> None:
    from alsace_cli.runtime import devices

    real = Path.read_text

    def cpuinfo(flags: str):
        return lambda self, *a, **k: (
            f"processor : 0\nflags : fpu sse2 {flags}\n"
            if str(self) == "/proc/cpuinfo"
            else real(self, *a, **k)
        )

    monkeypatch.setattr(Path, "read_text", cpuinfo("avx2 avx512f"))
    assert devices.cpu_computes_bf16() is False
    monkeypatch.setattr(Path, "read_text", cpuinfo("avx512f avx512_bf16"))
    assert devices.cpu_computes_bf16() is True
    monkeypatch.setattr(Path, "read_text", cpuinfo("amx_tile amx_bf16"))
    assert devices.cpu_computes_bf16() is True


def test_precision_auto_is_bf16_where_the_hardware_computes_it(monkeypatch) -> None:
    import torch

    from alsace_cli.errors import AlsaceError
    from alsace_cli.runtime.devices import resolve_precision

    monkeypatch.setattr("alsace_cli.runtime.devices.cpu_computes_bf16", lambda: False)
    assert resolve_precision("auto", "cpu") == "fp32"
    from alsace_cli.runtime.devices import autocast

    assert isinstance(autocast(torch.device("cpu"), "auto"), contextlib.nullcontext)  # fp32: no autocast
    # A CPU with AVX512-BF16 or AMX: bf16, to predict and to train (both measured to hold there).
    monkeypatch.setattr("alsace_cli.runtime.devices.cpu_computes_bf16", lambda: True)
    assert resolve_precision("auto", "cpu") == "bf16"
    assert resolve_precision("bf16", "cpu") == "bf16"
    with pytest.raises(AlsaceError, match="--precision fp16"):
        resolve_precision("fp16", "cpu")
    monkeypatch.setattr("alsace_cli.runtime.devices.pick_device", lambda device: torch.device("cuda"))
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: True)
    assert resolve_precision("auto", "auto") == "bf16"
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: False)
    assert resolve_precision("auto", "auto") == "fp32"
    assert resolve_precision("fp16", "auto") == "fp16"


def test_the_saved_config_says_which_precision_ran(tmp_path: Path, data_dir: Path, finetuned: Path) -> None:
    ok(
        "predict",
        "--model",
        finetuned,
        "--data",
        data_dir / "test.parquet",
        "--device",
        "cpu",
        "--out",
        tmp_path / "p.parquet",
    )
    from alsace_cli.runtime.devices import cpu_computes_bf16

    expected = "bf16" if cpu_computes_bf16() else "fp32"  # auto: what this CPU computes (predict)
    assert f'precision = "{expected}"' in (tmp_path / "p.config.toml").read_text()
    meta = read_predictions(tmp_path / "p.parquet").meta
    assert meta["provenance"]["config"]["precision"] == expected
    result = invoke(
        "predict",
        "--model",
        finetuned,
        "--data",
        data_dir / "test.parquet",
        "--device",
        "cpu",
        "--out",
        tmp_path / "q.parquet",
        "--precision",
        "fp16",
    )
    assert result.exit_code == 2 and "--precision fp16" in result.output
    assert not (tmp_path / "q.parquet").exists()


@pytest.mark.parametrize("computes_bf16", [False, True])
def test_auto_trains_in_bf16_where_the_cpu_computes_it(
    monkeypatch, tmp_path: Path, data_dir: Path, tiny_base: Path, computes_bf16: bool
) -> None:
    from alsace_cli.stages.finetune import FinetuneConfig, finetune

    monkeypatch.setattr("alsace_cli.runtime.devices.cpu_computes_bf16", lambda: computes_bf16)
    out = finetune(
        FinetuneConfig(
            model=str(tiny_base),
            train=str(data_dir / "train.parquet"),
            out=str(tmp_path / "ft"),
            max_steps=1,
            batch_size=8,
            device="cpu",
        )
    )
    provenance = json.loads((Path(out) / "alsace_provenance.json").read_text())
    assert provenance["config"]["precision"] == ("bf16" if computes_bf16 else "fp32")
