"""Hugging Face datasets as input (`alsace data import --hf NAME`): a hub dataset through the `datasets`
library, or a folder written by `save_to_disk`, read into the same column mapping as the other formats.

A column of translations, as the hub's XNLI `all_languages` holds (a `Translation` feature: one text per
language; a `TranslationVariableLanguages` feature: parallel lists of languages and texts), is spread into
one row per (instance, language), with the language in a `lang` column and the instance's row number as its
id, so a multilingual dataset of that shape becomes alsace's long format in one command.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from alsace_cli.errors import AlsaceError


def hf_frames(name: str, configs: list[str], split: str) -> list[tuple[str, pd.DataFrame, str | None]]:
    """(what to call it in messages, its rows, the configuration name) per configuration asked for."""
    import datasets

    path = Path(name).expanduser()
    if not path.exists() and (
        name.startswith((".", "/", "~")) or (path.parent != Path(".") and path.parent.exists())
    ):
        raise AlsaceError(
            f"--hf {name}: no such folder (a save_to_disk folder, or a hub name such as facebook/xnli)"
        )
    datasets.utils.logging.disable_progress_bar()
    out = []
    for config in configs or [None]:
        label = f"{name}" + (f" [{config}]" if config else "") + f" ({split})"
        try:
            if Path(name).is_dir():
                loaded: Any = datasets.load_from_disk(name)
                if isinstance(loaded, datasets.DatasetDict) and split not in loaded:
                    raise AlsaceError(f"--hf {label}: no split {split!r}; --split one of {', '.join(loaded)}")
                loaded = loaded[split] if isinstance(loaded, datasets.DatasetDict) else loaded
            else:
                loaded = datasets.load_dataset(name, config, split=split)
        except (FileNotFoundError, ValueError, KeyError, ConnectionError) as exc:
            message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise AlsaceError(f"--hf {label}: cannot load ({message})") from None
        out.append((label, spread_translations(loaded.to_pandas(), label), config))
    return out


def spread_translations(frame: pd.DataFrame, label: str) -> pd.DataFrame:
    """One row per (row, language) where columns hold translations; the frame as it is otherwise."""
    columns = [c for c in frame.columns if len(frame) and isinstance(frame[c].iloc[0], dict)]
    if not columns:
        return frame
    per_column = {column: [_by_language(value) for value in frame[column]] for column in columns}
    rows = []
    for i in range(len(frame)):
        languages = set.intersection(*(set(per_column[c][i]) for c in columns))
        for lang in sorted(languages):
            row = {c: frame[c].iloc[i] for c in frame.columns if c not in columns}
            rows.append({**row, **{c: per_column[c][i][lang] for c in columns}, "lang": lang, "id": str(i)})
    if not rows:
        raise AlsaceError(f"--hf {label}: its translation columns {', '.join(columns)} share no language")
    return pd.DataFrame(rows)


def _by_language(value: dict) -> dict[str, str]:
    if set(value) == {"language", "translation"}:  # TranslationVariableLanguages: parallel lists
        return dict(zip(value["language"], value["translation"], strict=True))
    return dict(value)  # Translation: one text per language
