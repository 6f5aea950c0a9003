"""`alsace run`: the whole pipeline from one TOML config, every artifact in one run directory.

The stages run are the pipeline's entries in the stage table, as the task's output type needs them:
finetune → predict → vote → select → make-pairs → distill → eval for label distributions; no vote for
answer spans (select ranks question languages by their answers' probability). Without `[run] unlabeled`
the run fine-tunes and evaluates only (the zero-shot baseline). Every stage's settings are resolved and
checked before any work, so a bad value in the last section fails in a second, not after hours.

A stage is skipped when its output exists and its fingerprint (its resolved settings plus the sha256 of
each input) matches the one recorded when the output was written, in `run_state.json`. Change a setting
or an input and that stage and everything downstream whose inputs change reruns. A stage that was
interrupted resumes from its checkpoint.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import tomli_w

from alsace_cli.configs import (
    RunConfig,
    load_toml,
    resolve,
    to_toml_dict,
)
from alsace_cli.configs.recipes import AUTO, chosen_recipe, default_recipe_note
from alsace_cli.configs.resolve import relative_paths
from alsace_cli.errors import AlsaceError
from alsace_cli.io.artifacts import Artifact, load_dataset, read_artifact
from alsace_cli.io.atomic import atomic_file
from alsace_cli.io.model_card import add_results
from alsace_cli.io.outputs import results_path_for
from alsace_cli.io.results import write_results
from alsace_cli.method.verdict import verdict
from alsace_cli.output_types import OutputType, output_type_of
from alsace_cli.runtime import report
from alsace_cli.stages.choose_recipe import recorded_choice
from alsace_cli.stages.run_plan import plan_stages
from alsace_cli.stages.run_settings import (
    auto_distill_sections,
    check_lengths,
    position_limit,
    sections_of,
    settings_sources,
    with_recipe,
    with_settings,
)
from alsace_cli.stages.run_steps import execute, run_log
from alsace_cli.stages.run_wiring import TINY, Plan, languages_of
from alsace_cli.stages.tiny_model import TINY_MAX_LENGTH
from alsace_cli.tasks import get_task


@dataclass
class RunResult:
    run_dir: Path
    ran: list[str]
    skipped: list[str]
    artifact: Artifact  # eval's metrics
    summary: pd.DataFrame
    source_lang: str
    metrics_kind: str
    # distill's guard decision, from the model's provenance (kept step, reason): which checkpoint was evaluated
    guard: dict[str, Any] | None = None
    verdict: dict[str, str] | None = None  # gain, no measurable change or harm, and the line that says it
    settings: pd.DataFrame | None = (
        None  # --print-config: every stage's settings and their sources; nothing ran
    )


def run_pipeline(
    config_file: str | Path, overrides: dict[str, Any] | None = None, settings: list[str] | None = None
) -> RunResult:
    """Run the pipeline of `config_file`; `overrides` are [run] flags, `settings` are `--set SECTION.KEY=VALUE`."""
    sections = sections_of(load_toml(config_file), config_file)
    written = {name: set(values) for name, values in sections.items()}  # the run file's own keys
    sections = with_settings(sections, settings or [])
    run = resolve(
        RunConfig,
        "run",
        flags=overrides,
        file_values=sections["run"],
        file_label=str(config_file),
        required=("model", "train", "test"),
        file_dir=Path(config_file).parent,
    )
    for name in ("train", "unlabeled", "test", "dev"):
        value = getattr(run, name)
        if value and not Path(value).exists():
            raise AlsaceError(f"{value}: no such file ([run] {name} in {config_file})")
    train = load_dataset(run.train)
    output = output_type_of(get_task(train.task))
    multilingual_dev = bool(run.dev) and (
        bool(run.dev_translate) or any(lang != run.source_lang for lang in languages_of(run.dev))
    )
    recipe = chosen_recipe(
        run.recipe,
        recipes_apply=output.recipes_apply,
        distils=bool(run.unlabeled),
        multilingual_dev=multilingual_dev,
    )
    candidates = (
        auto_distill_sections(sections["distill"]) if recipe["name"] == AUTO and run.unlabeled else None
    )
    sections = with_recipe(recipe["name"], sections, has_dev=bool(run.dev), fallback=recipe["fallback"])
    plan = plan_stages(run, sections, config_file, output, candidates)
    limit = TINY_MAX_LENGTH if run.model == TINY else position_limit(run.model)
    check_lengths(plan.configs, limit, run.model, config_file)
    if recipe["default"]:  # after every setting is checked: bad input gets its one line only
        report.info(report.esc(default_recipe_note(has_dev=bool(run.dev), multilingual_dev=multilingual_dev)))
    if run.print_config:
        return RunResult(
            plan.root,
            [],
            [],
            None,
            pd.DataFrame(),
            run.source_lang,
            output.metrics_kind,
            settings=settings_sources(plan.configs, written, settings or [], recipe["name"]),
        )
    with run_log(plan.root):
        return _execute(plan, run, train, output, candidates, recipe)


def _execute(
    plan: Plan,
    run: RunConfig,
    train: Any,
    output: OutputType,
    candidates: dict | None,
    recipe: dict[str, Any],
) -> RunResult:
    """Run the planned steps, then write run_config.toml, results.json and the model cards."""
    ran, skipped = execute(plan.steps, plan.root, force=plan.run.force)
    with atomic_file(plan.root / "run_config.toml") as tmp:
        configs = {"run": run, **plan.configs}  # paths relative to the run folder, as a run file's are read
        tmp.write_text(
            tomli_w.dumps(
                {name: relative_paths(to_toml_dict(cfg), plan.root) for name, cfg in configs.items()}
            )
        )
    ev = plan.configs["eval"]
    metrics = read_artifact(ev.out, output.metrics_kind)
    guard = _guard_decision(plan.distilled) if plan.distilled else None
    found = verdict(metrics.meta.get("comparisons", []), guard, ev.source_lang) if plan.distilled else None
    weak = output.near_chance(metrics.frame, ev.models[0], ev.source_lang, len(train.labels))
    if weak:
        report.warn(weak)
        found = found and {**found, "line": f"{found['line']}. Warning: {weak}", "warning": weak}
    auto = recorded_choice(plan.distilled) if candidates and plan.distilled else None
    if auto is not None:
        recipe["chosen"] = auto["chosen"]
    evaluated = json.loads(results_path_for(ev.out).read_text(encoding="utf-8"))
    for model in ev.models:  # each model's card gains its metrics on the test set
        rows = [row for row in evaluated["metrics"] if row["model"] == model]
        add_results(Path(model), rows, output.headline_metric, Path(ev.data).name)
    stages = {"run": to_toml_dict(run)} | {name: to_toml_dict(cfg) for name, cfg in plan.configs.items()}
    write_results(
        plan.root / "results.json",
        {
            **evaluated,
            "guard": guard,
            "verdict": found,
            "recipe": recipe,
            "ran": ran,
            "skipped": skipped,
            "settings": stages,
            "auto": auto,
        },
    )
    return RunResult(
        plan.root,
        ran,
        skipped,
        metrics,
        pd.DataFrame(metrics.meta["summary"]),
        ev.source_lang,
        output.metrics_kind,
        guard=guard,
        verdict=found,
    )


def _guard_decision(model_dir: str) -> dict[str, Any] | None:
    """The guard's decision recorded in a distilled model's provenance (None for a model from before it was)."""
    try:
        return json.loads((Path(model_dir) / "alsace_provenance.json").read_text()).get("guard")
    except (OSError, json.JSONDecodeError):
        return None
