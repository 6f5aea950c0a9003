"""Stage 7, eval: accuracy per language, its average, and the transfer gap Δ_t = acc_src − acc_t.

Averages: accuracy over every language (the source included, as the paper reports it); the gap over the
non-source languages only. With a languages file the same is given per group (students, teachers, all);
the worst-language accuracy is always shown, because a gap that shrinks as every language gets worse is
not progress.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from alsace_cli import report
from alsace_cli.artifacts import Artifact, check_known_languages, load_dataset, read_artifact, write_artifact
from alsace_cli.config import config_path_for, save_config
from alsace_cli.configs import EvalConfig
from alsace_cli.errors import AlsaceError
from alsace_cli.inference import predictions_frame, run_model_on
from alsace_cli.outputs import artifact_output, check_outputs, config_output, plot_output
from alsace_cli.provenance import make_provenance


def language_metrics(model: str, frame: pd.DataFrame, probs: np.ndarray, source_lang: str) -> pd.DataFrame:
    correct = probs.argmax(axis=1) == frame["label"].to_numpy(dtype=np.int64)
    scored = pd.DataFrame({"lang": frame["lang"].to_numpy(), "correct": correct})
    per_lang = scored.groupby("lang", sort=False)["correct"].agg(["size", "mean"]).reset_index()
    per_lang.columns = ["lang", "n", "accuracy"]
    source = float(per_lang.loc[per_lang["lang"] == source_lang, "accuracy"].iloc[0])
    per_lang["gap"] = np.where(per_lang["lang"] == source_lang, np.nan, source - per_lang["accuracy"])
    per_lang.insert(0, "model", model)
    return per_lang


def ensemble_accuracy(
    model: str, frame: pd.DataFrame, probs: np.ndarray, source_lang: str, scores: dict[str, float] | None
) -> list[dict]:
    """The paper's ensemble analysis: one prediction per instance from all its languages, three ways.

    vote: the label most languages predict (ties as in `vote`: summed probability, then lowest index);
    source: the source-language prediction alone; weighted: argmax of Σ_t ŝ_t P(y | x_t), languages
    without a score (not in the languages file) weighing 0. Scored on the ids the source language has,
    against the source language's labels (PAWS-X relabels 34 of its first 1,000 dev ids in some translation).
    """
    from alsace_cli.stages.vote import vote_frame

    ids = frame.loc[frame["lang"] == source_lang, "id"]
    keep = frame["id"].isin(set(ids)).to_numpy()
    part, part_probs = frame[keep].reset_index(drop=True), probs[keep]
    gold = part.loc[part["lang"] == source_lang].set_index("id")["label"].astype("int64")
    predictions = predictions_frame(part["id"], part["lang"], part_probs)
    voted = vote_frame(predictions, probs.shape[1]).set_index("id")["pseudo_label"]
    source = predictions[predictions["lang"] == source_lang].set_index("id")["pred"]
    rows = [("vote", voted), (f"{source_lang} only", source)]
    if scores is not None:
        weights = part["lang"].map(scores).fillna(0.0).to_numpy()[:, None]
        weighted = pd.DataFrame(part_probs * weights).groupby(part["id"].to_numpy(), sort=False).sum()
        rows.append(("ŝ-weighted", pd.Series(weighted.to_numpy().argmax(axis=1), index=weighted.index)))
    return [
        {"model": model, "method": method, "n": len(gold),
         "accuracy": float((pred.reindex(gold.index).to_numpy() == gold.to_numpy()).mean())}
        for method, pred in rows
    ]  # fmt: skip


def summarize(metrics: pd.DataFrame, source_lang: str) -> pd.DataFrame:
    """Per model and group: languages, source accuracy, average accuracy and gap, worst language."""
    groups = [("all", None)]
    if "role" in metrics.columns:
        groups += [("teachers", "teacher"), ("students", "student")]
    rows = []
    for model, frame in metrics.groupby("model", sort=False):
        source = float(frame.loc[frame["lang"] == source_lang, "accuracy"].iloc[0])
        for group, role in groups:
            part = frame if role is None else frame[frame["role"] == role]
            if part.empty:
                continue
            worst = part.loc[part["accuracy"].idxmin()]
            gaps = part["gap"].dropna()
            rows.append(
                {
                    "model": model,
                    "group": group,
                    "n_langs": len(part),
                    "source_accuracy": source,
                    "avg_accuracy": float(part["accuracy"].mean()),
                    "avg_gap": float(gaps.mean()) if len(gaps) else float("nan"),
                    "worst_accuracy": float(worst["accuracy"]),
                    "worst_lang": str(worst["lang"]),
                    "std_accuracy": float(part["accuracy"].std(ddof=0)),
                }
            )
    return pd.DataFrame(rows)


def evaluate(config: EvalConfig, overwrite: bool = False) -> tuple[Artifact, pd.DataFrame]:
    if not config.models:
        raise AlsaceError("missing --model (give it once per model to compare)")
    repeated = sorted({m for m in config.models if config.models.count(m) > 1})
    if repeated:
        raise AlsaceError(f"--model {repeated[0]} is given twice; each model is compared once")
    outputs = [artifact_output("--out", config.out), config_output(config_path_for(config.out))]
    if config.predictions_out:
        outputs.append(artifact_output("--predictions-out", config.predictions_out))
    if config.plot:
        outputs.append(plot_output("--plot", config.plot))
    inputs = {"--data": config.data, "--languages": config.languages, "--model": config.models}
    check_outputs(outputs, inputs, overwrite)
    dataset = load_dataset(config.data, require_labels=True)
    check_known_languages(
        dataset.path, [config.source_lang], dataset.languages, column="lang (--source-lang)"
    )
    roles = scores = None
    if config.languages:
        languages = read_artifact(config.languages, "languages")
        roles = dict(zip(languages.frame["lang"], languages.frame["role"], strict=True))
        scores = dict(zip(languages.frame["lang"], languages.frame["score"], strict=True))
        # The source language may be absent from the unlabeled corpus (XCOPA has no English side there).
        missing = [lang for lang in dataset.languages if lang not in roles and lang != config.source_lang]
        if missing:
            raise AlsaceError(f"{config.languages}: no role for lang {missing[0]!r} of {config.data}")
    parts, predictions, ensemble = [], [], []
    for model in config.models:
        probs = run_model_on(
            model, dataset, config.batch_size, config.max_length, config.device, config.precision
        )
        parts.append(language_metrics(model, dataset.frame, probs, config.source_lang))
        ensemble += ensemble_accuracy(model, dataset.frame, probs, config.source_lang, scores)
        if config.predictions_out:
            frame = predictions_frame(dataset.frame["id"], dataset.frame["lang"], probs)
            frame.insert(0, "model", model)
            predictions.append(frame)
    metrics = pd.concat(parts, ignore_index=True)
    if roles is not None:
        metrics["role"] = metrics["lang"].map(roles).fillna("source")
    summary = summarize(metrics, config.source_lang)
    inputs = {"data": config.data, "languages": config.languages} | {
        f"model{i}": m for i, m in enumerate(config.models)
    }
    meta = {
        "source_lang": config.source_lang,
        "summary": report.frame_records(summary),
        "ensemble": ensemble,
        "provenance": make_provenance("eval", config, inputs),
    }
    out = write_artifact(metrics, config.out, "metrics", meta)
    save_config(config, "eval", config_path_for(out))
    if config.predictions_out:
        write_artifact(
            pd.concat(predictions, ignore_index=True),
            config.predictions_out,
            "predictions",
            {"task": dataset.task, "labels": dataset.labels, "provenance": meta["provenance"]},
        )
    if config.plot:
        report.plot_accuracy(metrics, config.plot)
    return Artifact(metrics, meta, out), summary
