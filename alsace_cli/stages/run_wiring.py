"""What `alsace run`'s plan is made of: the plan, a stage's config resolved from its section and the paths
`run` wires, the step that runs it, and distill's wiring (stages/run_plan.py builds the plan from these)."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from alsace_cli.configs import DistillConfig, RunConfig, resolve
from alsace_cli.configs.table import Stage
from alsace_cli.configs.table import stage as table_stage
from alsace_cli.errors import AlsaceError
from alsace_cli.io.artifacts import load_dataset
from alsace_cli.stages.run_steps import Step
from alsace_cli.tasks import get_task
from alsace_cli.training.teachers import teacher_class

TINY = "tiny"
# Settings that `run` decides itself (where files go and come from); a config may not set them per stage.
WIRED = {
    "model",
    "models",
    "train",
    "dev",
    "data",
    "out",
    "predictions",
    "pseudo_labels",
    "languages",
    "pairs",
    "recipe",
}


@dataclass
class Plan:
    run: RunConfig
    root: Path
    configs: dict[str, Any] = field(default_factory=dict)  # section → resolved config, in order
    steps: list[Step] = field(default_factory=list)
    distilled: str | None = None  # the model eval compares with the fine-tuned one


def stage_config(
    plan: Plan, cls: type, name: str, section: dict[str, Any], wired: dict[str, Any], config_file: str | Path
) -> Any:
    clash = sorted(
        set(section) & WIRED - ({"model"} if name == "translate" else set())
    )  # translate: the MT model
    if clash:
        raise AlsaceError(
            f"{config_file} [{name}]: {clash[0]!r} is set by `run` itself; set it in the [run] section instead"
        )
    seeded = {"seed": section.get("seed", plan.run.seed)} if "seed" in cls.__dataclass_fields__ else {}
    device = {"device": plan.run.device} if "device" in cls.__dataclass_fields__ else {}
    config = resolve(
        cls,
        name,
        flags=device | seeded | wired,
        file_values=section,
        file_label=str(config_file),
        file_dir=Path(config_file).parent,
    )
    plan.configs[name] = config
    return config


def stage_adder(
    plan: Plan, sections: dict[str, dict[str, Any]], config_file: str | Path
) -> Callable[..., Any]:
    """A function that plans one stage from its entry in the stage table: its config resolved from its
    section and the paths `run` wires (its output in the run directory unless wired), and its step appended
    to the plan; returns the config. `entry`: the table's stage when the step has a name of its own
    (translate-dev, distill:NAME)."""

    def add(name: str, wired: dict[str, Any], entry: str | None = None) -> Any:
        found = table_stage(entry or name)
        if found.run_out and "out" not in wired:
            wired = {**wired, "out": str(plan.root / found.run_out)}
        config = stage_config(plan, found.config, name, sections.get(name, {}), wired, config_file)
        plan.steps.append(table_step(name, found, config))
        return config

    return add


def table_step(name: str, entry: Stage, config: Any) -> Step:
    """The step that runs `entry`'s function on `config`, fingerprinted by the files its `reads` name."""
    inputs: list[str | None] = []
    for read in entry.reads:
        value = getattr(config, read)
        inputs += list(value) if isinstance(value, list | tuple) else [value]
    # A model name with a {tgt} template (one MT model per language) names no file to hash.
    inputs = [None if isinstance(v, str) and "{" in v else v for v in inputs]
    return Step(name, config, inputs, Path(config.out), lambda: run_stage(entry, config))


def run_stage(entry: Stage, config: Any) -> Any:
    """The stage's function, as the table names it, on a run's terms: it overwrites what the run wrote
    before (its fingerprint changed) and resumes a training stage's checkpoint that matches."""
    module, function = entry.run.split(":")
    call = getattr(importlib.import_module(module), function)
    return call(config, overwrite=True, **({"resume": "auto"} if entry.resume else {}))


def distill_wiring(
    run: RunConfig,
    section: dict[str, Any],
    ft: Any,
    pr: Any,
    se: Any,
    pa: Any,
    votes: str | None,
    corpus: str,
    dev: str | None,
) -> dict[str, Any]:
    """distill's inputs: `mask_pseudo_labels = true` means this run's vote; a teacher that needs predict's
    or select's output gets it (training/teachers.py says which)."""
    root = Path(run.dir)
    wired = {"model": ft.out, "data": corpus, "pairs": pa.out, "out": str(root / "distilled"), "dev": dev}
    if isinstance(section.get("mask_pseudo_labels"), bool):
        wired["mask_pseudo_labels"] = votes if section.pop("mask_pseudo_labels") else None
    if float(section.get("ce_weight", 0) or 0) > 0:  # the English anchor trains on [run] train
        wired["train"] = run.train
    needs = teacher_class(section.get("teacher", DistillConfig().teacher)).needs
    wired["predictions"] = pr.out if "predictions" in needs else None
    wired["languages"] = se.out if "languages" in needs else None
    return wired


def languages_of(path: str) -> list[str]:
    import pyarrow.parquet as pq

    return sorted(set(pq.read_table(path, columns=["lang"])["lang"].to_pylist()))


def texts_of(path: str) -> list[str]:
    dataset = load_dataset(path)
    columns = get_task(dataset.task).text_columns
    return [text for column in columns for text in dataset.frame[column].astype(str)]
