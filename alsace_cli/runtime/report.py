"""What people and scripts see: Rich tables and progress on stderr, JSON on stdout, plots."""

from __future__ import annotations

import contextlib
import json
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

LOG_EVERY_S = 30.0
console = Console(stderr=True)
if not console.is_terminal:  # logs and CI: wide enough that tables are not folded
    console.width = 120


def set_main_process(is_main: bool) -> None:
    """Under several processes only the main one prints tables, progress and JSON (errors still show)."""
    global MAIN
    MAIN = is_main
    console.quiet = not is_main


MAIN = True
QUIET = False  # --quiet: info lines and tables are recorded (run.log) but not shown
VERBOSE = False  # --verbose: the libraries' own logging is left on (models.quiet_transformers reads it)


def set_verbosity(quiet: bool = False, verbose: bool = False) -> None:
    """--quiet sends the console (lines, tables, progress) nowhere but a run's log; warnings and errors
    still reach stderr. --verbose leaves the libraries' own logging on."""
    global QUIET, VERBOSE
    QUIET, VERBOSE = quiet, verbose
    if quiet:
        import os

        console.file = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115  (for the process's life)


def _loud() -> Console:
    """The console warnings and errors go to: stderr even under --quiet."""
    return Console(stderr=True) if QUIET else console


def info(message: str) -> None:
    """A line for people on stderr; Rich markup allowed, so user text in it goes through `esc`."""
    console.print(message, highlight=False, soft_wrap=True)


def warn(message: str) -> None:
    """A one-line warning on stderr; user text in it goes through `esc`, as for `info`."""
    for out in {id(c): c for c in (console, _loud())}.values():  # the log too, when one records
        out.print("[yellow]warning:[/yellow] " + message, highlight=False, soft_wrap=True)


def plural(count: int, noun: str, many: str | None = None) -> str:
    """`1 language`, `2 languages`: a count with its noun in the right number."""
    return f"{count} {noun if count == 1 else many or noun + 's'}"


def esc(value: object) -> str:
    """User text (a path, a language code) made safe to put in a Rich-markup line: `[red]` stays literal."""
    return escape(str(value))


def error(message: str) -> None:
    """One `error:` line on stderr; the message is printed literally, never read as markup."""
    (console if MAIN and not QUIET else Console(stderr=True)).print(
        "[bold red]error:[/bold red] " + escape(" ".join(message.split())), highlight=False, soft_wrap=True
    )


@contextlib.contextmanager
def progress(description: str, total: int) -> Iterator[Callable[..., None]]:
    """A progress bar on stderr; yields `advance(n=1, status="")`.

    Where stderr is not a terminal (a batch job's log), a plain line every LOG_EVERY_S seconds (and one at
    the end, if any was printed) replaces the bar, so short jobs stay quiet.
    """
    if not console.is_terminal:
        done, start = 0, time.monotonic()
        last = start

        def log_line(n: int = 1, status: str = "") -> None:
            nonlocal done, last
            done += n
            now = time.monotonic()
            if now - last >= LOG_EVERY_S or (done >= total and last > start):
                info(f"{description}: {done}/{total} {status}".rstrip())
                last = now

        yield log_line
        return
    bar = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[status]}"),
        TimeRemainingColumn(),
        console=console,
        transient=True,
    )
    with bar:
        task = bar.add_task(description, total=total, status="")

        def advance(n: int = 1, status: str = "") -> None:
            bar.update(task, advance=n, status=status)

        yield advance


def print_json(payload: Any) -> None:
    if not MAIN:
        return
    sys.stdout.write(json.dumps(payload, indent=2, default=_json_default) + "\n")
    sys.stdout.flush()


def _json_default(value: Any) -> Any:
    if hasattr(value, "item"):
        return value.item()
    if isinstance(value, Path):
        return str(value)
    return str(value)


def frame_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return json.loads(frame.to_json(orient="records"))


def fmt(value: Any, digits: int = 2) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def table(title: str, frame: pd.DataFrame, digits: dict[str, int] | None = None) -> Table:
    out = Table(title=title, title_justify="left")
    for column in frame.columns:
        out.add_column(str(column), justify="left" if frame[column].dtype == object else "right")
    for row in frame.itertuples(index=False):
        # Cells are user text (paths, language codes, recipe names): escaped, so `[bold]` in a path stays.
        out.add_row(
            *(escape(fmt(v, (digits or {}).get(c, 4))) for c, v in zip(frame.columns, row, strict=True))
        )
    return out


EXTREMES = 10  # a table of more than 4 × this many languages shows the first and last EXTREMES


def show_translation(summary: dict) -> None:
    """translate's table: per language, the rows translated and how many failed each check (and chrF)."""
    checks = ("empty", "untranslated", "wrong-script", "repeated", "cut", "input-cut")
    out = Table(
        title=f"translate ({summary['direction']}, {summary['style']}): rows failing each check",
        title_justify="left",
    )
    for column in ("lang", "model code", "rows", *checks, "chrF"):
        out.add_column(column, justify="left" if column in ("lang", "model code") else "right")
    for lang, counts in summary["languages"].items():
        score = counts.get("chrf")
        code = summary["codes"][lang]["target" if summary["direction"] == "forward" else "source"]
        out.add_row(
            lang,
            code,
            str(counts["rows"]),
            *(str(counts[c]) for c in checks),
            "-" if not score else f"{score['chrf']:.1f}",
        )
    console.print(out)
    dropped = sum(counts["empty"] for counts in summary["languages"].values())
    if dropped:
        warn(
            f"translate: {dropped} rows came out empty and were left out; the corpus is not parallel on their ids "
            "(select --allow-partial reads it; the ids are in the output's metadata)"
        )


def few(items: list[str], where: str = "in the output file") -> str:
    """A comma-separated list, cut after 2 × EXTREMES items: a warning about 1,000 languages stays a line."""
    cut = 2 * EXTREMES
    return ", ".join(items[:cut]) + (f" and {len(items) - cut} more ({where})" if len(items) > cut else "")


def show_languages(languages: pd.DataFrame, threshold: float, source_lang: str | None = None) -> None:
    """select's table, by ŝ; with many languages the EXTREMES highest and lowest (and the source language)."""
    view = languages.sort_values("score", ascending=False, kind="stable")[
        ["lang", "role", "avg_confidence", "score", "n"]
    ]
    left_out = 0
    if len(view) > 4 * EXTREMES:
        keep = np.zeros(len(view), dtype=bool)
        keep[:EXTREMES] = keep[-EXTREMES:] = True
        keep |= (view["lang"] == source_lang).to_numpy()
        left_out, view = int((~keep).sum()), view[keep]
    console.print(table(f"Teacher selection (threshold on score: {threshold:.6f})", view))
    if left_out:
        teachers = int((languages["role"] == "teacher").sum())
        info(
            f"  the {EXTREMES} highest and lowest ŝ of {len(languages)} languages ({teachers} teachers, "
            f"{len(languages) - teachers} students); {left_out} more in the output file"
        )
