"""benchmarks/profile_candidate.py runs a candidate as auto_dev.py does: its recipe's settings, its inputs."""

from __future__ import annotations

from pathlib import Path

import pytest

from alsace_cli.stages.run_settings import auto_distill_sections
from tests.benchmarks.test_default_rows import load


@pytest.mark.parametrize("recipe", sorted(auto_distill_sections({})))
def test_each_candidate_gets_its_recipe_and_only_the_inputs_its_teacher_reads(recipe, monkeypatch) -> None:
    from alsace_cli.training.teachers import teacher_class

    script = load("profile_candidate", monkeypatch)
    config = script.config("xcopa", 3, recipe, 25, Path("/tmp/out"))
    section = auto_distill_sections({})[recipe]
    needs = teacher_class(section.get("teacher", "live")).needs
    assert config.max_steps == 25 and config.eval_every == 25 and config.precision == "bf16"
    assert (
        config.teacher == section.get("teacher", "live") and config.learning_rate == section["learning_rate"]
    )
    assert config.guard_rule == section["guard_rule"]
    assert (config.train is not None) == (section.get("ce_weight", 0) > 0)
    assert (config.predictions is not None) == ("predictions" in needs)
    assert (config.languages is not None) == ("languages" in needs)
    assert config.dev.endswith("xcopa/data/tune.parquet") and config.max_length == 64
