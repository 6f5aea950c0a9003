"""`alsace data import|info` and `alsace tiny-model`."""

from __future__ import annotations

from pathlib import Path

import typer

from alsace_cli.cli.common import handle_errors, json_option, opt, overwrite_option, split_list
from alsace_cli.configs import ImportConfig as C

data_app = typer.Typer(
    help="Import datasets into alsace's Parquet format and inspect them.",
    no_args_is_help=True,
    rich_markup_mode=None,
)


@data_app.command("import")
@handle_errors
def import_command(
    inputs: list[Path] = typer.Argument(..., help="One file per language, or one file with --lang-column."),
    out: str = opt(C, "out"),
    format: str = opt(C, "format"),
    task: str = opt(C, "task"),
    labels: str = opt(C, "labels"),
    lang: list[str] = opt(C, "lang"),
    lang_column: str = opt(C, "lang_column"),
    id_column: str = opt(C, "id_column"),
    text_a_column: str = opt(C, "text_a_column"),
    text_b_column: str = opt(C, "text_b_column"),
    text_column: str = opt(C, "text_column"),
    label_column: str = opt(C, "label_column"),
    drop_labels: bool = opt(C, "drop_labels", "--drop-labels"),
    renumber_ids: bool = opt(C, "renumber_ids", "--renumber-ids"),
    skip: int = opt(C, "skip"),
    limit: int = opt(C, "limit"),
    overwrite: bool = overwrite_option(),
    json: bool = json_option(),
) -> None:
    """Convert XTREME TSV or CSV/TSV/JSONL/Parquet files into one long-format dataset."""
    from alsace_cli.configs import resolve
    from alsace_cli.data.importer import import_data
    from alsace_cli.data.info import dataset_info
    from alsace_cli.report import print_json

    config = resolve(C, "data import", flags={
        "inputs": [str(p) for p in inputs], "out": out, "format": format, "task": task,
        "labels": split_list(labels) or [], "lang": list(lang or []), "lang_column": lang_column,
        "id_column": id_column, "text_a_column": text_a_column, "text_b_column": text_b_column,
        "text_column": text_column, "label_column": label_column, "drop_labels": drop_labels,
        "renumber_ids": renumber_ids, "skip": skip,
        "limit": limit,
    }, required=("out",))  # fmt: skip
    artifact = import_data(config, overwrite=overwrite)
    if json:
        print_json(dataset_info(str(artifact.path)))


@data_app.command("info")
@handle_errors
def info_command(
    path: Path = typer.Argument(..., help="A dataset Parquet file."),
    json: bool = json_option(),
) -> None:
    """Languages, rows, label balance, and how many ids are present in every language."""
    from alsace_cli.data.info import dataset_info, info_table
    from alsace_cli.report import console, esc, print_json, table

    info = dataset_info(str(path))
    if json:
        print_json(info)
        return
    console.print(
        f"[bold]{esc(path)}[/bold]: task {info['task']}, labels {esc(', '.join(info['labels']) or 'none')}, "
        f"{info['rows']} rows, {info['ids']} ids, {len(info['languages'])} languages; "
        f"{info['ids_in_every_language']} ids in every language",
        highlight=False,
    )
    console.print(table("Per language", info_table(info)))


@handle_errors
def tiny_model_command(
    out: Path = typer.Argument(..., help="Directory to write the model to."),
    data: list[Path] = typer.Option(
        ..., help="Dataset(s) whose texts train the tokenizer.", show_default="required"
    ),
    seed: int = typer.Option(0, help="Seed of the random weights.", show_default=True),
    overwrite: bool = overwrite_option(),
) -> None:
    """Build a tiny random BERT and a WordPiece tokenizer locally (no download): for smoke runs and tests."""
    from alsace_cli.artifacts import load_dataset
    from alsace_cli.models import build_tiny_model
    from alsace_cli.outputs import check_outputs, model_output
    from alsace_cli.report import esc, info
    from alsace_cli.tasks import get_task

    check_outputs([model_output("OUT", out)], {"--data": [str(p) for p in data]}, overwrite)
    texts: list[str] = []
    for path in data:
        dataset = load_dataset(path)
        for column in get_task(dataset.task).text_columns:
            texts += dataset.frame[column].astype(str).tolist()
    build_tiny_model(out, texts, seed=seed)
    info(f"tiny-model: random 2-layer BERT, WordPiece vocabulary from {len(texts)} texts → {esc(out)}")
