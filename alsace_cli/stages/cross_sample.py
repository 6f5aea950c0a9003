"""`alsace cross-sample`: cross-lingual sampling of a parallel QA set (Carrino et al., 2023, section 3.1).

For each id: the source language plus N target languages drawn at random without replacement (seeded:
one generator for the run, ids in the order they first appear), or the fixed `--target-languages`; then
every (question language, context language) combination among those 1 + N languages: (1 + N)² rows per
id, each the question in its language over the context in its language, with the gold answers of the
context's row. The output is an ordinary QA dataset, which finetune (CE on the sampled data) reads.

The source rows are the same-language rows (question_lang == lang) of `--data`, so XQuAD (all
same-language) and MLQA (whose same-language rows it has too) both work. An id whose rows lack the source
language is left out; an id with fewer than N other languages takes those it has. Both are counted.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from alsace_cli.configs import CrossSampleConfig, config_path_for
from alsace_cli.errors import AlsaceError
from alsace_cli.io.artifacts import Artifact, dataset_meta, load_dataset, write_artifact
from alsace_cli.io.outputs import check_artifact_outputs, save_config
from alsace_cli.io.provenance import make_provenance
from alsace_cli.runtime import report
from alsace_cli.tasks import get_task


def sample_frame(frame: pd.DataFrame, config: CrossSampleConfig) -> tuple[pd.DataFrame, dict[str, int]]:
    same = frame[frame["question_lang"] == frame["lang"]]
    by_id = {key: part.set_index("lang") for key, part in same.groupby("id", sort=False)}
    rng = np.random.default_rng(config.seed)
    rows, counts = [], {"ids": 0, "without_source": 0, "short": 0}
    for qid in pd.unique(same["id"]):
        part = by_id[qid]
        if config.source_lang not in part.index:
            counts["without_source"] += 1
            continue
        others = sorted(lang for lang in part.index if lang != config.source_lang)
        if config.target_languages:
            targets = [lang for lang in config.target_languages if lang in part.index]
        else:
            k = min(config.n, len(others))
            targets = sorted(rng.choice(others, size=k, replace=False).tolist()) if k else []
        counts["short"] += len(targets) < (len(config.target_languages) or config.n)
        counts["ids"] += 1
        chosen = [config.source_lang, *targets]
        for question_lang in chosen:
            for context_lang in chosen:
                rows.append(
                    {
                        "id": qid,
                        "lang": context_lang,
                        "question_lang": question_lang,
                        "question": part.loc[question_lang, "question"],
                        "context": part.loc[context_lang, "context"],
                        "answers": part.loc[context_lang, "answers"],
                    }
                )
    return pd.DataFrame(rows), counts


def cross_sample(config: CrossSampleConfig, overwrite: bool = False) -> Artifact:
    check_artifact_outputs(config.out, {"--data": config.data}, overwrite)
    data = load_dataset(config.data, require_labels=True)
    if "question_lang" not in get_task(data.task).key_columns:  # a question asked in several languages
        raise AlsaceError(
            f"{config.data}: cross-lingual sampling pairs questions and contexts; task is {data.task!r}, not qa"
        )
    present = set(data.frame["lang"])
    if config.source_lang not in present:
        raise AlsaceError(
            f"{config.data}: no rows in the source language {config.source_lang!r} (--source-lang)"
        )
    unknown = [lang for lang in config.target_languages if lang not in present or lang == config.source_lang]
    if unknown:
        raise AlsaceError(f"--target-languages: {unknown[0]!r} is the source or not in {config.data}")
    frame, counts = sample_frame(data.frame, config)
    if frame.empty:
        raise AlsaceError(f"{config.data}: no id has a same-language row in {config.source_lang!r}")
    provenance = make_provenance("cross-sample", config, {"data": config.data}, config.seed)
    meta = dataset_meta(data.task, data.labels, provenance) | {
        "qa_format": data.meta.get("qa_format", "squad"),
        "sampling": counts,
    }
    out = write_artifact(frame, config.out, "dataset", meta)
    save_config(config, "cross-sample", config_path_for(out))
    pairs = frame.groupby(["question_lang", "lang"]).size()
    report.info(
        f"cross-sample: {counts['ids']} ids × up to {(1 + (len(config.target_languages) or config.n)) ** 2} "
        f"(question, context) combinations = {len(frame)} rows over {len(pairs)} language pairs; "
        f"{counts['without_source']} ids without {config.source_lang}, {counts['short']} with fewer targets "
        f"→ {report.esc(out)}"
    )
    return Artifact(frame, meta, out)
