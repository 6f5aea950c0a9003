"""`alsace data import --format squad|mlqa|tydiqa`: SQuAD-format JSON → one long-format QA dataset.

- `squad` (SQuAD, XQuAD): one file per language, parallel by id; the language from `--lang` or the file
  name (`xquad.de.json` → de); question and context in that language.
- `mlqa`: `SPLIT-context-X-question-Y.json` (dev, test or any split name): the context's language X and
  the question's Y from the name.
- `tydiqa` (TyDiQA-GoldP): the language from the id's prefix (`arabic-…` → ar), else `--lang` or the name.
Every answer's text must be the context's text at its answer_start: where it is not, the file and id are
named. Rows are keyed by (id, lang, question_lang).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pandas as pd

from alsace_cli.configs import ImportConfig
from alsace_cli.data.readers import lang_from_filename
from alsace_cli.errors import AlsaceError
from alsace_cli.io.artifacts import Artifact, dataset_meta, write_artifact
from alsace_cli.io.provenance import make_provenance
from alsace_cli.runtime import report

QA_FORMATS = ("squad", "mlqa", "tydiqa")
MLQA_NAME = re.compile(
    r"(?:^|[-_.])context-([A-Za-z-]+)-question-([A-Za-z-]+)\.json$"
)  # dev-, test-, any split
TYDIQA_LANGUAGES = {
    "arabic": "ar",
    "bengali": "bn",
    "english": "en",
    "finnish": "fi",
    "indonesian": "id",
    "japanese": "ja",
    "korean": "ko",
    "russian": "ru",
    "swahili": "sw",
    "telugu": "te",
    "thai": "th",
}


def _languages(path: Path, position: int, config: ImportConfig) -> tuple[str | None, str | None]:
    """(context language, question language) of a file; None where each row's id decides (tydiqa)."""
    if config.format == "mlqa":
        match = MLQA_NAME.search(path.name)
        if not match:
            raise AlsaceError(
                f"{path}: not an MLQA file name (SPLIT-context-X-question-Y.json, as dev-context-de-question-en.json)"
            )
        return match.group(1), match.group(2)
    if config.lang:
        return config.lang[position], config.lang[position]
    if config.format == "tydiqa":
        return None, None
    lang = lang_from_filename(path)
    return lang, lang


def _rows(path: Path, position: int, config: ImportConfig) -> list[dict[str, Any]]:
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
        articles = payload["data"]
    except FileNotFoundError:
        raise AlsaceError(f"{path}: no such file") from None
    except (json.JSONDecodeError, UnicodeDecodeError, KeyError, TypeError) as exc:
        raise AlsaceError(f"{path}: not SQuAD-format JSON (a 'data' list of articles): {exc}") from None
    context_lang, question_lang = _languages(path, position, config)
    rows = []
    number = 0
    for article in articles:
        for paragraph in article.get("paragraphs", []):
            context = paragraph["context"]
            for qa in paragraph["qas"]:
                qid = f"{path.stem}-{number}" if config.renumber_ids else str(qa["id"])
                number += 1
                lang, qlang = context_lang, question_lang
                if lang is None:
                    prefix = qid.split("-", 1)[0].lower()
                    lang = TYDIQA_LANGUAGES.get(prefix) or lang_from_filename(path)
                    qlang = lang
                answers = [
                    {"text": a["text"], "answer_start": int(a["answer_start"])} for a in qa.get("answers", [])
                ]
                for answer in answers:
                    start = answer["answer_start"]
                    if context[start : start + len(answer["text"])] != answer["text"]:
                        raise AlsaceError(
                            f"{path}: id {qid!r}: answer {answer['text']!r} is not in the context at character {start}"
                        )
                rows.append(
                    {
                        "id": qid,
                        "lang": lang,
                        "question_lang": qlang,
                        "question": qa["question"],
                        "context": context,
                        "answers": answers,
                    }
                )
    if not rows:
        raise AlsaceError(f"{path}: no questions")
    return rows


def import_qa(config: ImportConfig) -> Artifact:
    """Read the files, check them, write the dataset (the caller has checked the output path)."""
    paths = [Path(p) for p in config.inputs]
    rows = [row for position, path in enumerate(paths) for row in _rows(path, position, config)]
    frame = pd.DataFrame(rows)
    duplicated = frame.duplicated(["id", "lang", "question_lang"])
    if duplicated.any():
        row = frame[duplicated].iloc[0]
        raise AlsaceError(
            f"{paths[0]}: duplicate (id={row['id']!r}, lang={row['lang']!r}, question_lang={row['question_lang']!r}) "
            "(one file given twice, or a file whose ids repeat: pass --renumber-ids)"
        )
    if config.skip or config.limit is not None:
        ids = pd.unique(frame["id"])[config.skip :]
        keep = set(ids if config.limit is None else ids[: config.limit])
        if not keep:
            raise AlsaceError(f"{paths[0]}: --skip {config.skip} leaves no questions")
        frame = frame[frame["id"].isin(keep)].reset_index(drop=True)
    if config.drop_labels:
        frame = frame.drop(columns="answers")
    provenance = make_provenance("data import", config, {f"input{i}": p for i, p in enumerate(paths)})
    meta = dataset_meta("qa", [], provenance) | {"qa_format": config.format}
    out = write_artifact(frame, config.out, "dataset", meta)
    pairs = frame.groupby(["question_lang", "lang"]).size()
    ids_per_pair = frame.groupby(["question_lang", "lang"])["id"].agg(set)
    in_every = len(set.intersection(*ids_per_pair)) if len(ids_per_pair) else 0
    report.info(
        f"data import: {len(frame)} questions, {frame['id'].nunique()} ids, {len(pairs)} (question, context) "
        f"language pairs, {in_every} ids in every pair; task qa ({config.format}) → {report.esc(out)}"
    )
    return Artifact(frame, meta, out)
