"""Every command built from the stage table (configs/table.py) and its config dataclass.

An option's flags, default, help line, allowed values, metavar and help panel come from its config field,
so they are written once. A command resolves its config (defaults < its --config file's section < the
flags typed), runs the stage's function, and shows the result (cli/show.py). Nothing heavy is imported
until a command runs, so `alsace --help` is instant.
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import typing
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
import typer
from typer.core import TyperCommand

from alsace_cli.cli.common import config_from, given_flags, handle_errors, split_list
from alsace_cli.configs.fields import PATH_FIELDS
from alsace_cli.configs.table import Stage

MODEL_FIELDS = {"model", "models"}
PANELS_FROM = 15  # commands with more options than this group them into panels


def load(spec: str) -> Callable[..., Any]:
    module, _, name = spec.partition(":")
    return getattr(importlib.import_module(module), name)


def _metavar(field: dataclasses.Field, hint: Any) -> str:
    meta = field.metadata
    if meta.get("choices"):
        return "[" + "|".join(meta["choices"]) + "]"
    if field.name in MODEL_FIELDS:
        return "MODEL"
    if field.name in PATH_FIELDS:
        return "PATH"
    args = {a for a in typing.get_args(hint) if a is not type(None)} or {hint}
    if args == {int}:
        return "INT"
    if args == {float}:
        return "FLOAT"
    return "TEXT"


def _annotation(field: dataclasses.Field, hint: Any) -> Any:
    if field.metadata.get("listing") in ("repeat", "argument") and typing.get_origin(hint) in (list, tuple):
        return list[str]
    args = {a for a in typing.get_args(hint) if a is not type(None)} or {hint}
    if args == {bool}:
        return bool
    if args == {int}:
        return int
    if args == {float}:
        return float
    return str


def _help(field: dataclasses.Field) -> tuple[str, Any]:
    """The help line and what --help shows as the default ("[required]" for a required input)."""
    meta = field.metadata
    default = None if field.default is dataclasses.MISSING else field.default
    shown = meta.get("shown")
    if shown == "required":
        return meta["help"] + "  [required]", False
    if isinstance(default, bool) and shown is None:
        return meta["help"], "on" if default else "off"
    return meta["help"], True if shown is None else shown


def _was(field: dataclasses.Field, hint: Any) -> list[inspect.Parameter]:
    """A hidden option per earlier spelling of the field's flag (read, with a warning, as the field)."""
    params = []
    for old in field.metadata.get("was", ()):
        flag = "--" + old.replace("_", "-")
        annotation = _annotation(field, hint)
        info = typer.Option(None if annotation is not bool else False, flag, hidden=True)
        params.append(
            inspect.Parameter(
                f"{field.name}__was_{old}",
                inspect.Parameter.KEYWORD_ONLY,
                default=info,
                annotation=annotation,
            )
        )
    return params


def _parameter(field: dataclasses.Field, hint: Any, panels: bool) -> inspect.Parameter:
    meta = field.metadata
    annotation = _annotation(field, hint)
    help_text, show_default = _help(field)
    if meta.get("listing") == "argument":
        required = ... if meta.get("shown") == "required" else None
        info = typer.Argument(
            required, help=meta["help"], metavar=_metavar(field, hint).upper(), show_default=False
        )
        return inspect.Parameter(
            field.name, inspect.Parameter.KEYWORD_ONLY, default=info, annotation=annotation
        )
    flags = meta.get("flags") or ("--" + field.name.replace("_", "-"),)
    if annotation is bool:
        flags = tuple(f"{flag}/--no-{flag[2:]}" for flag in flags[:1])
    default = None if meta.get("shown") == "required" or annotation is list[str] else field.default
    if default is dataclasses.MISSING:
        default = None
    info = typer.Option(
        default,
        *flags,
        help=help_text,
        show_default=show_default,
        rich_help_panel=meta.get("panel") if panels else None,
        metavar=None if annotation is bool else _metavar(field, hint),
    )
    return inspect.Parameter(field.name, inspect.Parameter.KEYWORD_ONLY, default=info, annotation=annotation)


COMMON = {
    "overwrite": ("--overwrite", "Replace outputs that exist (only ones alsace wrote; never an input)."),
    "resume": ("--resume", "Continue from the checkpoint an interrupted run left beside --out."),
    "json": ("--json", "Print a machine-readable result on stdout."),
}


def _common(stage: Stage, panels: bool) -> list[inspect.Parameter]:
    params = []
    for name in ("overwrite", "resume"):
        if getattr(stage, name):
            flag, help_text = COMMON[name]
            info = typer.Option(
                False, flag, help=help_text, show_default="off", rich_help_panel="output" if panels else None
            )
            params.append(
                inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=info, annotation=bool)
            )
    if stage.config_file or stage.pipeline_file:
        info = typer.Option(
            ... if stage.pipeline_file else None,
            "--config",
            metavar="PATH",
            help=(
                "Pipeline TOML: a run section plus one section per stage; its paths are relative to its folder."
                if stage.pipeline_file
                else "TOML file; its section for this command sets defaults "
                "that flags override; its paths are relative to its folder."
            ),
            show_default=False if stage.pipeline_file else "none",
            rich_help_panel="data" if panels else None,
        )
        params.append(
            inspect.Parameter("config", inspect.Parameter.KEYWORD_ONLY, default=info, annotation=Path)
        )
    if stage.pipeline_file:
        info = typer.Option(
            None,
            "--set",
            metavar="SECTION.KEY=VALUE",
            show_default="none",
            help="Override one setting of the run file (a TOML value, checked as the file's are); repeat.",
        )
        params.append(
            inspect.Parameter("set", inspect.Parameter.KEYWORD_ONLY, default=info, annotation=list[str])
        )
    flag, help_text = COMMON["json"]
    info = typer.Option(
        False, flag, help=help_text, show_default="off", rich_help_panel="output" if panels else None
    )
    params.append(inspect.Parameter("json", inspect.Parameter.KEYWORD_ONLY, default=info, annotation=bool))
    return params


def command_for(stage: Stage) -> Callable[..., None]:
    """A Typer command whose options are `stage.config`'s fields (or `stage.options` of them)."""
    hints = typing.get_type_hints(stage.config)
    fields = [f for f in dataclasses.fields(stage.config) if stage.options is None or f.name in stage.options]
    panels = len(fields) > PANELS_FROM or stage.pipeline_file  # run: its options and the pipeline file's
    params = [_parameter(f, hints[f.name], panels) for f in fields]
    params = [p for p in params if not isinstance(p.default, typer.models.ArgumentInfo)] + _common(
        stage, panels
    )
    arguments = [
        _parameter(f, hints[f.name], panels) for f in fields if f.metadata.get("listing") == "argument"
    ]
    comma = {f.name: split_list for f in fields if f.metadata.get("listing") == "comma"}
    renamed = [p for f in fields for p in _was(f, hints[f.name])]
    rename = {p.name: p.name.partition("__was_")[0] for p in renamed}

    def command(ctx: typer.Context, **values: Any) -> None:
        if stage.pipeline_file:
            result = load(stage.run)(
                values["config"],
                given_flags(ctx, tuple(f.name for f in fields)),
                settings=values.get("set") or [],
            )
        else:
            from alsace_cli.runtime import report

            for param, field_name in rename.items():
                if param in given_flags(ctx, (param,)):
                    old = "--" + param.partition("__was_")[2].replace("_", "-")
                    report.warn(
                        f"{old}: renamed --{field_name.replace('_', '-')}; the old name still works for now"
                    )
            config = config_from(
                ctx, stage.config, stage.name, stage.required, rename=rename, transform=comma
            )
            flags = {name: values[name] for name in ("overwrite", "resume") if getattr(stage, name)}
            result = load(stage.run)(config, **flags)
        code = load(stage.show)(result, None if stage.pipeline_file else config, bool(values["json"]))
        if code:
            raise typer.Exit(code)

    wrapped = handle_errors(command)
    context = inspect.Parameter("ctx", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=typer.Context)
    every = [context, *arguments, *params, *renamed]
    wrapped.__signature__ = inspect.Signature(every)  # type: ignore[attr-defined]
    wrapped.__annotations__ = {p.name: p.annotation for p in every}
    wrapped.__doc__ = stage.help
    return wrapped


class PanelCommand(TyperCommand):
    """--help with the options grouped under their panel (data, model, optimisation, guard, output, ...)."""

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        groups: dict[str, list[tuple[str, str]]] = {}
        for param in self.get_params(ctx):
            record = param.get_help_record(ctx)
            if record is not None:
                groups.setdefault(getattr(param, "rich_help_panel", None) or "options", []).append(record)
        if len(groups) == 1 and "options" in groups:
            return super().format_options(ctx, formatter)
        for panel, records in groups.items():
            with formatter.section(panel.capitalize() + (" options" if panel != "options" else "")):
                formatter.write_dl(records)
