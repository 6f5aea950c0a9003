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
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import tomli_w

from alsace_cli import report
from alsace_cli.artifacts import Artifact, load_dataset, read_artifact
from alsace_cli.atomic import atomic_file
from alsace_cli.configs import (
    DistillConfig,
    EvalConfig,
    FinetuneConfig,
    PairsConfig,
    PredictConfig,
    RunConfig,
    SelectConfig,
    VoteConfig,
    load_toml,
    resolve,
    to_toml_dict,
)
from alsace_cli.configs.recipes import AUTO, chosen_recipe, default_recipe_note
from alsace_cli.configs.resolve import relative_paths
from alsace_cli.configs.translate import TranslateConfig
from alsace_cli.errors import AlsaceError
from alsace_cli.model_card import add_results
from alsace_cli.output_types import OutputType, output_type_of
from alsace_cli.outputs import results_path_for
from alsace_cli.results import write_results
from alsace_cli.stages.choose_recipe import choose_recipe, recorded_choice
from alsace_cli.stages.distill import check as check_distill
from alsace_cli.stages.distill import distill
from alsace_cli.stages.evaluate import evaluate
from alsace_cli.stages.finetune import finetune
from alsace_cli.stages.pairs import make_pairs
from alsace_cli.stages.predict import predict
from alsace_cli.stages.run_settings import (
    auto_distill_sections,
    check_lengths,
    position_limit,
    sections_of,
    with_recipe,
    with_settings,
)
from alsace_cli.stages.run_steps import Step, execute, run_log
from alsace_cli.stages.select import select
from alsace_cli.stages.translate import translate
from alsace_cli.stages.vote import vote
from alsace_cli.tasks import get_task
from alsace_cli.tiny import TINY_MAX_LENGTH, build_tiny_model
from alsace_cli.training.teachers import teacher_class
from alsace_cli.verdict import verdict

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


@dataclass
class Plan:
    run: RunConfig
    root: Path
    configs: dict[str, Any] = field(default_factory=dict)  # section → resolved config, in order
    steps: list[Step] = field(default_factory=list)
    distilled: str | None = None  # the model eval compares with the fine-tuned one


def run_pipeline(
    config_file: str | Path, overrides: dict[str, Any] | None = None, settings: list[str] | None = None
) -> RunResult:
    """Run the pipeline of `config_file`; `overrides` are [run] flags, `settings` are `--set SECTION.KEY=VALUE`."""
    sections = with_settings(sections_of(load_toml(config_file), config_file), settings or [])
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
        bool(run.dev_translate) or any(lang != run.source_lang for lang in _languages(run.dev))
    )
    recipe = chosen_recipe(
        run.recipe, votes=output.votes, distils=bool(run.unlabeled), multilingual_dev=multilingual_dev
    )
    candidates = (
        auto_distill_sections(sections["distill"]) if recipe["name"] == AUTO and run.unlabeled else None
    )
    sections = with_recipe(recipe["name"], sections, has_dev=bool(run.dev), fallback=recipe["fallback"])
    plan = _plan(run, sections, config_file, output, candidates)
    limit = TINY_MAX_LENGTH if run.model == TINY else position_limit(run.model)
    check_lengths(plan.configs, limit, run.model, config_file)
    if recipe["default"]:  # after every setting is checked: bad input gets its one line only
        report.info(report.esc(default_recipe_note(has_dev=bool(run.dev), multilingual_dev=multilingual_dev)))
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
    weak = (
        _near_chance(metrics.frame, ev.models[0], ev.source_lang, len(train.labels)) if output.votes else None
    )
    if weak:
        report.warn(weak)
        found = found and {**found, "line": f"{found['line']}. Warning: {weak}", "warning": weak}
    auto = recorded_choice(plan.distilled) if candidates and plan.distilled else None
    if auto is not None:
        recipe["chosen"] = auto["chosen"]
    evaluated = json.loads(results_path_for(ev.out).read_text(encoding="utf-8"))
    for model in ev.models:  # each model's card gains its metrics on the test set
        rows = [row for row in evaluated["metrics"] if row["model"] == model]
        add_results(Path(model), rows, output.share_columns[0] if output.votes else "f1", Path(ev.data).name)
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


def _stage_config(
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


def _plan(
    run: RunConfig,
    sections: dict[str, dict[str, Any]],
    config_file: str | Path,
    output: OutputType,
    candidates: dict[str, dict[str, Any]] | None = None,
) -> Plan:
    """Every stage's resolved config and what it reads and writes, before any work; `candidates`: the
    [distill] section of each of `--recipe auto`'s candidates."""
    plan = Plan(run, Path(run.dir))
    if plan.root.exists() and not plan.root.is_dir():
        raise AlsaceError(
            f"{config_file} [run] dir: {run.dir} is a file; the run directory must be a folder (or not exist)"
        )
    if run.dev and Path(run.dev).resolve() in {
        Path(run.unlabeled).resolve() if run.unlabeled else None,
        Path(run.test).resolve(),
    }:
        raise AlsaceError(
            f"{config_file} [run] dev: {run.dev} is also the unlabeled or test set; pick checkpoints on other data"
        )
    root, model = plan.root, str(plan.root / "tiny-base") if run.model == TINY else run.model
    if run.model == TINY:
        data = [run.train, run.unlabeled or run.test]
        plan.steps.append(
            Step(
                "tiny-model",
                {"seed": run.seed},
                data,
                Path(model),
                lambda: build_tiny_model(model, _texts(data[0]) + _texts(data[1]), seed=run.seed),
            )
        )
    stage = _stage_adder(plan, sections, config_file)
    hub = {"revision": run.revision, "trust_remote_code": run.trust_remote_code or None}
    ft = stage(
        FinetuneConfig,
        "finetune",
        {"model": model, "train": run.train, "dev": run.dev, "out": str(root / "finetuned"), **hub},
        lambda c: [c.model, c.train, c.dev],
        lambda c: finetune(c, overwrite=True, resume="auto"),
    )
    if not run.unlabeled:
        return _plan_baseline(plan, sections, config_file, stage, ft, output)
    corpus = _plan_translate(run, sections["translate"], config_file, stage)
    pr = stage(
        PredictConfig,
        "predict",
        {"model": ft.out, "data": corpus, "out": str(root / "predictions.parquet")},
        lambda c: [c.model, c.data],
        lambda c: predict(c, overwrite=True),
    )
    votes = None
    if output.votes:
        votes = stage(
            VoteConfig,
            "vote",
            {"predictions": pr.out, "out": str(root / "pseudo_labels.parquet")},
            lambda c: [c.predictions],
            lambda c: vote(c, overwrite=True),
        ).out
    se = stage(
        SelectConfig,
        "select",
        {"predictions": pr.out, "pseudo_labels": votes or "", "out": str(root / "languages.parquet")},
        lambda c: [c.predictions, c.pseudo_labels],
        lambda c: select(c, overwrite=True),
    )
    pa = stage(
        PairsConfig,
        "make-pairs",
        {
            "data": corpus,
            "languages": se.out,
            "out": str(root / "pairs.parquet"),
            "question_language_pairs": output.unit == "question_lang",
        },
        lambda c: [c.data, c.languages],
        lambda c: make_pairs(c, overwrite=True),
    )
    dev = _plan_dev_translate(plan, sections, corpus, config_file, stage) if run.dev_translate else run.dev
    wiring = (ft, pr, se, pa, votes, corpus, dev)
    if candidates:
        plan.distilled = _plan_auto(plan, candidates, wiring, config_file)
    else:
        di = stage(
            DistillConfig,
            "distill",
            _distill_wiring(run, sections["distill"], *wiring),
            _distill_inputs,
            lambda c: distill(c, overwrite=True, resume="auto"),
        )
        check_distill(
            di, task_of=run.unlabeled
        )  # a translated corpus is not written yet; it has the same task
        plan.distilled = di.out
    groups = se.out if output.unit == "lang" else None  # roles of question languages are not eval's groups
    stage(
        EvalConfig,
        "eval",
        {
            "models": [ft.out, plan.distilled],
            "data": run.test,
            "languages": groups,
            "out": str(root / "metrics.parquet"),
            "plot": str(root / output.plot_name),
            "source_lang": sections["eval"].get("source_lang", run.source_lang),
        },
        lambda c: [*c.models, c.data, c.languages],
        lambda c: evaluate(c, overwrite=True),
    )
    return plan


def _distill_inputs(c: DistillConfig) -> list[str | None]:
    return [c.model, c.data, c.pairs, c.train, c.predictions, c.languages, c.dev, c.mask_pseudo_labels]


def _plan_auto(
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
        wired = _distill_wiring(run, section, *wiring) | {"out": str(root / f"distilled-{name}")}
        config = _stage_config(plan, DistillConfig, f"distill:{name}", section, wired, config_file)
        check_distill(config, task_of=run.unlabeled)
        plan.steps.append(
            Step(
                f"distill:{name}",
                config,
                _distill_inputs(config),
                Path(config.out),
                lambda c=config: distill(c, overwrite=True, resume="auto"),
            )
        )
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


def _stage_adder(
    plan: Plan, sections: dict[str, dict[str, Any]], config_file: str | Path
) -> Callable[..., Any]:
    """A function that resolves one stage's config and appends its step to the plan; returns the config."""

    def add(
        cls: type,
        name: str,
        wired: dict[str, Any],
        inputs: Callable[[Any], list],
        action: Callable[[Any], Any],
    ):
        config = _stage_config(plan, cls, name, sections.get(name, {}), wired, config_file)
        output = Path(config.out)
        plan.steps.append(Step(name, config, inputs(config), output, lambda: action(config)))
        return config

    return add


def _plan_translate(run: RunConfig, section: dict[str, Any], config_file: str | Path, stage: Callable) -> str:
    """The corpus the method runs on: [run] unlabeled, or with a [translate] section naming an MT model its
    translation (the unlabeled text must then be in the source language only)."""
    import pyarrow.parquet as pq

    languages = sorted(set(pq.read_table(run.unlabeled, columns=["lang"])["lang"].to_pylist()))
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
        TranslateConfig,
        "translate",
        {
            "data": run.unlabeled,
            "out": str(Path(run.dir) / "corpus.parquet"),
            "source_lang": run.source_lang,
            "reverse": False,
        },
        lambda c: [c.data, None if "{" in c.model else c.model],
        lambda c: translate(c, overwrite=True),
    )
    return tr.out


def _plan_dev_translate(
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
    languages = _languages(run.dev)
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
        else [lang for lang in _languages(corpus) if lang != run.source_lang]
    )
    tr = stage(
        TranslateConfig,
        "translate-dev",
        {
            "model": run.dev_translate,
            "data": run.dev,
            "source_lang": run.source_lang,
            "target_languages": targets,
            "reverse": False,
            "out": str(plan.root / "dev_translated.parquet"),
        },
        lambda c: [c.data, None if "{" in c.model else c.model],
        lambda c: translate(c, overwrite=True),
    )
    return tr.out


def _plan_baseline(
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
    stage(
        PredictConfig,
        "predict",
        {"model": ft.out, "data": run.test, "out": str(root / "predictions.parquet")},
        lambda c: [c.model, c.data],
        lambda c: predict(c, overwrite=True),
    )
    stage(
        EvalConfig,
        "eval",
        {
            "models": [ft.out],
            "data": run.test,
            "out": str(root / "metrics.parquet"),
            "plot": str(root / output.plot_name),
            "source_lang": sections["eval"].get("source_lang", run.source_lang),
        },
        lambda c: [*c.models, c.data],
        lambda c: evaluate(c, overwrite=True),
    )
    return plan


def _distill_wiring(
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


def _guard_decision(model_dir: str) -> dict[str, Any] | None:
    """The guard's decision recorded in a distilled model's provenance (None for a model from before it was)."""
    try:
        return json.loads((Path(model_dir) / "alsace_provenance.json").read_text()).get("guard")
    except (OSError, json.JSONDecodeError):
        return None


# Within this many points of chance on the source language, the fine-tuned model has little to transfer.
NEAR_CHANCE = 5.0


def _near_chance(frame: pd.DataFrame, model: str, source_lang: str, n_labels: int) -> str | None:
    """A warning when the fine-tuned model is near chance on the source language's test rows."""
    rows = frame[(frame["model"] == model) & (frame["lang"] == source_lang)]
    if rows.empty or n_labels < 2 or "accuracy" not in rows:
        return None
    accuracy, chance = 100 * float(rows["accuracy"].iloc[0]), 100 / n_labels
    if accuracy > chance + NEAR_CHANCE:
        return None
    return (
        f"the fine-tuned model is near chance on {source_lang} ({accuracy:.1f}% with {n_labels} labels, chance "
        f"{chance:.1f}%): there is little to transfer; fine-tune longer or check the training data first"
    )


def _languages(path: str) -> list[str]:
    import pyarrow.parquet as pq

    return sorted(set(pq.read_table(path, columns=["lang"])["lang"].to_pylist()))


def _texts(path: str) -> list[str]:
    dataset = load_dataset(path)
    columns = get_task(dataset.task).text_columns
    return [text for column in columns for text in dataset.frame[column].astype(str)]
