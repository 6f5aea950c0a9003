"""How a config field is declared: its default, help line, valid values, and how the command line shows it.

A field's default, help, range and choices are written once, here or in its dataclass; the CLI's options,
`--help`, the TOML sections and the checks on values all read them. The settings several stages share
(the optimiser, the runtime) are made by the functions below, so their help and range are written once.
Stdlib only: `alsace --help` imports this without pulling in pandas or torch.
"""

from __future__ import annotations

from dataclasses import MISSING, field
from typing import Any

REQUIRED = "required"
PRECISIONS = ("auto", "fp32", "bf16", "fp16")
DEVICES_HELP = "auto (a GPU if there is one), cpu, cuda, cuda:N or mps."
PRECISION_HELP = (
    "auto (bf16 on a GPU with bf16 and on a CPU with AVX512-BF16 or AMX; else fp32), fp32, or "
    "bf16 / fp16 autocast."
)
TRACKERS = ("none", "tensorboard", "wandb")
# Settings that name files or folders: in a TOML file they are relative to that file's folder. A model or
# recipe may instead be a hub id or a recipe's name: it is read as a path only where that path exists.
PATH_FIELDS = frozenset(
    {
        "train",
        "dev",
        "data",
        "out",
        "predictions",
        "pseudo_labels",
        "languages",
        "pairs",
        "plot",
        "predictions_out",
        "mask_pseudo_labels",
        "dir",
        "unlabeled",
        "test",
        "inputs",
        "path",
        "groups",
        "run_dir",
        "reference",
        "translate_test",
    }
)
NAME_OR_PATH_FIELDS = frozenset({"model", "models", "recipe"})


def setting(
    default: Any = MISSING,
    help: str = "",
    *,
    factory: Any = None,
    minimum: float | None = None,
    maximum: float | None = None,
    above: float | None = None,
    choices: tuple[str, ...] | None = None,
    shown: str | None = None,
    flags: tuple[str, ...] = (),
    panel: str | None = None,
    listing: str | None = None,
    was: tuple[str, ...] = (),
) -> Any:
    """A config field with its help line and its valid values (checked once the config is resolved).

    `minimum`/`maximum` are inclusive bounds, `above` an exclusive lower bound; `shown` is what `--help`
    prints as the default where the value itself would not say it (None, or "required" for an input).
    Command line: `flags` are the option's spellings (default `--field-name`); `panel` groups it in
    `--help`; a list field is given by repeating the option (`listing="repeat"`) or comma-separated
    (`listing="comma"`). `was` lists the field's earlier names: still read (option or config key) with a
    one-line warning.
    """
    metadata = {
        "help": help,
        "minimum": minimum,
        "maximum": maximum,
        "above": above,
        "choices": choices,
        "shown": shown,
        "flags": flags,
        "panel": panel,
        "listing": listing,
        "was": was,
    }
    if factory is not None:
        return field(default_factory=factory, metadata=metadata)
    return field(default=default, metadata=metadata)


# Settings several stages share: one definition each.


def learning_rate(default: float) -> Any:
    return setting(
        default,
        "Peak learning rate of AdamW.",
        above=0,
        flags=("--learning-rate", "--lr"),
        panel="optimisation",
    )


def epochs(default: float, over: str) -> Any:
    return setting(default, f"Passes over {over}.", above=0, panel="optimisation")


def max_steps() -> Any:
    return setting(
        None,
        "Stop after this many steps (overrides --epochs).",
        minimum=1,
        shown="from --epochs",
        flags=("--max-steps", "--steps"),
        panel="optimisation",
    )


def warmup_ratio(default: float) -> Any:
    return setting(
        default, "Fraction of the steps with linear warmup.", minimum=0, maximum=1, panel="optimisation"
    )


def weight_decay(default: float) -> Any:
    return setting(default, "AdamW weight decay (not on biases and norms).", minimum=0, panel="optimisation")


def max_grad_norm() -> Any:
    return setting(1.0, "Gradients are clipped to this norm.", above=0, panel="optimisation")


def freeze_embeddings() -> Any:
    return setting(False, "Keep the word embeddings fixed.", panel="optimisation")


def max_length() -> Any:
    return setting(128, "Tokens per input; longer inputs are truncated.", minimum=2, panel="model")


def doc_stride() -> Any:
    return setting(
        None,
        "QA: overlap of a long context's windows, in tokens.",
        minimum=0,
        shown="max-length / 3",
        panel="model",
    )


def save_every() -> Any:
    return setting(
        0, "Keep a rolling checkpoint every N steps (0: only on interruption).", minimum=0, panel="output"
    )


def report_to() -> Any:
    return setting(
        "none",
        "Also send the training log to accelerate's trackers: none, tensorboard or wandb.",
        choices=TRACKERS,
        panel="output",
    )


SEED_MAX = 2**32 - 1  # NumPy's and torch's seeds are 32-bit


def seed(help: str, default: int = 42) -> Any:
    return setting(default, help, minimum=0, maximum=SEED_MAX, panel="runtime")


def device() -> Any:
    return setting("auto", DEVICES_HELP, panel="runtime")


def precision() -> Any:
    return setting("auto", PRECISION_HELP, choices=PRECISIONS, panel="runtime")


def revision() -> Any:
    return setting(
        None, "A hub model's branch, tag or commit (passed to from_pretrained).", shown="main", panel="model"
    )


def trust_remote_code() -> Any:
    return setting(
        False,
        "Run a hub model repository's own code (from_pretrained's trust_remote_code); only for "
        "repositories you trust.",
        panel="model",
    )
