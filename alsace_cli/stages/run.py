"""`alsace run`: the whole pipeline from one TOML config, every artifact in one run directory.

A stage is skipped when its output exists and its fingerprint (its resolved settings plus the sha256 of
each input) matches the one recorded when the output was written, in `run_state.json`. Change a setting
or an input and that stage and everything downstream whose inputs change reruns.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import tomli_w

from alsace_cli import report
from alsace_cli.artifacts import load_dataset, read_artifact
from alsace_cli.atomic import atomic_file
from alsace_cli.configs import DistillConfig, RunConfig, load_toml, resolve, to_toml_dict
from alsace_cli.errors import AlsaceError
from alsace_cli.models import build_tiny_model
from alsace_cli.provenance import hash_path
from alsace_cli.stages.distill import check as check_distill
from alsace_cli.stages.distill import distill
from alsace_cli.stages.evaluate import EvalConfig, evaluate
from alsace_cli.stages.finetune import FinetuneConfig, finetune
from alsace_cli.stages.pairs import PairsConfig, make_pairs
from alsace_cli.stages.predict import PredictConfig, predict
from alsace_cli.stages.select import SelectConfig, select
from alsace_cli.stages.vote import VoteConfig, vote
from alsace_cli.tasks import get_task

TINY = "tiny"


@dataclass
class RunResult:
    run_dir: Path
    ran: list[str]
    skipped: list[str]
    metrics: pd.DataFrame
    summary: pd.DataFrame
    source_lang: str
    kind: str = "classification"
    normalization: str | None = None
    # distill's guard decision, from the model's provenance (kept step, reason): which checkpoint was evaluated
    guard: dict[str, Any] | None = None


def _fingerprint(stage: str, settings: Any, inputs: list[str | None]) -> str:
    payload = {
        "stage": stage,
        "settings": to_toml_dict(settings) if not isinstance(settings, dict) else settings,
        "inputs": {str(p): hash_path(p) for p in inputs if p},
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def _sections(raw: dict[str, Any], config_file: str | Path) -> dict[str, dict[str, Any]]:
    known = {"run", "finetune", "predict", "vote", "select", "make-pairs", "distill", "eval"}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise AlsaceError(
            f"{config_file}: unknown section [{unknown[0]}] (known: {', '.join(sorted(known))})"
        )
    for name, value in raw.items():
        if not isinstance(value, dict):
            raise AlsaceError(f"{config_file}: {name} = {value!r} must be a [{name}] section")
    return {name: dict(raw.get(name, {})) for name in known}


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
}


def _stage_config(
    cls: type, name: str, section: dict[str, Any], wired: dict[str, Any], config_file: str | Path = "config"
) -> Any:
    clash = sorted(set(section) & WIRED)
    if clash:
        raise AlsaceError(
            f"{config_file} [{name}]: {clash[0]!r} is set by `run` itself; set it in the [run] section instead"
        )
    return resolve(cls, name, flags=wired, file_values=section, file_label=str(config_file))


def run_pipeline(config_file: str | Path, overrides: dict[str, Any] | None = None) -> RunResult:
    sections = _sections(load_toml(config_file), config_file)
    run = resolve(RunConfig, "run", flags=overrides, file_values=sections["run"], file_label=str(config_file),
                  required=("model", "train", "test"))  # fmt: skip
    for name in ("train", "unlabeled", "test", "dev"):
        value = getattr(run, name)
        if value and not Path(value).exists():
            raise AlsaceError(f"{value}: no such file ([run] {name} in {config_file})")
    task = get_task(load_dataset(run.train).task)
    if not task.distillable:
        return _run_without_distillation(run, sections, config_file)
    if not run.unlabeled:
        raise AlsaceError(f"missing --unlabeled (or `unlabeled` in the [run] section of {config_file})")
    if run.dev and Path(run.dev).resolve() in {Path(run.unlabeled).resolve(), Path(run.test).resolve()}:
        raise AlsaceError(
            f"{config_file} [run] dev: {run.dev} is also the unlabeled or test set; pick checkpoints on other data"
        )
    # Every stage's settings are resolved and checked before any work, so a bad value in the last section
    # fails in a second, not after hours of fine-tuning.
    root = Path(run.dir)
    model = str(root / "tiny-base") if run.model == TINY else run.model
    common = {"device": run.device}
    paths = {name: str(root / name) for name in ("finetuned", "distilled")}
    paths |= {
        name: str(root / f"{name}.parquet")
        for name in ("predictions", "pseudo_labels", "languages", "pairs", "metrics")
    }
    cfg = {"config_file": config_file}
    ft = _stage_config(FinetuneConfig, "finetune", sections["finetune"], **cfg, wired=
                       {**common, "model": model, "train": run.train, "dev": run.dev, "out": paths["finetuned"],
                        "seed": sections["finetune"].get("seed", run.seed)})  # fmt: skip
    pr = _stage_config(PredictConfig, "predict", sections["predict"], **cfg, wired=
                       {**common, "model": ft.out, "data": run.unlabeled, "out": paths["predictions"]})  # fmt: skip
    vo = _stage_config(VoteConfig, "vote", sections["vote"], **cfg,
                       wired={"predictions": pr.out, "out": paths["pseudo_labels"]})  # fmt: skip
    se = _stage_config(SelectConfig, "select", sections["select"], **cfg, wired=
                       {"predictions": pr.out, "pseudo_labels": vo.out, "out": paths["languages"],
                        "seed": sections["select"].get("seed", run.seed)})  # fmt: skip
    pa = _stage_config(PairsConfig, "make-pairs", sections["make-pairs"], **cfg, wired=
                       {"data": run.unlabeled, "languages": se.out, "out": paths["pairs"]})  # fmt: skip
    distill_section = dict(sections["distill"])
    # `mask_pseudo_labels = true` under [distill] means vote's output from this run.
    if isinstance(distill_section.get("mask_pseudo_labels"), bool):
        distill_section["mask_pseudo_labels"] = vo.out if distill_section["mask_pseudo_labels"] else None
    di = _stage_config(DistillConfig, "distill", distill_section, **cfg, wired=
                       {**common, "model": ft.out, "data": run.unlabeled, "pairs": pa.out, "out": paths["distilled"],
                        "seed": sections["distill"].get("seed", run.seed), "dev": run.dev,
                        "predictions": pr.out if sections["distill"].get("teacher") in ("static", "ensemble") else None,
                        "languages": se.out if sections["distill"].get("teacher") == "ensemble" else None})  # fmt: skip
    ev = _stage_config(EvalConfig, "eval", sections["eval"], **cfg, wired=
                       {**common, "models": [ft.out, di.out], "data": run.test, "languages": se.out,
                        "out": paths["metrics"], "plot": str(root / "accuracy.png"),
                        "source_lang": sections["eval"].get("source_lang", run.source_lang)})  # fmt: skip
    check_distill(di)

    root.mkdir(parents=True, exist_ok=True)
    state_path = root / "run_state.json"
    state: dict[str, str] = {} if run.force or not state_path.exists() else json.loads(state_path.read_text())
    ran: list[str] = []
    skipped: list[str] = []

    def step(
        name: str, settings: Any, inputs: list[str | None], output: Path, action: Callable[[], Any]
    ) -> None:
        fingerprint = _fingerprint(name, settings, inputs)
        if output.exists() and state.get(name) == fingerprint:
            report.info(f"[dim]run: {name} is up to date ({report.esc(output)}), skipped[/dim]")
            skipped.append(name)
            return
        report.info(f"[bold]run: {name}[/bold]")
        action()
        state[name] = fingerprint
        with atomic_file(state_path) as tmp:
            tmp.write_text(json.dumps(state, indent=2, sort_keys=True))
        ran.append(name)

    if run.model == TINY:
        texts = _texts(run.train) + _texts(run.unlabeled)
        step("tiny-model", {"seed": run.seed}, [run.train, run.unlabeled], Path(model),
             lambda: build_tiny_model(model, texts, seed=run.seed))  # fmt: skip
    # A stage that was interrupted resumes from its checkpoint ("auto": if it matches these settings).
    step("finetune", ft, [model, run.train, run.dev], Path(ft.out),
         lambda: finetune(ft, overwrite=True, resume="auto"))  # fmt: skip
    step("predict", pr, [pr.model, pr.data], Path(pr.out), lambda: predict(pr, overwrite=True))
    step("vote", vo, [vo.predictions], Path(vo.out), lambda: vote(vo, overwrite=True))
    step("select", se, [se.predictions, se.pseudo_labels], Path(se.out), lambda: select(se, overwrite=True))
    step("make-pairs", pa, [pa.data, pa.languages], Path(pa.out), lambda: make_pairs(pa, overwrite=True))
    step("distill", di, [di.model, di.data, di.pairs, di.train, di.predictions, di.languages, di.dev,
                         di.mask_pseudo_labels],
         Path(di.out), lambda: distill(di, overwrite=True, resume="auto"))  # fmt: skip
    step("eval", ev, [*ev.models, ev.data, ev.languages], Path(ev.out), lambda: evaluate(ev, overwrite=True))

    with atomic_file(root / "run_config.toml") as tmp:
        resolved = {"run": to_toml_dict(run)} | {
            name: to_toml_dict(cfg)
            for name, cfg in (
                ("finetune", ft),
                ("predict", pr),
                ("vote", vo),
                ("select", se),
                ("make-pairs", pa),
                ("distill", di),
                ("eval", ev),
            )  # fmt: skip
        }
        tmp.write_text(tomli_w.dumps(resolved))
    metrics = read_artifact(ev.out, "metrics")
    summary = pd.DataFrame(metrics.meta["summary"])
    return RunResult(
        root, ran, skipped, metrics.frame, summary, ev.source_lang, guard=_guard_decision(di.out)
    )


def _guard_decision(model_dir: str) -> dict[str, Any] | None:
    """The guard's decision recorded in a distilled model's provenance (None for a model from before it was)."""
    try:
        return json.loads((Path(model_dir) / "alsace_provenance.json").read_text()).get("guard")
    except (OSError, json.JSONDecodeError):
        return None


def _texts(path: str) -> list[str]:
    dataset = load_dataset(path)
    columns = get_task(dataset.task).text_columns
    return [text for column in columns for text in dataset.frame[column].astype(str)]


def _run_without_distillation(
    run: RunConfig, sections: dict[str, dict[str, Any]], config_file: str | Path
) -> RunResult:
    """A task the label-distribution stages do not take (extractive QA): finetune → predict → eval.

    predict and eval run on the test set; the unlabeled corpus is not used. The sections of the stages
    that do not run must be empty, so a setting is never silently ignored.
    """
    unused = [name for name in ("vote", "select", "make-pairs", "distill") if sections[name]]
    if unused:
        raise AlsaceError(
            f"{config_file} [{unused[0]}]: this task runs finetune, predict and eval only; remove it"
        )
    root = Path(run.dir)
    model = str(root / "tiny-base") if run.model == TINY else run.model
    common, cfg = {"device": run.device}, {"config_file": config_file}
    ft = _stage_config(FinetuneConfig, "finetune", sections["finetune"], **cfg, wired=
                       {**common, "model": model, "train": run.train, "dev": run.dev, "out": str(root / "finetuned"),
                        "seed": sections["finetune"].get("seed", run.seed)})  # fmt: skip
    pr = _stage_config(PredictConfig, "predict", sections["predict"], **cfg, wired=
                       {**common, "model": ft.out, "data": run.test, "out": str(root / "predictions.parquet")})  # fmt: skip
    ev = _stage_config(EvalConfig, "eval", sections["eval"], **cfg, wired=
                       {**common, "models": [ft.out], "data": run.test, "out": str(root / "metrics.parquet"),
                        "plot": str(root / "gxlt.png"),
                        "source_lang": sections["eval"].get("source_lang", run.source_lang)})  # fmt: skip
    root.mkdir(parents=True, exist_ok=True)
    state_path = root / "run_state.json"
    state: dict[str, str] = {} if run.force or not state_path.exists() else json.loads(state_path.read_text())
    ran: list[str] = []
    skipped: list[str] = []
    for name, settings, inputs, output, action in (
        ("tiny-model", {"seed": run.seed}, [run.train, run.test], Path(model),
         lambda: build_tiny_model(model, _texts(run.train) + _texts(run.test), seed=run.seed)),
        ("finetune", ft, [model, run.train, run.dev], Path(ft.out), lambda: finetune(ft, overwrite=True, resume="auto")),
        ("predict", pr, [pr.model, pr.data], Path(pr.out), lambda: predict(pr, overwrite=True)),
        ("eval", ev, [*ev.models, ev.data], Path(ev.out), lambda: evaluate(ev, overwrite=True)),
    ):  # fmt: skip
        if name == "tiny-model" and run.model != TINY:
            continue
        fingerprint = _fingerprint(name, settings, inputs)
        if Path(output).exists() and state.get(name) == fingerprint:
            report.info(f"[dim]run: {name} is up to date ({report.esc(output)}), skipped[/dim]")
            skipped.append(name)
            continue
        report.info(f"[bold]run: {name}[/bold]")
        action()
        state[name] = fingerprint
        with atomic_file(state_path) as tmp:
            tmp.write_text(json.dumps(state, indent=2, sort_keys=True))
        ran.append(name)
    with atomic_file(root / "run_config.toml") as tmp:
        resolved = {"run": to_toml_dict(run), "finetune": to_toml_dict(ft), "predict": to_toml_dict(pr),
                    "eval": to_toml_dict(ev)}  # fmt: skip
        tmp.write_text(tomli_w.dumps(resolved))
    metrics = read_artifact(ev.out, "qa_metrics")
    return RunResult(root, ran, skipped, metrics.frame, pd.DataFrame(metrics.meta["summary"]), ev.source_lang,
                     kind="qa", normalization=metrics.meta["normalization"])  # fmt: skip
