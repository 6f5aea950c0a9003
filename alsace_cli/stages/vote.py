"""Stage 3, vote: one pseudo-label per instance, the label most languages predict.

Tie rule (deterministic): among the labels with the most votes, the one with the highest probability
summed over all languages of the instance wins; if that is tied too, the lowest label index wins.

A majority of languages the model barely knows can outvote the few it knows (they often predict one label
for most rows, and agree on it). Two defences, both off by default so the default is the paper's vote:
- `--exclude-degenerate`: a language is *degenerate* when its predicted-label distribution, over the
  instances it shares with the source language, is far from the source language's: total variation
  ½ Σ_y |p_t(y) − p_src(y)| above `--degenerate-tv` (0.2). Degenerate languages do not vote. The source
  language is the only one with labeled training data, so its label distribution is the reference.
- `--rule dawid-skene`: each language's reliability is estimated jointly with the pseudo-labels
  (Dawid & Skene, 1979): a confusion matrix π_t[k, j] = P(language t predicts j | true label k) per
  language and a class prior ρ, fitted by EM from the vote shares as a start; the pseudo-label is the
  posterior's argmax (lowest index on exact ties). A language that predicts one label whatever the
  instance gets a confusion matrix with one column, which carries no evidence, so its vote barely counts.
  Its estimated accuracy Σ_k ρ_k π_t[k, k] is saved per language in the metadata (`reliability`).
Either way the file keeps one row per instance; `votes` counts the voting languages that predict the
pseudo-label (0 is possible under Dawid-Skene) and `posterior` is the rule's confidence in it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from alsace_cli.configs import VoteConfig, config_path_for
from alsace_cli.errors import AlsaceError
from alsace_cli.io.artifacts import Artifact, read_predictions, write_artifact
from alsace_cli.io.outputs import check_artifact_outputs, save_config
from alsace_cli.io.provenance import make_provenance
from alsace_cli.method.voting import dawid_skene, label_shift, vote_frame
from alsace_cli.runtime import report


def _dawid_skene_votes(frame: pd.DataFrame, voters: pd.DataFrame, n_labels: int) -> tuple[pd.DataFrame, dict]:
    """The majority vote's table with Dawid-Skene's pseudo-labels, votes and posterior, and its metadata."""
    posterior, ids, reliability, iterations = dawid_skene(voters, n_labels)
    pseudo = posterior.argmax(axis=1)
    counts = voters.groupby("id", sort=False)["pred"].apply(lambda p: np.bincount(p, minlength=n_labels))
    votes = np.stack(counts.reindex(ids).to_numpy())[np.arange(len(ids)), pseudo]
    frame = frame.set_index("id").loc[list(ids)].reset_index()
    frame["pseudo_label"], frame["votes"] = pseudo.astype("int64"), votes.astype("int64")
    frame["agreement"], frame["posterior"] = votes / frame["n_langs"], posterior.max(axis=1)
    frame["tie"] = False
    report.info(
        "vote (Dawid-Skene): estimated accuracy per language: "
        + report.few(
            [f"{lang} {r:.2f}" for lang, r in sorted(reliability.items(), key=lambda kv: -kv[1])],
            "all in the output's metadata",
        )
    )
    return frame, {
        "tie_rule": "posterior argmax; exact ties to the lowest label index",
        "reliability": reliability,
        "em_iterations": iterations,
    }


def vote(config: VoteConfig, overwrite: bool = False) -> Artifact:
    check_artifact_outputs(config.out, {"--predictions": config.predictions}, overwrite)
    predictions = read_predictions(config.predictions)
    languages = predictions.frame["lang"].nunique()
    if languages < 2:
        raise AlsaceError(
            f"{config.predictions}: predictions in {languages} language only "
            f"({predictions.frame['lang'].iloc[0]!r}); a vote across languages needs at least 2"
        )
    labels = predictions.labels
    shift = label_shift(predictions.frame, len(labels), config.source_lang)
    if config.exclude_degenerate and not shift:
        raise AlsaceError(
            f"--exclude-degenerate: source language {config.source_lang!r} is not in {config.predictions} "
            "(--source-lang names the reference)"
        )
    degenerate = sorted(lang for lang, tv in shift.items() if tv > config.degenerate_tv)
    voters = predictions.frame
    if config.exclude_degenerate and degenerate:
        voters = voters[~voters["lang"].isin(degenerate)]
        report.warn(
            f"vote: {len(degenerate)} degenerate languages left out of the vote (predicted-label TV to "
            f"{config.source_lang} above {config.degenerate_tv}): "
            + report.few(
                [f"{lang} {shift[lang]:.2f}" for lang in sorted(degenerate, key=lambda g: -shift[g])],
                "all in the output's metadata",
            )
        )
    frame = vote_frame(voters, len(labels))
    alone = int((frame["n_langs"] < 2).sum())
    if alone == len(frame):
        raise AlsaceError(
            f"{config.predictions}: no id has predictions in two languages ({len(frame)} ids, each in one "
            "language): a vote needs the same instance in several languages; were the ids numbered "
            "per language? (data import --id-column)"
        )
    if alone:
        report.warn(
            f"vote: {alone} of {len(frame)} ids are in one language only; their pseudo-label is that "
            "language's own prediction"
        )
    frame["posterior"] = frame["votes"] / frame["n_langs"]
    meta_rule: dict = {
        "tie_rule": "most votes; then highest probability summed over languages; then lowest label index"
    }
    if config.rule == "dawid-skene":
        frame, meta_rule = _dawid_skene_votes(frame, voters, len(labels))
    meta = {
        "task": predictions.meta.get("task"),
        "labels": labels,
        "rule": config.rule,
        **meta_rule,
        "label_tv_to_source": shift,
        "degenerate": degenerate,
        "excluded": degenerate if config.exclude_degenerate else [],
        "provenance": make_provenance("vote", config, {"predictions": config.predictions}),
    }
    out = write_artifact(frame, config.out, "pseudo_labels", meta)
    save_config(config, "vote", config_path_for(out))
    report.info(
        f"vote: {len(frame)} instances, mean agreement {frame['agreement'].mean():.3f}, "
        f"{int(frame['tie'].sum())} ties broken → {report.esc(out)}"
    )
    return Artifact(frame, meta, out)
