"""From translations to dataset rows: which language pairs a run translates, one unit's translated rows with
their checks, the rows written to the output, the per-language counts and chrF against a reference."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from alsace_cli.errors import AlsaceError
from alsace_cli.translation.checks import CHECKS, check_translation
from alsace_cli.translation.codes import language_of


@dataclass(frozen=True)
class Direction:
    """One language pair: `lang` names the output rows (the target, or with --reverse the row's language);
    `rows_lang` the input rows translated; each side as (user code, model code)."""

    lang: str
    rows_lang: str
    source: tuple[str, str]
    target: tuple[str, str]

    @property
    def script(self) -> str | None:
        """The script the output should be in: the target's (its code's, else the language's usual one)."""
        language = language_of(self.target[1]) or language_of(self.target[0])
        return language.written_in if language else None


def plan(config: Any, models: Any, present: list[str]) -> list[Direction]:
    """The run's directions, every language code checked against the model before any work."""
    source = (config.source_lang, models.code(config.source_lang, "--source-lang"))
    if config.reverse:
        if config.target_languages:
            raise AlsaceError(
                "--target-languages: not with --reverse (every language of --data goes into --source-lang)"
            )
        others = [lang for lang in present if lang != config.source_lang]
        if not others:
            raise AlsaceError(
                f"--reverse: {config.data} has only {config.source_lang!r} rows; nothing to translate"
            )
        return [
            Direction(lang, lang, (lang, models.code(lang, f"--data lang {lang!r}")), source)
            for lang in others
        ]
    if not config.target_languages:
        raise AlsaceError("missing --target-languages (the languages to translate into), or pass --reverse")
    if config.source_lang not in present:
        raise AlsaceError(
            f"{config.data}: no {config.source_lang!r} rows to translate (languages: {', '.join(present)})"
        )
    directions = []
    for lang in dict.fromkeys(config.target_languages):
        if lang == config.source_lang or lang in present:
            raise AlsaceError(f"--target-languages: {lang!r} is already in {config.data}; leave it out")
        directions.append(
            Direction(lang, config.source_lang, source, (lang, models.code(lang, "--target-languages")))
        )
    return directions


def unit_frame(
    rows: pd.DataFrame,
    fields: list[str],
    translations: dict[int, str],
    flags: dict[int, tuple[bool, bool]],
    script: str | None,
) -> pd.DataFrame:
    """One unit's rows: id, its position among the unit's input rows, each field's translation, the checks
    failed (comma-separated over the fields). `translations` is keyed by position in the fields' concatenation."""
    n = len(rows)
    out = {"id": rows["id"].astype(str).to_numpy(), "position": range(n)}
    failed: list[set[str]] = [set() for _ in range(n)]
    for f, column in enumerate(fields):
        texts = rows[column].astype(str).tolist()
        out[column] = [translations[f * n + i] for i in range(n)]
        for i in range(n):
            cut, input_cut = flags[f * n + i]
            failed[i].update(
                check_translation(texts[i], out[column][i], script, cut=cut, input_cut=input_cut)
            )
    out["mt_check"] = [",".join(c for c in CHECKS if c in checks) for checks in failed]
    return pd.DataFrame(out)


def translated_rows(
    rows: pd.DataFrame, unit: pd.DataFrame, fields: list[str], direction: Direction, reverse: bool
) -> pd.DataFrame:
    """The output rows of one unit: the input rows with their texts replaced, empty translations left out."""
    picked = rows.iloc[unit["position"].to_numpy()].copy()  # keeps the input's index: --reverse sorts on it
    for column in fields:
        if reverse:
            picked[f"original_{column}"] = picked[column]
        picked[column] = unit[column].to_numpy()
    picked["lang"] = direction.lang
    picked["translated_from"] = direction.source[0]
    picked["mt_check"] = unit["mt_check"].to_numpy()
    return picked[~picked["mt_check"].str.contains("empty", regex=False)]


def check_counts(units: list[pd.DataFrame]) -> dict[str, int]:
    """How many of a language's rows failed each check (and how many were translated)."""
    checks = (
        pd.concat([u["mt_check"] for u in units], ignore_index=True) if units else pd.Series([], dtype=str)
    )
    counts = {"rows": int(len(checks))}
    counts.update(
        {name: int(checks.str.split(",").map(lambda c, name=name: name in c).sum()) for name in CHECKS}
    )
    return counts


def flagged_ids(units: list[pd.DataFrame], limit: int = 20) -> dict[str, list[str]]:
    """Up to `limit` ids per failed check, for a user to look at."""
    frame = pd.concat(units, ignore_index=True) if units else pd.DataFrame({"id": [], "mt_check": []})
    return {
        name: frame.loc[frame["mt_check"].str.contains(name, regex=False), "id"].head(limit).tolist()
        for name in CHECKS
        if frame["mt_check"].str.contains(name, regex=False).any()
    }


def chrf(
    units: list[pd.DataFrame], reference: pd.DataFrame, fields: list[str], lang: str
) -> dict[str, float] | None:
    """chrF (sacrebleu) of a language's translations against `reference`'s rows in `lang`, over every field."""
    import sacrebleu

    refs = reference[reference["lang"] == lang].drop_duplicates("id").set_index("id")
    if refs.empty or not units:
        return None
    hyps = pd.concat(units, ignore_index=True)
    hyps = hyps[hyps["id"].isin(refs.index)]
    if hyps.empty:
        return None
    hypotheses = [t for column in fields for t in hyps[column].astype(str)]
    references = [t for column in fields for t in refs.loc[hyps["id"], column].astype(str)]
    return {
        "chrf": round(float(sacrebleu.corpus_chrf(hypotheses, [references]).score), 2),
        "rows": int(len(hyps)),
    }
