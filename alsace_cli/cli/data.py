"""`alsace data import|info` and `alsace tiny-model`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from alsace_cli.cli.common import JsonOption, handle_errors, split_list

data_app = typer.Typer(
    help="Import datasets into alsace's Parquet format and inspect them.", no_args_is_help=True
)


@data_app.command("import")
@handle_errors
def import_command(
    inputs: Annotated[
        list[Path], typer.Argument(help="One file per language, or one file with --lang-column.")
    ],
    out: Annotated[str, typer.Option(help="Output dataset Parquet.")],
    format: Annotated[
        str, typer.Option(help="auto, xtreme (TSV, no header), csv, tsv, jsonl, parquet.")
    ] = "auto",
    task: Annotated[str | None, typer.Option(help="pair or single (default: from the columns).")] = None,
    labels: Annotated[str | None, typer.Option(help="Label names in index order, comma-separated.")] = None,
    lang: Annotated[
        list[str] | None, typer.Option(help="Language of each file, in order (default: file name).")
    ] = None,
    lang_column: Annotated[str | None, typer.Option(help="Column holding the language.")] = None,
    id_column: Annotated[
        str | None, typer.Option(help="Column holding the instance id (default: row order).")
    ] = None,
    text_a_column: Annotated[str | None, typer.Option()] = None,
    text_b_column: Annotated[str | None, typer.Option()] = None,
    text_column: Annotated[str | None, typer.Option()] = None,
    label_column: Annotated[str | None, typer.Option()] = None,
    drop_labels: Annotated[
        bool, typer.Option("--drop-labels", help="Leave labels out (unlabeled corpus).")
    ] = False,
    skip: Annotated[
        int, typer.Option(help="Leave out the first N instances (ids), e.g. for disjoint slices.")
    ] = 0,
    limit: Annotated[
        int | None, typer.Option(help="Keep only the first N instances (ids) after --skip.")
    ] = None,
    json: JsonOption = False,
) -> None:
    """Convert XTREME TSV or CSV/TSV/JSONL/Parquet files into one long-format dataset."""
    from alsace_cli.data.importer import ImportConfig, import_data
    from alsace_cli.data.info import dataset_info
    from alsace_cli.report import print_json

    config = ImportConfig(
        inputs=[str(p) for p in inputs], out=out, format=format, task=task, labels=split_list(labels) or [],
        lang=lang or [], lang_column=lang_column, id_column=id_column, text_a_column=text_a_column,
        text_b_column=text_b_column, text_column=text_column, label_column=label_column, drop_labels=drop_labels,
        skip=skip, limit=limit,
    )  # fmt: skip
    artifact = import_data(config)
    if json:
        print_json(dataset_info(str(artifact.path)))


@data_app.command("info")
@handle_errors
def info_command(
    path: Annotated[Path, typer.Argument(help="A dataset Parquet file.")],
    json: JsonOption = False,
) -> None:
    """Languages, rows, label balance, and how many ids are present in every language."""
    from alsace_cli.data.info import dataset_info, info_table
    from alsace_cli.report import console, print_json, table

    info = dataset_info(str(path))
    if json:
        print_json(info)
        return
    console.print(
        f"[bold]{path}[/bold]: task {info['task']}, labels {', '.join(info['labels'])}, {info['rows']} rows, "
        f"{info['ids']} ids, {len(info['languages'])} languages; {info['ids_in_every_language']} ids in every language",
        highlight=False,
    )
    console.print(table("Per language", info_table(info)))


@handle_errors
def tiny_model_command(
    out: Annotated[Path, typer.Argument(help="Directory to write the model to.")],
    data: Annotated[list[Path], typer.Option(help="Dataset(s) whose texts train the tokenizer.")],
    seed: Annotated[int, typer.Option()] = 0,
) -> None:
    """Build a tiny random BERT and a WordPiece tokenizer locally (no download): for smoke runs and tests."""
    from alsace_cli.artifacts import load_dataset
    from alsace_cli.models import build_tiny_model
    from alsace_cli.report import info
    from alsace_cli.tasks import get_task

    texts: list[str] = []
    for path in data:
        dataset = load_dataset(path)
        for column in get_task(dataset.task).text_columns:
            texts += dataset.frame[column].astype(str).tolist()
    build_tiny_model(out, texts, seed=seed)
    info(f"tiny-model: random 2-layer BERT, WordPiece vocabulary from {len(texts)} texts → {out}")
