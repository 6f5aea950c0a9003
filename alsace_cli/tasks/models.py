"""Loading models and tokenizers by hub id or path, checking they fit the task.

torch and transformers are imported inside functions so that `alsace --help` stays instant.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from alsace_cli.errors import AlsaceError
from alsace_cli.tasks import get_task

if TYPE_CHECKING:
    import torch
    from transformers import PreTrainedModel, PreTrainedTokenizerBase


def position_limit(config: dict[str, Any], tokenizer_max: Any = None) -> int | None:
    """The most tokens a model takes, from its config (a dict, as config.json holds it) and its tokenizer's
    model_max_length (ignored when it is the library's "no limit" sentinel)."""
    limit = config.get("max_position_embeddings")
    if limit and "roberta" in str(config.get("model_type", "")):
        limit -= (
            config.get("pad_token_id") or 0
        ) + 1  # RoBERTa-style positions start after the padding index
    if isinstance(tokenizer_max, int) and 0 < tokenizer_max < 1_000_000:
        limit = min(limit or tokenizer_max, tokenizer_max)
    return limit


def quiet_transformers() -> None:
    """transformers' warnings and download bars off, unless --verbose asked for the libraries' messages."""
    from transformers.utils import logging

    from alsace_cli.runtime import report

    if report.VERBOSE:
        logging.set_verbosity_info()
        return
    logging.set_verbosity_error()
    logging.disable_progress_bar()


def seed_everything(seed: int) -> None:
    import random

    import numpy as np
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def _default_label_names(names: list[str]) -> bool:
    return all(name == f"LABEL_{i}" for i, name in enumerate(names))


TOKENIZER_FILES = (
    "tokenizer.json",
    "tokenizer_config.json",
    "vocab.txt",
    "sentencepiece.bpe.model",
    "spiece.model",
    "vocab.json",
)


def hub_options(config: Any) -> dict[str, Any]:
    """from_pretrained's hub options from a stage's config: `--revision` and `--trust-remote-code`."""
    options: dict[str, Any] = {}
    if getattr(config, "revision", None):
        options["revision"] = config.revision
    if getattr(config, "trust_remote_code", False):
        options["trust_remote_code"] = True
    return options


def check_model_spec(spec: str) -> None:
    """A path that names no folder is said at once, rather than tried on the hub as a repository id: one
    that starts with `.`, `/` or `~`, has more than one `/`, or whose parent folder exists here."""
    path = Path(spec).expanduser()
    if path.exists():
        return
    local = (
        spec.startswith((".", "/", "~"))
        or spec.count("/") > 1
        or (path.parent != Path(".") and path.parent.exists())
    )
    if local:
        raise AlsaceError(f"{spec}: no such model folder")
    check_hub_reachable(spec)


_HUB_CHECKED: dict[str, bool] = {}


def check_hub_reachable(spec: str, timeout: float = 3.0) -> None:
    """A hub id with no network: huggingface_hub retries for about 25 s before failing. One quick connection
    to the hub's host says so at once: with the model in the local cache the process goes offline (as
    HF_HUB_OFFLINE=1 does), without it the line says how to go on."""
    import os
    import socket
    from urllib.parse import urlparse

    if os.environ.get("HF_HUB_OFFLINE", "0").lower() in ("1", "true", "yes"):
        return
    from huggingface_hub import constants

    host = urlparse(constants.ENDPOINT).hostname or ""
    if host not in _HUB_CHECKED:
        try:
            socket.create_connection((host, 443), timeout=timeout).close()
            _HUB_CHECKED[host] = True
        except OSError:
            _HUB_CHECKED[host] = False
    if _HUB_CHECKED[host]:
        return
    from huggingface_hub import try_to_load_from_cache

    if isinstance(try_to_load_from_cache(spec, "config.json"), str):
        os.environ["HF_HUB_OFFLINE"] = "1"
        constants.HF_HUB_OFFLINE = True
        return
    raise AlsaceError(
        f"{spec}: not a folder here, and the Hugging Face hub ({host}) cannot be reached; give a "
        "local model folder, or download it where there is a network (it is then read from the "
        "cache with HF_HUB_OFFLINE=1)"
    )


def load_tokenizer(spec: str, hub: dict[str, Any] | None = None) -> PreTrainedTokenizerBase:
    from transformers import AutoTokenizer

    quiet_transformers()
    check_model_spec(spec)
    if Path(spec).is_dir() and not any((Path(spec) / name).exists() for name in TOKENIZER_FILES):
        raise AlsaceError(
            f"{spec}: no tokenizer in the model directory (none of {', '.join(TOKENIZER_FILES)}); "
            "save the tokenizer the model was trained with beside it"
        )
    try:
        tokenizer = AutoTokenizer.from_pretrained(spec, **(hub or {}))
    except (OSError, ValueError, TypeError) as exc:
        raise AlsaceError(f"{spec}: cannot load a tokenizer ({str(exc).splitlines()[0]})") from None
    return tokenizer


def check_fit(
    spec: str, model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase, max_length: int | None
) -> None:
    """The tokenizer must index the model's embeddings, and --max-length fit its position embeddings."""
    rows = model.get_input_embeddings().num_embeddings
    if len(tokenizer) > rows:
        raise AlsaceError(
            f"{spec}: the tokenizer does not fit the model: {len(tokenizer)} tokens, the embeddings have {rows} "
            "rows (a tokenizer from another model?)"
        )
    for name in ("pad_token_id", "cls_token_id", "sep_token_id", "unk_token_id", "mask_token_id"):
        value = getattr(tokenizer, name, None)
        if value is not None and not 0 <= value < rows:
            raise AlsaceError(
                f"{spec}: the tokenizer's {name} {value} is outside the model's {rows} embeddings"
            )
    if max_length is None:
        return
    limit = position_limit(model.config.to_dict(), tokenizer.model_max_length)
    if limit and max_length > limit:
        raise AlsaceError(f"--max-length {max_length}: the model {spec} takes at most {limit} tokens")


def _check_head(spec: str, config: Any, task: str, labels: list[str]) -> None:
    """A trained model must have been trained for exactly these labels and this task's head: predicting with
    a head for other labels would silently give meaningless numbers."""
    the_task = get_task(task)
    names = [config.id2label[i] for i in range(config.num_labels)]
    architectures = getattr(config, "architectures", None) or []
    if architectures and not any(name.endswith(the_task.head) for name in architectures):
        trained_head = the_task.has_label_set and the_task.labels_in_head  # finetune makes such a head
        raise AlsaceError(
            f"{spec}: model does not fit task {task!r}: it is a {architectures[0]}, the task needs a "
            f"*{the_task.head} model"
            + ("; this one has no trained head: run `alsace finetune` on it first" if trained_head else "")
        )
    if not the_task.has_label_set or not the_task.labels_in_head:
        pass  # an answer-span head has no label names to compare; a probe's head scores its candidates
    elif config.num_labels != len(labels) and _default_label_names(names):
        raise AlsaceError(
            f"{spec}: the model has no trained head for these labels (its {config.num_labels} labels are the "
            f"default {', '.join(names)}; the data has {len(labels)}): run `alsace finetune` on it first"
        )
    elif config.num_labels != len(labels):
        raise AlsaceError(
            f"{spec}: model does not fit the task: it has {config.num_labels} labels "
            f"({', '.join(names)}), the data has {len(labels)} ({', '.join(labels)})"
        )
    elif not _default_label_names(names) and names != labels:
        raise AlsaceError(
            f"{spec}: model does not fit the task: its labels are {', '.join(names)}, "
            f"the data's are {', '.join(labels)} (same names in the same order needed)"
        )


def with_model_labels(data: Any, spec: str, hub: dict[str, Any]) -> Any:
    """`data` (a Dataset or DatasetStream) with the label names of `spec`'s head where it has none (an unlabeled
    corpus imported without --labels); a head with only default names cannot name them."""
    import dataclasses

    if data.labels or not get_task(data.task).model_names_labels:
        return data
    config = load_config(spec, hub)
    names = [str(config.id2label[i]) for i in range(config.num_labels)]
    if _default_label_names(names):
        raise AlsaceError(
            f"{data.path}: has no label names and {spec}'s head has only default ones ({', '.join(names)}): "
            "import the corpus with --labels NAME,NAME,... or use a model fine-tuned by `alsace finetune`"
        )
    return dataclasses.replace(data, labels=names)


def load_config(spec: str, hub: dict[str, Any]) -> Any:
    """A model's config by hub id or folder, refused in one line when it names no model."""
    from transformers import AutoConfig

    quiet_transformers()
    check_model_spec(spec)
    if Path(spec).exists() and not (Path(spec) / "config.json").exists():
        raise AlsaceError(f"{spec}: not a model directory (no config.json)")
    try:
        return AutoConfig.from_pretrained(spec, **hub)
    except (OSError, ValueError) as exc:
        raise AlsaceError(f"{spec}: cannot load a model config ({str(exc).splitlines()[0]})") from None


def load_model(
    spec: str,
    task: str,
    labels: list[str],
    *,
    new_head: bool = False,
    max_length: int | None = None,
    hub: dict[str, Any] | None = None,
) -> tuple[PreTrainedModel, PreTrainedTokenizerBase]:
    """Load `spec` (hub id or directory) for `task`: with `new_head` (fine-tuning from a pretrained encoder) a
    new head for `labels`; otherwise a model trained for exactly these labels. `hub`: from_pretrained's
    revision and trust_remote_code (hub_options)."""
    hub = hub or {}
    config = load_config(spec, hub)
    the_task = get_task(task)
    if not new_head:
        _check_head(spec, config, task, labels)
    kwargs: dict[str, Any] = the_task.new_head_kwargs(labels) if new_head else the_task.load_kwargs(labels)
    try:
        model = the_task.auto_model_class().from_pretrained(spec, **kwargs, **hub)
    except (OSError, ValueError, KeyError) as exc:
        raise AlsaceError(f"{spec}: model does not fit task {task!r} ({str(exc).splitlines()[0]})") from None
    tokenizer = load_tokenizer(spec, hub)
    check_fit(spec, model, tokenizer, max_length)
    return model, tokenizer


def load_for_inference(
    spec: str, task: str, labels: list[str], config: Any, device: torch.device
) -> tuple[PreTrainedModel, PreTrainedTokenizerBase]:
    """load_model for predict and eval: on `device`, in eval mode."""
    model, tokenizer = load_model(spec, task, labels, max_length=config.max_length, hub=hub_options(config))
    return model.to(device).eval(), tokenizer


def save_model(
    model: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    directory: Path,
    labels: list[str],
    provenance: dict[str, Any],
) -> None:
    if labels and getattr(
        model, "labels_in_head", True
    ):  # a span head has no label names; a probe's no labels
        model.config.id2label = dict(enumerate(labels))
        model.config.label2id = {name: i for i, name in enumerate(labels)}
    model.save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    (directory / "alsace_provenance.json").write_text(json.dumps(provenance, indent=2, default=str))
