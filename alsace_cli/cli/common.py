"""What every command shares: error reporting, config resolution, JSON output."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from alsace_cli.errors import AlsaceError

F = TypeVar("F", bound=Callable[..., Any])

ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config", help="TOML file; its section for this command sets defaults that flags override."
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print a machine-readable result on stdout.")]
DeviceOption = Annotated[str | None, typer.Option(help="auto (GPU if present), cpu, cuda, cuda:N or mps.")]
PrecisionOption = Annotated[str | None, typer.Option(help="fp32, or bf16 / fp16 autocast on a GPU.")]


def handle_errors(func: F) -> F:
    """Report an AlsaceError as one line on stderr and exit 2; anything else is a bug and keeps its traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except AlsaceError as exc:
            from alsace_cli.report import console

            message = " ".join(str(exc).split())
            console.print(f"[bold red]error:[/bold red] {message}", highlight=False, soft_wrap=True)
            raise typer.Exit(code=exc.exit_code) from None

    return wrapper  # type: ignore[return-value]


def resolve_config(
    cls: type, section: str, config: Path | None, required: tuple[str, ...], **flags: Any
) -> Any:
    from alsace_cli.config import resolve

    return resolve(cls, section, flags=flags, config_file=config, required=required)


def split_list(value: str | None) -> list[str] | None:
    if value is None:
        return None
    return [item.strip() for item in value.split(",") if item.strip()]
