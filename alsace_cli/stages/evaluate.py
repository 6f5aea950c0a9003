"""Stage 7, eval: accuracy per language, its average, and the transfer gap Δ_t = acc_src − acc_t.

Averages: accuracy over every language (the source included, as the paper reports it); the gap over the
non-source languages only. With a languages file the same is given per group (students, teachers, all);
the worst-language accuracy is always shown, because a gap that shrinks as every language gets worse is
not progress.
"""

from __future__ import annotations

import contextlib

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from alsace_cli import report
from alsace_cli.artifacts import Artifact, check_known_languages, read_artifact, write_artifact
from alsace_cli.configs import EvalConfig, config_path_for, save_config
from alsace_cli.devices import with_resolved_precision
from alsace_cli.distributed import processes
from alsace_cli.errors import AlsaceError
from alsace_cli.inference import predict_probs, predictions_frame
from alsace_cli.outputs import artifact_output, check_outputs, config_output, plot_output
from alsace_cli.provenance import make_provenance
from alsace_cli.streaming import CHUNK_ROWS, ArtifactWriter, DatasetStream, open_dataset


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


def _score(
    model_spec: str, source: DatasetStream, config: EvalConfig, writer: ArtifactWriter | None, chunk_rows: int
) -> tuple[pd.DataFrame, np.ndarray]:
    """One pass of a model over the test set, chunk by chunk.

    Returns what the metrics need, compactly: per row a 64-bit hash of its id (ids are only compared for
    equality), its language and label, and the probabilities (float32); about 25 bytes a row with 3 labels.
    Predictions go to `writer` as they are made.
    """
    from alsace_cli.distributed import process_device, processes
    from alsace_cli.models import load_for_inference
    from alsace_cli.tasks import get_task

    procs = processes(config.device)
    device = process_device(config.device)
    model, tokenizer = load_for_inference(model_spec, source.task, source.labels, config, device)
    task = get_task(source.task)
    ids, langs, labels, probs = [], [], [], []
    with report.progress(f"eval {model_spec}", source.rows) as advance:
        for chunk in source.chunks(chunk_rows, require_labels=True):
            frame = chunk.frame
            mine = frame.iloc[procs.shard(len(frame))]
            chunk_probs = procs.gather_array(predict_probs(
                model, tokenizer, task, mine, max_length=config.max_length, batch_size=config.batch_size,
                device=device, precision=config.precision, on_batch=lambda n: advance(n * procs.world),
            ), len(frame))  # fmt: skip
            if writer is not None:
                predictions = predictions_frame(frame["id"], frame["lang"], chunk_probs)
                predictions.insert(0, "model", model_spec)
                writer.write(predictions)
            ids.append(pd.util.hash_array(frame["id"].to_numpy(dtype=object)))
            langs.append(frame["lang"].astype("category"))
            labels.append(frame["label"].to_numpy(dtype=np.int64))
            probs.append(chunk_probs)
    lang = pd.api.types.union_categoricals(langs, ignore_order=True)
    rows = pd.DataFrame(
        {"id": np.concatenate(ids), "lang": pd.Series(lang).astype(str), "label": np.concatenate(labels)}
    )
    return rows, np.concatenate(probs)


def evaluate(
    config: EvalConfig, overwrite: bool = False, chunk_rows: int = CHUNK_ROWS
) -> tuple[Artifact, pd.DataFrame]:
    if not config.models:
        raise AlsaceError("missing --model (give it once per model to compare)")
    config = with_resolved_precision(config)
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
    report.set_main_process(processes(config.device).main)
    source = open_dataset(config.data)
    if source.task == "qa":
        from alsace_cli.stages.evaluate_qa import evaluate_qa

        return evaluate_qa(config, source, chunk_rows)
    present = sorted(pq.read_table(config.data, columns=["lang"]).column("lang").unique().to_pylist())
    check_known_languages(source.path, [config.source_lang], [str(x) for x in present],
                          column="lang (--source-lang)")  # fmt: skip
    roles = scores = None
    if config.languages:
        languages = read_artifact(config.languages, "languages")
        roles = dict(zip(languages.frame["lang"], languages.frame["role"], strict=True))
        scores = dict(zip(languages.frame["lang"], languages.frame["score"], strict=True))
        # The source language may be absent from the unlabeled corpus (XCOPA has no English side there).
        missing = [lang for lang in present if lang not in roles and lang != config.source_lang]
        if missing:
            raise AlsaceError(f"{config.languages}: no role for lang {missing[0]!r} of {config.data}")
    provenance = make_provenance("eval", config, {"data": config.data, "languages": config.languages}
                                 | {f"model{i}": m for i, m in enumerate(config.models)})  # fmt: skip
    main = processes(config.device).main
    parts, ensemble = [], []
    with contextlib.ExitStack() as stack:
        writer = None
        if config.predictions_out and main:
            meta = {"task": source.task, "labels": source.labels, "provenance": provenance}
            writer = stack.enter_context(ArtifactWriter(config.predictions_out, "predictions", meta))
        for model in config.models:
            rows, probs = _score(model, source, config, writer, chunk_rows)
            parts.append(language_metrics(model, rows, probs, config.source_lang))
            ensemble += ensemble_accuracy(model, rows, probs, config.source_lang, scores)
    metrics = pd.concat(parts, ignore_index=True)
    if roles is not None:
        metrics["role"] = metrics["lang"].map(roles).fillna("source")
    summary = summarize(metrics, config.source_lang)
    meta = {
        "source_lang": config.source_lang,
        "summary": report.frame_records(summary),
        "ensemble": ensemble,
        "provenance": provenance,
    }
    if not main:  # the main process writes; the others computed the same metrics
        return Artifact(metrics, meta, None), summary
    out = write_artifact(metrics, config.out, "metrics", meta)
    save_config(config, "eval", config_path_for(out))
    if config.plot:
        report.plot_accuracy(metrics, config.plot, config.source_lang)
    return Artifact(metrics, meta, out), summary
