"""The column rules on the compact (Arrow-backed) columns large files are read into."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from alsace_cli.errors import AlsaceError
from alsace_cli.io.artifacts import load_dataset, read_predictions, write_artifact
from alsace_cli.io.schemas import check_text, probs_matrix
from alsace_cli.runtime.inference import predictions_frame


def _predictions(tmp_path: Path, n: int = 12) -> Path:
    rng = np.random.default_rng(0)
    probs = rng.dirichlet(np.ones(3), size=n).astype(np.float32)
    ids = pd.Series([str(i // 2) for i in range(n)])
    langs = pd.Series(["en", "de"] * (n // 2))
    return write_artifact(
        predictions_frame(ids, langs, probs),
        tmp_path / "p.parquet",
        "predictions",
        {"labels": ["a", "b", "c"]},
    )


def test_predictions_are_read_compactly_and_their_matrix_is_the_values(tmp_path: Path) -> None:
    frame = read_predictions(_predictions(tmp_path)).frame
    assert isinstance(frame["probs"].dtype, pd.ArrowDtype)
    expected = np.array([np.asarray(v, dtype=np.float32) for v in frame["probs"]])
    np.testing.assert_array_equal(probs_matrix(frame), expected)
    subset = frame[frame["lang"] == "de"].iloc[1:4]  # a slice keeps its own offsets
    np.testing.assert_array_equal(probs_matrix(subset), expected[(frame["lang"] == "de").to_numpy()][1:4])


@pytest.mark.parametrize("text", ["", "   ", "\u3000", "\u00a0\t"])
def test_blank_text_is_refused_on_arrow_strings(tmp_path: Path, text: str) -> None:
    frame = pd.DataFrame({"text": pd.Series(["fine", text], dtype="string[pyarrow]")})
    with pytest.raises(AlsaceError, match="row 1: column 'text' is empty or only whitespace"):
        check_text(frame, tmp_path / "f.parquet", "text")


def test_keys_only_reads_no_text_but_checks_it_is_there(tmp_path: Path) -> None:
    rows = pd.DataFrame({"id": ["1", "1"], "lang": ["en", "de"], "text_a": ["a", "b"], "text_b": ["c", "d"]})
    path = write_artifact(rows, tmp_path / "d.parquet", "dataset", {"task": "pair", "labels": ["x", "y"]})
    keys = load_dataset(path, keys_only=True)
    assert list(keys.frame.columns) == ["id", "lang"] and keys.task == "pair"
    broken = write_artifact(
        rows.drop(columns="text_b"), tmp_path / "e.parquet", "dataset", {"task": "pair", "labels": ["x", "y"]}
    )
    with pytest.raises(AlsaceError, match="missing column 'text_b'"):
        load_dataset(broken, keys_only=True)
