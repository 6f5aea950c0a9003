"""`distill --teacher ensemble`: one fixed target per instance, the teacher languages' predictions combined.

The paper's own analysis (its Figure 4) finds an instance's predictions combined across languages, weighted
by each language's selection score ŝ, more accurate than English alone. With `--teacher ensemble` the target
for every language of instance i is

    q_i(y) = Σ_{t ∈ teachers} w_{t,i} P(y | x_{t,i}) / Σ_{t ∈ teachers} w_{t,i}

from predict's output on --data (`--predictions`), fixed for the run (a static target), with the roles
and ŝ of select's output (`--languages`). `--ensemble-weights score` (default): w_{t,i} = ŝ_t, the
paper's. `--ensemble-weights confidence`: w_{t,i} = max_y P(y | x_{t,i}), each teacher weighted by its own
confidence on that instance. The items trained on are the (instance, language) rows that appear on either
side of the pairs, so `make-pairs`' options still decide which languages learn; a teacher language learns
the ensemble too. Before training, the ensemble's accuracy is printed beside the source language's and the
best single teacher's on the corpus rows that carry labels (when --data has them).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from alsace_cli.configs import DistillConfig
from alsace_cli.errors import AlsaceError
from alsace_cli.io.artifacts import Dataset, read_artifact, read_predictions
from alsace_cli.io.schemas import probs_matrix
from alsace_cli.runtime import report
from alsace_cli.training.inputs import check_made_from


def ensemble_probs(predictions: pd.DataFrame, scores: dict[str, float], weights: str) -> pd.DataFrame:
    """Per id: the weighted mean of the teacher languages' distributions (`probs`, one row per id)."""
    rows = predictions[predictions["lang"].isin(list(scores))]
    probs = probs_matrix(rows).astype(np.float64)
    w = rows["lang"].map(scores).to_numpy(dtype=np.float64)
    if weights == "confidence":
        w = probs.max(axis=1)
    codes, ids = pd.factorize(rows["id"], sort=False)
    total = np.zeros((len(ids), probs.shape[1]))
    np.add.at(total, codes, probs * w[:, None])
    norm = np.zeros(len(ids))
    np.add.at(norm, codes, w)
    return pd.DataFrame({"id": np.asarray(ids, dtype=object), "probs": list(total / norm[:, None])})


def ensemble_items(
    config: DistillConfig, data: Dataset, pairs: pd.DataFrame
) -> tuple[pd.DataFrame, np.ndarray]:
    """The (id, lang) rows to train on and their fixed targets, log q_i(y), one row each."""
    predictions = read_predictions(config.predictions, data)
    check_made_from(
        predictions.meta, config.predictions, "--predictions", config.data, config.allow_other_corpus
    )
    languages = read_artifact(config.languages, "languages").frame
    teachers = languages[languages["role"] == "teacher"]
    if teachers.empty:
        raise AlsaceError(
            f"{config.languages}: no teacher language; --teacher ensemble combines the teachers"
        )
    scores = dict(zip(teachers["lang"], teachers["score"].astype(float), strict=True))
    combined = ensemble_probs(predictions.frame, scores, config.ensemble_weights).set_index("id")
    sides = [
        pairs[["id", column]].rename(columns={column: "lang"}) for column in ("student_lang", "teacher_lang")
    ]
    items = pd.concat(sides).drop_duplicates().reset_index(drop=True)
    missing = ~items["id"].isin(combined.index)
    if missing.any():
        raise AlsaceError(
            f"{config.predictions}: no teacher-language prediction for id {items['id'][missing].iloc[0]!r}"
        )
    targets = np.stack(combined.loc[items["id"], "probs"].to_numpy())
    show_accuracy(data, predictions.frame, combined, scores, config)
    items = items.rename(columns={"lang": "student_lang"}).assign(teacher_lang="ensemble")
    return items, np.log(np.clip(targets, 1e-12, None)).astype(np.float32)


def show_accuracy(
    data: Dataset,
    predictions: pd.DataFrame,
    combined: pd.DataFrame,
    scores: dict[str, float],
    config: DistillConfig,
) -> None:
    """The ensemble's accuracy against the source language's and each teacher's, on --data's labeled ids."""
    if "label" not in data.frame.columns or data.frame["label"].isna().all():
        report.info(
            f"distill (ensemble of {len(scores)} teachers, {config.ensemble_weights} weights): --data has no "
            "labels, so the ensemble's accuracy is not shown"
        )
        return
    gold = data.frame.dropna(subset=["label"]).groupby("id", sort=False)["label"].first().astype(int)
    ids = gold.index.intersection(combined.index)
    ensemble = np.stack(combined.loc[ids, "probs"].to_numpy()).argmax(axis=1)
    per_lang = {}
    for lang in sorted({config.source_lang, *scores}):
        part = predictions[(predictions["lang"] == lang) & predictions["id"].isin(ids)].set_index("id")
        if len(part):
            per_lang[lang] = float((part["pred"].to_numpy() == gold.loc[part.index].to_numpy()).mean())
    best = max((lang for lang in per_lang if lang in scores), key=per_lang.get, default=None)
    source = per_lang.get(config.source_lang)
    report.info(
        f"distill (ensemble of {len(scores)} teachers, {config.ensemble_weights} weights): accuracy on {len(ids)} "
        f"labeled ids of --data {100 * (ensemble == gold.loc[ids].to_numpy()).mean():.2f}"
        + (f", {config.source_lang} alone {100 * source:.2f}" if source is not None else "")
        + (f", best teacher {best} {100 * per_lang[best]:.2f}" if best else "")
    )
