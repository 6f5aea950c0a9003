"""`alsace run`'s plan: every stage's resolved config and what it reads and writes, built before any work.

The stages planned are the pipeline's entries for the task's output type (stages/run.py's docstring says
which); paths between them are wired here; under `--recipe auto` the distill step is one step per
candidate and a `choose-recipe` step.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from alsace_cli.configs import (
    FinetuneConfig,
    RunConfig,
)
from alsace_cli.errors import AlsaceError
from alsace_cli.output_types import OutputType
from alsace_cli.stages.distill import check as check_distill
from alsace_cli.stages.run_branches import plan_auto, plan_baseline, plan_dev_translate, plan_translate
from alsace_cli.stages.run_steps import Step
from alsace_cli.stages.run_wiring import (
    TINY,
    Plan,
    distill_wiring,
    stage_adder,
    texts_of,
)
from alsace_cli.stages.tiny_model import build_tiny_model


def plan_stages(
    run: RunConfig,
    sections: dict[str, dict[str, Any]],
    config_file: str | Path,
    output: OutputType,
    candidates: dict[str, dict[str, Any]] | None = None,
) -> Plan:
    """Every stage's resolved config and what it reads and writes, before any work; `candidates`: the
    [distill] section of each of `--recipe auto`'s candidates."""
    plan = Plan(run, Path(run.dir))
    _check_paths(run, plan.root, config_file)
    model = str(plan.root / "tiny-base") if run.model == TINY else run.model
    if run.model == TINY:
        data = [run.train, run.unlabeled or run.test]
        build = lambda: build_tiny_model(model, texts_of(data[0]) + texts_of(data[1]), seed=run.seed)  # noqa: E731
        plan.steps.append(Step("tiny-model", {"seed": run.seed}, data, Path(model), build))
    stage = stage_adder(plan, sections, config_file)
    hub = {"revision": run.revision, "trust_remote_code": run.trust_remote_code or None}
    ft = stage("finetune", {"model": model, "train": run.train, "dev": run.dev, **hub})
    if not run.unlabeled:
        return plan_baseline(plan, sections, config_file, stage, ft, output)
    return _plan_method(plan, sections, config_file, output, candidates, stage, ft)


def _check_paths(run: RunConfig, root: Path, config_file: str | Path) -> None:
    if root.exists() and not root.is_dir():
        raise AlsaceError(
            f"{config_file} [run] dir: {run.dir} is a file; the run directory must be a folder (or not exist)"
        )
    others = {Path(run.unlabeled).resolve() if run.unlabeled else None, Path(run.test).resolve()}
    if run.dev and Path(run.dev).resolve() in others:
        raise AlsaceError(
            f"{config_file} [run] dev: {run.dev} is also the unlabeled or test set; pick checkpoints on other data"
        )


def _plan_method(
    plan: Plan,
    sections: dict[str, dict[str, Any]],
    config_file: str | Path,
    output: OutputType,
    candidates: dict[str, dict[str, Any]] | None,
    stage: Callable[..., Any],
    ft: FinetuneConfig,
) -> Plan:
    """From the fine-tuned model: predict, vote (labels), select, make-pairs, distill (or auto's), eval."""
    run, root = plan.run, plan.root
    corpus = plan_translate(run, sections["translate"], config_file, stage)
    pr = stage("predict", {"model": ft.out, "data": corpus})
    votes = stage("vote", {"predictions": pr.out}).out if output.votes else None
    se = stage("select", {"predictions": pr.out, "pseudo_labels": votes or ""})
    pa = stage("make-pairs", {"data": corpus, "languages": se.out})  # QA data: by question language
    dev = plan_dev_translate(plan, sections, corpus, config_file, stage) if run.dev_translate else run.dev
    _plan_distill(plan, sections, config_file, candidates, stage, (ft, pr, se, pa, votes, corpus, dev))
    groups = se.out if output.groups_from_select else None
    stage(
        "eval",
        {
            "models": [ft.out, plan.distilled],
            "data": run.test,
            "languages": groups,
            "plot": str(root / output.plot_name),
            "source_lang": sections["eval"].get("source_lang", run.source_lang),
        },
    )
    return plan


def _plan_distill(
    plan: Plan,
    sections: dict,
    config_file: str | Path,
    candidates: dict | None,
    stage: Callable,
    wiring: tuple,
) -> None:
    """distill's step, or auto's steps; `plan.distilled` names the model eval compares."""
    if candidates:
        plan.distilled = plan_auto(plan, candidates, wiring, config_file)
        return
    di = stage("distill", distill_wiring(plan.run, sections["distill"], *wiring))
    check_distill(di, task_of=plan.run.unlabeled)  # a translated corpus is not written yet: the same task
    plan.distilled = di.out
