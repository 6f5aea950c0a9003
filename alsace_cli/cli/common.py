"""What every command shares: options built from the typed configs, config resolution, error reporting.

An option's default and help line come from its config field (alsace_cli.configs), so `--help` shows the
default that is really used. Whether a flag was given is read from click's parameter source, so a value
from `--config FILE` is only overridden by a flag the user actually typed.
"""

from __future__ import annotations

import dataclasses
import functools
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import typer
from typer._click.exceptions import NoArgsIsHelpError
from typer.core import TyperGroup

from alsace_cli.errors import AlsaceError

F = TypeVar("F", bound=Callable[..., Any])


# By name: typer ships its own copy of click, whose ParameterSource is not click's.
_GIVEN_SOURCES = {"COMMANDLINE", "ENVIRONMENT"}


def _given(ctx: typer.Context, name: str) -> bool:
    source = ctx.get_parameter_source(name)
    return source is not None and source.name in _GIVEN_SOURCES


def given_flags(ctx: typer.Context, names: tuple[str, ...]) -> dict[str, Any]:
    """The options among `names` that were typed on the command line (not left at their default)."""
    return {name: ctx.params[name] for name in names if _given(ctx, name)}


def config_from(
    ctx: typer.Context,
    cls: type,
    section: str,
    required: tuple[str, ...] = (),
    rename: dict | None = None,
    transform: dict[str, Callable[[Any], Any]] | None = None,
) -> Any:
    """Resolve `cls` from its defaults < the --config file's [section] < the flags typed on the command line."""
    from alsace_cli.configs import resolve

    names = {f.name for f in dataclasses.fields(cls)}
    flags: dict[str, Any] = {}
    for param, value in ctx.params.items():
        name = (rename or {}).get(param, param)
        if name in names and _given(ctx, param):
            flags[name] = (transform or {}).get(name, lambda v: v)(value)
    config_file = ctx.params.get("config")
    recipe = _recipe_layer(cls, section, flags, config_file) if "recipe" in names else None
    return resolve(cls, section, flags=flags, config_file=config_file, required=required, recipe=recipe)


def _recipes_apply(data: Any) -> bool:
    """Whether the recipes' settings are for the data's output type; False if it cannot tell."""
    from pathlib import Path

    if not data or not Path(data).is_file():
        return False
    from alsace_cli.errors import AlsaceError
    from alsace_cli.io.streaming import open_dataset
    from alsace_cli.output_types import output_type_of
    from alsace_cli.tasks import get_task

    try:
        return output_type_of(get_task(open_dataset(data).task)).recipes_apply
    except (AlsaceError, OSError, ValueError):
        return False


def _recipe_layer(cls: type, section: str, flags: dict[str, Any], config_file: Any) -> Any:
    """A stage command's recipe layer (configs/recipes.stage_recipe), said in one line when applied."""
    from alsace_cli.configs.recipes import DEFAULT_RECIPE, stage_recipe
    from alsace_cli.configs.resolve import load_toml
    from alsace_cli.runtime import report

    in_file = load_toml(config_file).get(section, {}) if config_file else {}
    in_file = in_file if isinstance(in_file, dict) else {}
    named = flags.get("recipe", in_file.get("recipe"))
    if named is None and not _recipes_apply(flags.get("data") or in_file.get("data")):
        return None  # the default recipe was chosen on label tasks; QA keeps the stage's own settings
    given = set(flags) | set(in_file)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    layer = stage_recipe(section, named, given, fields)
    if layer is not None:
        how = "named" if named else "the default: no method option given; --recipe none keeps the stage's own"
        report.info(report.esc(f"{section}: recipe {named or DEFAULT_RECIPE}'s settings ({how})"))
    return layer


def json_error(message: str, code: int) -> None:
    """With --json, a failure still answers on stdout: {"error": ..., "exit_code": ...} (stdout was empty)."""
    import json

    from alsace_cli.io import provenance

    if "--json" in (provenance.COMMAND_LINE or []):
        print(json.dumps({"error": " ".join(message.split()), "exit_code": code}))


def handle_errors(func: F) -> F:
    """Report an AlsaceError as one line on stderr (and, with --json, an error object on stdout) and exit 2;
    anything else is a bug and keeps its traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except AlsaceError as exc:
            from alsace_cli.runtime.report import error

            error(str(exc))
            json_error(str(exc), exc.exit_code)
            raise typer.Exit(code=exc.exit_code) from None

    return wrapper  # type: ignore[return-value]


class OneLineErrors(TyperGroup):
    """click's usage errors (a bad value, an unknown option) as one `error:` line on stderr, exit code 2."""

    def main(self, *args: Any, standalone_mode: bool = True, **kwargs: Any) -> Any:
        from alsace_cli.io import provenance

        arguments = kwargs.get("args", args[0] if args else None)
        provenance.COMMAND_LINE = list(arguments) if arguments is not None else sys.argv[1:]
        if not standalone_mode:
            return super().main(*args, standalone_mode=False, **kwargs)
        try:
            code = super().main(*args, standalone_mode=False, **kwargs)
        except NoArgsIsHelpError as exc:  # plain `alsace` (or `alsace data`): the help, as typer prints it
            exc.show()
            sys.exit(exc.exit_code)
        except typer.TyperException as exc:  # typer's click: UsageError, BadParameter, NoSuchOption
            command = exc.ctx.command_path if getattr(exc, "ctx", None) else "alsace"
            message = " ".join(exc.format_message().split())
            print(f"error: {command}: {message} (see {command} --help)", file=sys.stderr)
            json_error(f"{command}: {message}", exc.exit_code)
            sys.exit(exc.exit_code)
        except typer.Abort:
            print("error: aborted", file=sys.stderr)
            sys.exit(1)
        sys.exit(code if isinstance(code, int) else 0)


def split_list(value: str | None) -> list[str] | None:
    if value is None:
        return None
    return [item.strip() for item in value.split(",") if item.strip()]
