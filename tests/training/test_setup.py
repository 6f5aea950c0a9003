"""training/setup.py: the accelerator a stage trains with."""

from __future__ import annotations

from alsace_cli.training.setup import make_accelerator


def test_one_process_can_train_at_one_precision_then_another() -> None:
    # accelerate's state is per process: before, a bf16 finetune made any later fp32 stage in the same
    # process fail ("AcceleratorState has already been initialized"), as a benchmark running both did.
    assert make_accelerator("cpu", "bf16").mixed_precision == "bf16"
    assert make_accelerator("cpu", "fp32").mixed_precision == "no"
    assert make_accelerator("cpu", "fp32").mixed_precision == "no"
    assert make_accelerator("cpu", "bf16").mixed_precision == "bf16"
    make_accelerator("cpu", "fp32")
