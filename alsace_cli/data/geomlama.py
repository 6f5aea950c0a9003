"""`alsace data import --format geomlama gd_prompt_en.tsv gd_prompt_zh.tsv ...`: GeoMLAMA's released prompt
files → one probe dataset (task `probe`, alsace_cli/tasks/probe.py).

A file is one language (`gd_prompt_<lang>.tsv`, or --lang): a header, then blocks of five prompts, one per
country in the order United States, China, India, Iran, Kenya, separated by blank lines; columns Prompt
(with `<mask>`), Corresponding Questions, Ans (the right answers, comma-separated), Candidate Ans, Context
(the concept), then GPT-3's answers, which are not read. The i-th prompt of every file is the same
question, so the id is `<block>-<country>`; the candidates are translated in the same order in each
language, so a candidate's index names the same answer everywhere. As GeoMLAMA's own script does, a prompt
whose every candidate is right is left out (it tests nothing). Its repository carries no licence: the files
are read from the user's copy, never shipped with alsace.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from alsace_cli.configs import ImportConfig
from alsace_cli.errors import AlsaceError
from alsace_cli.io.artifacts import Artifact, dataset_meta, write_artifact
from alsace_cli.io.provenance import make_provenance
from alsace_cli.runtime import report

COUNTRIES = ("United States", "China", "India", "Iran", "Kenya")
CODES = ("us", "cn", "in", "ir", "ke")
SEPARATORS = re.compile(r"\s*[,，،、]\s*")  # the Latin, Chinese, Persian and enumeration commas


def _language(path: Path, position: int, config: ImportConfig) -> str:
    if config.lang:
        return config.lang[position]
    found = re.search(r"gd_prompt_([a-z]{2,3})\.tsv$", path.name)
    if not found:
        raise AlsaceError(f"{path}: not a GeoMLAMA file name (gd_prompt_<lang>.tsv); pass --lang")
    return found.group(1)


def read_prompts(path: Path, lang: str) -> pd.DataFrame:
    """One row per prompt: id, lang, text, candidates, golds (indices), country, concept."""
    lines = path.read_text(encoding="utf-8").splitlines()
    if not lines or not lines[0].startswith("Prompt\t"):
        raise AlsaceError(
            f"{path}: line 1 is not GeoMLAMA's header (Prompt, Corresponding Questions, Ans, ...)"
        )
    rows, block, country = [], 0, 0
    for number, line in enumerate(lines[1:], start=2):
        fields = line.split("\t")
        if not line.strip() or not fields[0].strip():
            block, country = (block + 1, 0) if country else (block, country)
            continue
        if len(fields) < 5 or "<mask>" not in fields[0] or country >= len(COUNTRIES):
            raise AlsaceError(
                f"{path}: line {number}: expected a prompt with <mask> and 5+ tab-separated fields "
                f"in a block of {len(COUNTRIES)}"
            )
        candidates = [c for c in SEPARATORS.split(fields[3].strip()) if c]
        answers = [a for a in SEPARATORS.split(fields[2].strip()) if a]
        missing = [a for a in answers if a not in candidates]
        if missing:
            raise AlsaceError(f"{path}: line {number}: answer {missing[0]!r} is not among the candidates")
        rows.append(
            {
                "id": f"{block:02d}-{CODES[country]}",
                "lang": lang,
                "text": fields[0].strip(),
                "candidates": candidates,
                "golds": [candidates.index(a) for a in answers],
                "country": COUNTRIES[country],
                "concept": fields[4].strip(),
            }
        )
        country += 1
    return pd.DataFrame(rows)


def import_geomlama(config: ImportConfig) -> Artifact:
    if config.lang and len(config.lang) != len(config.inputs):
        raise AlsaceError(
            f"--lang given {len(config.lang)} times for {len(config.inputs)} files: one per file"
        )
    frame = pd.concat(
        [read_prompts(Path(p), _language(Path(p), i, config)) for i, p in enumerate(config.inputs)],
        ignore_index=True,
    )
    sizes = frame.groupby("id")["candidates"].agg(lambda c: {len(x) for x in c})
    uneven = sizes[sizes.map(len) > 1]
    if len(uneven):
        raise AlsaceError(
            f"{config.inputs[0]}: prompt {uneven.index[0]} has a different number of candidates in "
            "different languages (the files are not parallel)"
        )
    trivial = set(frame.loc[frame["golds"].map(len) >= frame["candidates"].map(len), "id"])
    informative = ~frame["id"].isin(trivial)  # in every language, or the corpus would not be parallel
    frame = frame[informative].reset_index(drop=True)
    frame["label"] = frame["golds"].map(lambda g: g[0])
    slots = [f"candidate {k + 1}" for k in range(int(frame["candidates"].map(len).max()))]
    provenance = make_provenance("data import", config, {f"input{i}": p for i, p in enumerate(config.inputs)})
    meta = dataset_meta("probe", slots, provenance)
    out = write_artifact(frame, config.out, "dataset", meta)
    report.info(
        f"data import (GeoMLAMA): {len(frame)} prompts, {frame['id'].nunique()} ids, "
        f"{frame['lang'].nunique()} languages ({len(trivial)} prompts left out: every candidate right) → {out}"
    )
    return Artifact(frame, meta, out)
