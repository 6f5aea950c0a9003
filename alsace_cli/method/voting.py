"""The vote's rules, as functions of prediction tables: the majority vote with its tie rule, each
language's label-distribution shift from the source language, and Dawid & Skene's EM (stages/vote.py
explains when each is used)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from alsace_cli.io.schemas import probs_matrix


def vote_frame(predictions: pd.DataFrame, n_labels: int) -> pd.DataFrame:
    codes, ids = pd.factorize(predictions["id"], sort=False)
    probs = probs_matrix(predictions).astype(np.float64)
    cell = codes * n_labels + predictions["pred"].to_numpy()
    counts = np.bincount(cell, minlength=len(ids) * n_labels).reshape(len(ids), n_labels)
    # bincount adds in row order, as np.add.at did (same sums, bit for bit), at a fraction of its time.
    summed = np.stack(
        [np.bincount(codes, weights=probs[:, k], minlength=len(ids)) for k in range(n_labels)], axis=1
    )
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
    langs, names = pd.factorize(predictions["lang"], sort=True)
    if source_lang not in set(names):
        return {}
    # One pass over the rows (a loop over languages would cost languages × rows).
    shared = (
        predictions["id"]
        .isin(pd.unique(predictions.loc[predictions["lang"] == source_lang, "id"]))
        .to_numpy()
    )
    cell = langs[shared] * n_labels + predictions["pred"].to_numpy()[shared]
    counts = np.bincount(cell, minlength=len(names) * n_labels).reshape(len(names), n_labels)
    histograms = counts / np.maximum(1, counts.sum(axis=1, keepdims=True))
    source = histograms[list(names).index(source_lang)]
    return {lang: float(0.5 * np.abs(h - source).sum()) for lang, h in zip(names, histograms, strict=True)}


def dawid_skene(
    predictions: pd.DataFrame,
    n_labels: int,
    iterations: int = 200,
    tol: float = 1e-7,
    smoothing: float = 0.01,
) -> tuple[np.ndarray, pd.Index, dict[str, float], int]:
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
