"""`alsace translate`: a parallel corpus from English text, or test sets into English.

Forward (translate-train, or a corpus for ALSACE): every --source-lang row of --data is translated into each
of --target-languages, field by field (the task's text columns); the output holds the input's rows and, per
language, the translated rows under the same ids, with labels and every other column carried along. With
--reverse (translate-test) every other language's rows are translated into --source-lang in place: `lang`
stays the row's language, so eval reports per language, and the original texts go to `original_<column>`.
Every output row says where it came from (`translated_from`: "" for an input row) and what its checks found
(`mt_check`, alsace_cli/translation/checks.py); a row whose translation came out empty is left out and
counted. The work is done in units (a chunk of input rows into one language), each kept in `<out>.partial/`
as it finishes, so an interrupted run resumes without translating a unit twice (translation/store.py).
Under `accelerate launch` each process generates its share of each unit's batches.
"""

from __future__ import annotations

import pandas as pd
import pyarrow.parquet as pq

from alsace_cli.configs import config_path_for, to_toml_dict
from alsace_cli.configs.translate import TranslateConfig
from alsace_cli.errors import AlsaceError, Interrupted
from alsace_cli.io.artifacts import Artifact, load_dataset
from alsace_cli.io.outputs import check_artifact_outputs, save_config
from alsace_cli.io.provenance import hash_path, make_provenance
from alsace_cli.io.streaming import CHUNK_ROWS, ArtifactWriter, DatasetStream, open_dataset
from alsace_cli.runtime import report
from alsace_cli.runtime.devices import with_resolved_precision
from alsace_cli.runtime.distributed import Processes, process_device, processes
from alsace_cli.tasks import get_task
from alsace_cli.translation.corpus import (
    Direction,
    check_counts,
    chrf,
    flagged_ids,
    plan,
    translated_rows,
    unit_frame,
)
from alsace_cli.translation.engine import Decoding, translate_texts
from alsace_cli.translation.models import MTModels
from alsace_cli.translation.store import UnitStore
from alsace_cli.translation.styles import OnePair, is_template


def _fields(config: TranslateConfig, source: DatasetStream) -> list[str]:
    task = get_task(source.task)
    if task.translate_note:
        raise AlsaceError(f"{config.data}: {task.translate_note}")
    fields = list(config.fields or task.text_columns)
    names = pq.read_schema(source.path).names
    unknown = [f for f in fields if f not in names]
    if unknown:
        raise AlsaceError(
            f"--fields: {config.data} has no column {unknown[0]!r} (text columns: {', '.join(task.text_columns)})"
        )
    return fields


def _inputs(config: TranslateConfig, directions: list[Direction], models: MTModels) -> dict[str, str | None]:
    """What the provenance hashes: the data, the reference, and each model a template expands to."""
    found = {"data": config.data, "reference": config.reference}
    if is_template(config.model):
        found.update({f"model {d.lang}": models.spec(d.source[0], d.target[0]) for d in directions})
    else:
        found["model"] = config.model
    return found


def translate(config: TranslateConfig, overwrite: bool = False, chunk_rows: int = CHUNK_ROWS) -> Artifact:
    config = with_resolved_precision(config)
    procs = processes(config.device)
    report.set_main_process(procs.main)
    check_artifact_outputs(
        config.out,
        {
            "--data": config.data,
            "--reference": config.reference,
            "--model": None if is_template(config.model) else config.model,
        },
        overwrite,
    )
    source = open_dataset(config.data)
    fields = _fields(config, source)
    per_lang = pq.read_table(source.path, columns=["lang"]).to_pandas()["lang"].value_counts()
    present = sorted(per_lang.index)
    models = MTModels(config, process_device(config.device))
    directions = plan(config, models, present)
    if isinstance(models.style, OnePair) and not is_template(config.model) and len(directions) > 1:
        raise AlsaceError(
            f"--model {config.model}: one language pair per model (no language codes in its tokenizer) "
            f"and {len(directions)} pairs asked; give a template such as opus-mt-{{src}}-{{tgt}}"
        )
    inputs = _inputs(config, directions, models)
    settings = {k: v for k, v in to_toml_dict(config).items() if k not in ("out", "reference")}
    store = UnitStore(
        config.out,
        {**settings, **{k: hash_path(v) for k, v in inputs.items() if v and k != "reference"}},
        overwrite,
    )
    procs.barrier()
    store.prepare(procs.main)
    procs.barrier()
    texts = len(fields) * sum(int(per_lang[d.rows_lang]) for d in directions)
    try:
        tokens = _translate_units(config, source, fields, directions, models, store, procs, chunk_rows, texts)
    except KeyboardInterrupt:
        raise Interrupted(
            f"translate interrupted: the units finished so far are kept in {store.dir}; run the same command "
            "again to resume without translating them twice"
        ) from None
    meta = {
        "task": source.task,
        "labels": source.labels,
        "provenance": make_provenance("translate", config, inputs),
    }
    if not procs.main:
        return Artifact(frame=None, meta=meta, path=None)  # type: ignore[arg-type]
    meta["translation"] = _summary(config, source, fields, directions, models, store, chunk_rows, tokens)
    with ArtifactWriter(config.out, "dataset", meta) as writer:
        for k, chunk in enumerate(source.chunks(chunk_rows)):
            writer.write(_output_chunk(config, chunk.frame, fields, directions, store, k))
    store.remove()
    save_config(config, "translate", config_path_for(config.out))
    report.info(f"translate: {writer.rows} rows → {report.esc(config.out)}")
    return Artifact(frame=None, meta=meta, path=writer.path)  # type: ignore[arg-type]


def _translate_units(
    config: TranslateConfig,
    source: DatasetStream,
    fields: list[str],
    directions: list[Direction],
    models: MTModels,
    store: UnitStore,
    procs: Processes,
    chunk_rows: int,
    total: int,
) -> int:
    """Translate every unit not already in the store; returns the tokens generated (this process's)."""
    decoding = Decoding(
        config.num_beams, config.max_new_tokens, config.max_length, config.batch_size, config.precision
    )
    tokens = 0
    with report.progress(f"translate {config.model}", total) as advance:
        for k, chunk in enumerate(source.chunks(chunk_rows)):
            for direction in directions:
                rows = chunk.frame[chunk.frame["lang"] == direction.rows_lang]
                if store.has(k, direction.lang) or rows.empty:
                    if procs.main and not store.has(k, direction.lang):
                        store.save(k, direction.lang, unit_frame(rows, fields, {}, {}, direction.script))
                    continue
                model, tokenizer, pair = models.pair(direction.source, direction.target)
                texts = [text for column in fields for text in rows[column].astype(str)]
                out, flags, generated = translate_texts(
                    model,
                    tokenizer,
                    texts,
                    pair,
                    decoding,
                    models.device,
                    procs.rank,
                    procs.world,
                    on_batch=advance,
                )
                tokens += generated
                out, flags = procs.merge(out, len(texts)), procs.merge(flags, len(texts))
                if procs.main:
                    store.save(k, direction.lang, unit_frame(rows, fields, out, flags, direction.script))
    return tokens


def _output_chunk(
    config: TranslateConfig,
    frame: pd.DataFrame,
    fields: list[str],
    directions: list[Direction],
    store: UnitStore,
    k: int,
) -> pd.DataFrame:
    """One chunk's output rows: forward, the input rows then each language's; reverse, in the input's order."""
    base = frame.assign(translated_from="", mt_check="")
    if config.reverse:
        for column in fields:
            base[f"original_{column}"] = pd.Series([None] * len(base), dtype="string")
        parts = [base[base["lang"] == config.source_lang]]
    else:
        parts = [base]
    for direction in directions:
        rows = base[base["lang"] == direction.rows_lang]
        parts.append(translated_rows(rows, store.load(k, direction.lang), fields, direction, config.reverse))
    out = pd.concat(parts)
    return (
        out.sort_index(kind="stable").reset_index(drop=True) if config.reverse else out.reset_index(drop=True)
    )


def _summary(
    config: TranslateConfig,
    source: DatasetStream,
    fields: list[str],
    directions: list[Direction],
    models: MTModels,
    store: UnitStore,
    chunk_rows: int,
    tokens: int,
) -> dict:
    """The translation's metadata: model, codes, decoding, and per language the checks (and chrF)."""
    chunks = -(-source.rows // chunk_rows)
    reference = load_dataset(config.reference) if config.reference else None
    per_lang = {}
    for d in directions:
        units = [store.load(k, d.lang) for k in range(chunks)]
        counts = check_counts(units)
        if reference is not None:
            counts["chrf"] = chrf(
                units, reference.frame, fields, config.source_lang if config.reverse else d.lang
            )
        counts["flagged_ids"] = flagged_ids(units)
        per_lang[d.lang] = counts
    return {
        "model": config.model,
        "style": models.style.name,
        "direction": "reverse" if config.reverse else "forward",
        "source_lang": config.source_lang,
        "fields": fields,
        "num_beams": config.num_beams,
        "max_new_tokens": config.max_new_tokens,
        "max_length": config.max_length,
        "codes": {d.lang: {"source": d.source[1], "target": d.target[1]} for d in directions},
        "models": {d.lang: models.spec(d.source[0], d.target[0]) for d in directions},
        "generated_tokens_this_run": tokens,
        "languages": per_lang,
    }
