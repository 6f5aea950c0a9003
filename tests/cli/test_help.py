"""Every option of every command shows a default and a line of help, and help text is printed as written."""

from __future__ import annotations

import dataclasses

import pytest
import typer

from alsace_cli.cli.app import app
from alsace_cli.configs import DistillConfig, FinetuneConfig
from tests.cli.helpers import invoke


def _commands() -> list[tuple[str, object]]:
    group = typer.main.get_command(app)
    found = []
    for name, command in group.commands.items():
        if hasattr(command, "commands"):  # `data`
            found += [(f"{name} {sub}", c) for sub, c in command.commands.items()]
        else:
            found.append((name, command))
    return found


COMMANDS = _commands()


@pytest.mark.parametrize(("name", "command"), COMMANDS, ids=[name for name, _ in COMMANDS])
def test_every_option_has_help_and_a_default(name: str, command) -> None:
    ctx = command.make_context(name, [], resilient_parsing=True)
    for param in command.params:
        if param.param_type_name != "option" or param.name == "help" or getattr(param, "hidden", False):
            continue  # a hidden option is an earlier spelling kept for old commands
        record = param.get_help_record(ctx)
        assert record is not None, f"{name} {param.opts}"
        text = record[1]
        assert "[default:" in text or text.endswith("[required]"), (
            f"{name} {param.opts[0]} shows no default: {text!r}"
        )
        assert text.split("[")[0].strip(), f"{name} {param.opts[0]} has no help text"


def test_the_default_shown_is_the_config_default() -> None:
    out = invoke("finetune", "--help").stdout
    flat = " ".join(out.split())
    assert f"[default: {FinetuneConfig().batch_size}]" in flat
    assert f"[default: {FinetuneConfig().learning_rate}]" in flat
    distill_help = " ".join(invoke("distill", "--help").stdout.split())
    assert f"Peak learning rate of AdamW. [default: {DistillConfig().learning_rate}]" in distill_help


def test_brackets_in_help_survive() -> None:
    assert "a run section plus one section per stage" in " ".join(invoke("run", "--help").stdout.split())
    assert "[default:" in invoke("predict", "--help").stdout


def test_every_config_field_has_help() -> None:
    from alsace_cli import configs

    for cls in (v for v in vars(configs).values() if dataclasses.is_dataclass(v)):
        for field in dataclasses.fields(cls):
            assert field.metadata.get("help"), f"{cls.__name__}.{field.name}"


def test_help_lists_choices_groups_long_commands_and_says_required() -> None:
    distill = invoke("distill", "-h").stdout
    assert "--teacher [live|static|mutual|epoch|ensemble]" in distill
    assert all(f"{panel} options:" in distill for panel in ("Data", "Optimisation", "Guard", "Output"))
    flat = " ".join(distill.split())
    assert "--model MODEL The fine-tuned model directory. [required]" in flat and "(required)" not in flat
    assert "--learning-rate, --lr FLOAT" in distill and "<str>" not in distill
    vote = invoke("vote", "--help").stdout
    assert "Guard options" not in vote and "Options:" in vote  # 15 options or fewer: one list


def test_run_help_marks_config_required_once_and_passes_hub_options() -> None:
    """Issue 35.10: `[required]  [required]` on --config, --model marked required though the file gives it,
    and no --revision / --trust-remote-code although the README says they pass through."""
    from tests.cli.helpers import invoke

    flat = " ".join(invoke("run", "-h").output.split())
    assert flat.count("[required]") == 1 and "--revision" in flat and "--trust-remote-code" in flat
    assert "(the run file's)" in flat


def test_help_imports_neither_torch_nor_transformers_nor_pandas() -> None:
    """`alsace --help` is instant: the heavy libraries load only when a stage runs (issue 36.8)."""
    import subprocess
    import sys

    code = (
        "import sys; from alsace_cli.cli.app import main; sys.argv = ['alsace', '--help']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in ('torch', 'transformers', 'pandas') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "[]", out
