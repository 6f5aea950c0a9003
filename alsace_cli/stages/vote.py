"""Stage 3, vote: one pseudo-label per instance, the label most languages predict.

Tie rule (deterministic): among the labels with the most votes, the one with the highest probability
summed over all languages of the instance wins; if that is tied too, the lowest label index wins.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from alsace_cli import report
from alsace_cli.artifacts import Artifact, read_predictions, write_artifact
from alsace_cli.config import config_path_for, save_config
from alsace_cli.configs import VoteConfig
from alsace_cli.errors import AlsaceError
from alsace_cli.outputs import artifact_output, check_outputs, config_output
from alsace_cli.provenance import make_provenance


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


def vote(config: VoteConfig, overwrite: bool = False) -> Artifact:
    check_outputs(
        [artifact_output("--out", config.out), config_output(config_path_for(config.out))],
        {"--predictions": config.predictions},
        overwrite,
    )
    predictions = read_predictions(config.predictions)
    languages = predictions.frame["lang"].nunique()
    if languages < 2:
        raise AlsaceError(
            f"{config.predictions}: predictions in {languages} language only "
            f"({predictions.frame['lang'].iloc[0]!r}); a vote across languages needs at least 2"
        )
    labels = predictions.labels
    frame = vote_frame(predictions.frame, len(labels))
    meta = {
        "task": predictions.meta.get("task"),
        "labels": labels,
        "tie_rule": "most votes; then highest probability summed over languages; then lowest label index",
        "provenance": make_provenance("vote", config, {"predictions": config.predictions}),
    }
    out = write_artifact(frame, config.out, "pseudo_labels", meta)
    save_config(config, "vote", config_path_for(out))
    report.info(
        f"vote: {len(frame)} instances, mean agreement {frame['agreement'].mean():.3f}, "
        f"{int(frame['tie'].sum())} ties broken → {report.esc(out)}"
    )
    return Artifact(frame, meta, out)
