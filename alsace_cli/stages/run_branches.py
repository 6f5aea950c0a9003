"""The parts of `alsace run`'s plan that depend on the run's inputs: a corpus translated from English text,
a dev set translated for the guard, a run without a corpus (fine-tune and evaluate), and `--recipe auto`'s
candidates and choice."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from alsace_cli.configs import (
    DistillConfig,
    FinetuneConfig,
    RunConfig,
)
from alsace_cli.configs.table import stage as table_stage
from alsace_cli.errors import AlsaceError
from alsace_cli.output_types import OutputType
from alsace_cli.stages.choose_recipe import choose_recipe
from alsace_cli.stages.distill import check as check_distill
from alsace_cli.stages.run_steps import Step
from alsace_cli.stages.run_wiring import (
    Plan,
    distill_wiring,
    languages_of,
    stage_config,
    table_step,
)


def plan_auto(
    plan: Plan, candidates: dict[str, dict[str, Any]], wiring: tuple, config_file: str | Path
) -> str:
    """`--recipe auto`: a distill step per candidate from the same pairs, then the choice between them."""
    run, root = plan.run, plan.root
    if not run.dev:
        raise AlsaceError(
            f"{config_file} [run]: recipe auto needs dev, labeled rows (in the target languages "
            "where you have them) to choose between the candidates on"
        )
    dirs: dict[str, str] = {}
    for name, section in candidates.items():
        section = dict(section)
        wired = distill_wiring(run, section, *wiring) | {"out": str(root / f"distilled-{name}")}
        config = stage_config(plan, DistillConfig, f"distill:{name}", section, wired, config_file)
        check_distill(config, task_of=run.unlabeled)
        plan.steps.append(table_step(f"distill:{name}", table_stage("distill"), config))
        dirs[name] = config.out
    alpha, out, finetuned = config.guard_alpha, root / "distilled", wiring[0].out
    plan.steps.append(
        Step(
            "choose-recipe",
            {"candidates": dirs, "alpha": alpha},
            [*dirs.values(), finetuned],
            out,
            lambda: choose_recipe(dirs, finetuned, str(out), alpha),
        )
    )
    return str(out)


def plan_translate(run: RunConfig, section: dict[str, Any], config_file: str | Path, stage: Callable) -> str:
    """The corpus the method runs on: [run] unlabeled, or with a [translate] section naming an MT model its
    translation (the unlabeled text must then be in the source language only)."""
    languages = languages_of(run.unlabeled)
    english_only = languages == [run.source_lang]
    if not section or (
        run.dev_translate and not section.get("model")
    ):  # decoding options for dev_translate only
        if english_only:
            raise AlsaceError(
                f"{config_file} [run] unlabeled: {run.unlabeled} holds {run.source_lang!r} text only; distillation "
                "needs the same instances in several languages: add a [translate] section naming an MT model (model = "
                '"facebook/nllb-200-distilled-600M", target_languages = [...]) or give a parallel corpus'
            )
        return run.unlabeled
    if not section.get("model"):
        raise AlsaceError(
            f"{config_file} [translate]: no model (the MT model, a directory or hub id such as "
            "facebook/nllb-200-distilled-600M)"
        )
    if not english_only:
        raise AlsaceError(
            f"{config_file} [translate]: [run] unlabeled already holds {len(languages)} languages "
            f"({', '.join(languages[:8])}); translate makes a corpus from {run.source_lang!r}-only text (remove "
            "[translate], or name the source-language text)"
        )
    tr = stage(
        "translate",
        {
            "data": run.unlabeled,
            "out": str(Path(run.dir) / "corpus.parquet"),
            "source_lang": run.source_lang,
            "reverse": False,
        },
    )
    return tr.out


def plan_dev_translate(
    plan: Plan, sections: dict[str, dict[str, Any]], corpus: str, config_file: str | Path, stage: Callable
) -> str:
    """[run] dev_translate: dev's source-language rows translated into the corpus languages (with the source
    rows kept), as the guard's dev set, decoded as [translate] says; a stage of its own, skipped when up to date."""
    run = plan.run
    sections["translate-dev"] = {
        k: v for k, v in sections["translate"].items() if k not in ("model", "target_languages")
    }
    if not run.dev:
        raise AlsaceError(f"{config_file} [run] dev_translate: needs dev, the labeled rows to translate")
    languages = languages_of(run.dev)
    if languages != [run.source_lang]:
        raise AlsaceError(
            f"{config_file} [run] dev_translate: dev {run.dev} already holds {', '.join(languages)}; "
            f"translate makes a dev set from {run.source_lang!r}-only rows (remove dev_translate)"
        )
    made = plan.configs.get(
        "translate"
    )  # a corpus translated in this run: not written yet, its languages known
    targets = (
        list(made.target_languages)
        if made
        else [lang for lang in languages_of(corpus) if lang != run.source_lang]
    )
    tr = stage(
        "translate-dev",
        {
            "model": run.dev_translate,
            "data": run.dev,
            "source_lang": run.source_lang,
            "target_languages": targets,
            "reverse": False,
            "out": str(plan.root / "dev_translated.parquet"),
        },
        entry="translate",
    )
    return tr.out


def plan_baseline(
    plan: Plan,
    sections: dict[str, dict[str, Any]],
    config_file: str | Path,
    stage: Callable,
    ft: FinetuneConfig,
    output: OutputType,
) -> Plan:
    """No unlabeled corpus: the fine-tuned model's predictions on the test set, and its evaluation."""
    unused = [name for name in ("translate", "vote", "select", "make-pairs", "distill") if sections[name]]
    if unused:
        raise AlsaceError(
            f"{config_file} [{unused[0]}]: without `unlabeled` in [run] the run fine-tunes and evaluates only; "
            "remove the section or name an unlabeled parallel corpus"
        )
    run, root = plan.run, plan.root
    stage("predict", {"model": ft.out, "data": run.test})
    stage(
        "eval",
        {
            "models": [ft.out],
            "data": run.test,
            "plot": str(root / output.plot_name),
            "source_lang": sections["eval"].get("source_lang", run.source_lang),
        },
    )
    return plan
