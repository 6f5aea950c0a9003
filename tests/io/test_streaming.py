"""predict reads its input in chunks and writes as it goes: same rows as one pass, errors with file rows."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from alsace_cli.errors import AlsaceError
from alsace_cli.io.artifacts import dataset_meta, read_meta, read_predictions
from alsace_cli.stages.predict import PredictConfig, predict
from tests.conftest import LABELS, LANGS, pair_rows


def _write_row_groups(frame: pd.DataFrame, path: Path, rows_per_group: int) -> Path:
    table = pa.Table.from_pandas(frame, preserve_index=False)
    import json

    table = table.replace_schema_metadata(
        {b"alsace": json.dumps({"artifact": "dataset", **dataset_meta("pair", LABELS)}).encode()}
    )
    pq.write_table(table, path, row_group_size=rows_per_group)
    return path


def test_chunked_predict_equals_one_pass_on_a_file_of_several_row_groups(
    tmp_path: Path, finetuned: Path
) -> None:
    frame = pair_rows(LANGS, 25, labeled=False)
    data = _write_row_groups(frame, tmp_path / "data.parquet", rows_per_group=7)
    assert pq.ParquetFile(data).num_row_groups == 15
    # fp32: under bf16 (auto on CPUs that compute it) a row's batch neighbours change its rounding.
    common = {
        "model": str(finetuned),
        "data": str(data),
        "device": "cpu",
        "batch_size": 4,
        "precision": "fp32",
    }
    predict(PredictConfig(out=str(tmp_path / "chunked.parquet"), **common), chunk_rows=9)
    predict(PredictConfig(out=str(tmp_path / "whole.parquet"), **common), chunk_rows=10_000)
    chunked = read_predictions(tmp_path / "chunked.parquet").frame
    whole = read_predictions(tmp_path / "whole.parquet").frame
    assert pq.ParquetFile(tmp_path / "chunked.parquet").num_row_groups == 12  # one per chunk of 9 rows
    assert chunked[["id", "lang"]].equals(frame[["id", "lang"]])  # the input's order
    np.testing.assert_allclose(np.stack(chunked["probs"]), np.stack(whole["probs"]), atol=1e-6)
    assert read_meta(tmp_path / "chunked.parquet")["rows"] == 100


@pytest.mark.parametrize(
    ("row", "change", "message"),
    [
        (95, ("text_a", ""), "row 95: column 'text_a' is empty"),
        (60, ("id", "x0"), "duplicate"),
    ],
)
def test_a_bad_row_in_a_late_chunk_is_reported_by_its_file_row_and_nothing_is_written(
    tmp_path: Path, finetuned: Path, row: int, change: tuple[str, str], message: str
) -> None:
    frame = pair_rows(LANGS, 25, labeled=False)
    frame.loc[row, change[0]] = change[1]
    if change[0] == "id":
        frame.loc[row, "lang"] = "en"
    data = _write_row_groups(frame, tmp_path / "data.parquet", rows_per_group=7)
    out = tmp_path / "p.parquet"
    with pytest.raises(AlsaceError, match=message):
        predict(PredictConfig(model=str(finetuned), data=str(data), out=str(out), device="cpu"), chunk_rows=9)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data.parquet"]


def test_chunked_eval_gives_the_metrics_and_predictions_of_one_pass(tmp_path: Path, finetuned: Path) -> None:
    from alsace_cli.stages.evaluate import EvalConfig, evaluate

    frame = pair_rows(LANGS, 25, labeled=True)
    data = _write_row_groups(frame, tmp_path / "test.parquet", rows_per_group=7)
    results = {}
    for name, chunk in (("chunked", 9), ("whole", 10_000)):
        config = EvalConfig(
            models=[str(finetuned)],
            data=str(data),
            out=str(tmp_path / f"{name}.parquet"),
            predictions_out=str(tmp_path / f"{name}-pred.parquet"),
            device="cpu",
        )
        artifact, summary = evaluate(config, chunk_rows=chunk)
        results[name] = (artifact, summary, read_predictions(tmp_path / f"{name}-pred.parquet").frame)
    (a, sa, pa_), (b, sb, pb) = results["chunked"], results["whole"]
    pd.testing.assert_frame_equal(a.frame, b.frame)
    pd.testing.assert_frame_equal(sa, sb)
    assert a.meta["ensemble"] == b.meta["ensemble"]
    assert pa_[["model", "id", "lang", "pred"]].equals(pb[["model", "id", "lang", "pred"]])
    assert len(pa_) == 100 and (a.frame["n"] == 25).all()
