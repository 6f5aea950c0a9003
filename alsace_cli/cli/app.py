"""The `alsace` command: registers each subcommand; nothing heavy is imported until one runs."""

from __future__ import annotations

import typer

from alsace_cli import __version__
from alsace_cli.cli.common import OneLineErrors
from alsace_cli.cli.cross_sample import cross_sample_command
from alsace_cli.cli.data import data_app, tiny_model_command
from alsace_cli.cli.distill import distill_command
from alsace_cli.cli.evaluate import eval_command
from alsace_cli.cli.finetune import finetune_command
from alsace_cli.cli.pairs import pairs_command
from alsace_cli.cli.predict import predict_command
from alsace_cli.cli.run import run_command
from alsace_cli.cli.select import select_command
from alsace_cli.cli.selftrain import self_train_command
from alsace_cli.cli.verify import verify_command
from alsace_cli.cli.vote import vote_command

app = typer.Typer(
    name="alsace",
    help="Teacher language selection and cross-lingual self-distillation (ALSACE) for multilingual models.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode=None,  # help texts hold "[run]", "[finetune]": printed as written, never as markup
    cls=OneLineErrors,
)
app.add_typer(data_app, name="data")
app.command("finetune")(finetune_command)
app.command("predict")(predict_command)
app.command("vote")(vote_command)
app.command("select")(select_command)
app.command("make-pairs")(pairs_command)
app.command("distill")(distill_command)
app.command("eval")(eval_command)
app.command("self-train")(self_train_command)
app.command("cross-sample")(cross_sample_command)
app.command("run")(run_command)
app.command("tiny-model")(tiny_model_command)
app.command("verify")(verify_command)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"alsace {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version."
    ),
) -> None:
    """Stages read and write Parquet; run them one by one or all at once with `alsace run`."""


def main() -> None:
    app()
