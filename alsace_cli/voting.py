"""The vote's rules, as functions of prediction tables: the majority vote with its tie rule, each
language's label-distribution shift from the source language, and Dawid & Skene's EM (stages/vote.py
explains when each is used)."""

from __future__ import annotations

import numpy as np
import pandas as pd


def vote_frame(predictions: pd.DataFrame, n_labels: int) -> pd.DataFrame:
    codes, ids = pd.factorize(predictions["id"], sort=False)
    probs = np.stack(predictions["probs"].to_numpy()).astype(np.float64)
    counts = np.zeros((len(ids), n_labels), dtype=np.int64)
    np.add.at(counts, (codes, predictions["pred"].to_numpy()), 1)
    summed = np.zeros((len(ids), n_labels), dtype=np.float64)
    np.add.at(summed, codes, probs)
    most = counts.max(axis=1)
    tied = counts == most[:, None]
    # argmax returns the first maximum, which is the lowest label index among exact ties.
    pseudo = np.where(tied, summed, -np.inf).argmax(axis=1)
    n_langs = counts.sum(axis=1)
    return pd.DataFrame(
        {
            "id": np.asarray(ids, dtype=object),
            "pseudo_label": pseudo.astype("int64"),
            "votes": most,
            "n_langs": n_langs,
            "agreement": most / n_langs,
            "tie": tied.sum(axis=1) > 1,
        }
    )


def label_shift(predictions: pd.DataFrame, n_labels: int, source_lang: str) -> dict[str, float]:
    """Per language: total variation between its predicted-label distribution and the source language's,
    both over the instances the two share. Empty when the source language is absent."""
    if source_lang not in set(predictions["lang"]):
        return {}
    shared = set(predictions.loc[predictions["lang"] == source_lang, "id"])
    out = {}
    source = None
    for lang, part in predictions.groupby("lang", sort=True):
        part = part[part["id"].isin(shared)]
        histogram = np.bincount(part["pred"].to_numpy(), minlength=n_labels) / max(1, len(part))
        out[lang] = histogram
        if lang == source_lang:
            source = histogram
    return {lang: float(0.5 * np.abs(h - source).sum()) for lang, h in out.items()}


def dawid_skene(predictions: pd.DataFrame, n_labels: int, iterations: int = 200, tol: float = 1e-7,
                smoothing: float = 0.01) -> tuple[np.ndarray, pd.Index, dict[str, float], int]:  # fmt: skip
    """EM for the pseudo-labels' posterior (instances × labels), started from the vote shares."""
    items, ids = pd.factorize(predictions["id"], sort=False)
    langs, names = pd.factorize(predictions["lang"], sort=True)
    pred = predictions["pred"].to_numpy()
    posterior = np.zeros((len(ids), n_labels))
    np.add.at(posterior, (items, pred), 1.0)
    posterior /= posterior.sum(axis=1, keepdims=True)
    onehot = np.eye(n_labels)[pred]
    iteration = 0
    while iteration < iterations:
        iteration += 1
        prior = posterior.mean(axis=0) + 1e-12
        confusion = np.full((len(names), n_labels, n_labels), smoothing)
        for t in range(len(names)):
            rows = langs == t
            confusion[t] += posterior[items[rows]].T @ onehot[rows]
        confusion /= confusion.sum(axis=2, keepdims=True)
        log_post = np.tile(np.log(prior), (len(ids), 1))
        np.add.at(log_post, items, np.log(confusion[langs, :, pred]))
        new = np.exp(log_post - log_post.max(axis=1, keepdims=True))
        new /= new.sum(axis=1, keepdims=True)
        change = np.abs(new - posterior).max()
        posterior = new
        if change < tol:
            break
    reliability = {
        str(name): float((prior * np.diagonal(confusion[t])).sum()) for t, name in enumerate(names)
    }
    return posterior, ids, reliability, iteration
