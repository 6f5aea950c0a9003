"""The `alsace` command: one sub-command per entry of the stage table (configs/table.py), built by
cli/commands.py; nothing heavy is imported until one runs."""

from __future__ import annotations

import typer

from alsace_cli import __version__
from alsace_cli.cli.commands import PanelCommand, command_for
from alsace_cli.cli.common import OneLineErrors
from alsace_cli.configs.table import GROUPS, STAGES

app = typer.Typer(
    name="alsace",
    help="Teacher language selection and cross-lingual self-distillation (ALSACE) for multilingual models.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode=None,  # help texts hold "[run]", "[finetune]": printed as written, never as markup
    cls=OneLineErrors,
    context_settings={"help_option_names": ["-h", "--help"]},
)
groups = {
    name: typer.Typer(help=help_text, no_args_is_help=True, rich_markup_mode=None)
    for name, help_text in GROUPS.items()
}
for group_name, group in groups.items():
    app.add_typer(group, name=group_name)
for stage in STAGES:
    group_name, _, sub = stage.name.rpartition(" ")
    (groups[group_name] if group_name else app).command(sub, cls=PanelCommand)(command_for(stage))


def _version(value: bool) -> None:
    if value:
        typer.echo(f"alsace {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version."
    ),
    quiet: bool = typer.Option(
        False, "--quiet", "-q", help="Only warnings, errors and --json on the terminal (run.log keeps all)."
    ),
    verbose: bool = typer.Option(
        False,
        "--verbose",
        "-v",
        help="Also the libraries' own messages (transformers, accelerate, datasets).",
    ),
) -> None:
    """Stages read and write Parquet; run them one by one or all at once with `alsace run`."""
    from alsace_cli.runtime import report

    report.set_verbosity(quiet=quiet, verbose=verbose)


def main() -> None:
    app()
