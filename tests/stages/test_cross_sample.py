"""Cross-lingual sampling: (1 + N)² question × context combinations per id, seeded, answers of the context."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from alsace_cli.errors import AlsaceError
from alsace_cli.io.artifacts import load_dataset
from alsace_cli.stages.cross_sample import CrossSampleConfig, cross_sample
from tests.cli.helpers import invoke

SAMPLE = Path(__file__).resolve().parents[2] / "sample_data" / "qa_test.parquet"


def test_every_id_gets_source_plus_n_languages_in_every_combination(tmp_path: Path) -> None:
    out = cross_sample(CrossSampleConfig(data=str(SAMPLE), out=str(tmp_path / "s.parquet"), n=2, seed=3))
    frame = out.frame
    assert out.meta["sampling"] == {"ids": 40, "without_source": 0, "short": 0}
    assert len(frame) == 40 * (1 + 2) ** 2
    source = pd.read_parquet(SAMPLE).query("lang == question_lang").set_index(["id", "lang"])
    for _, part in frame.groupby("id"):
        langs = set(part["lang"])
        assert "en" in langs and len(langs) == 3 and set(part["question_lang"]) == langs
        assert len(part) == 9 and not part.duplicated(["question_lang", "lang"]).any()
    for row in frame.itertuples():
        assert row.question == source.loc[(row.id, row.question_lang), "question"]
        assert row.context == source.loc[(row.id, row.lang), "context"]
        answer = row.answers[0]
        assert row.context[answer["answer_start"] :].startswith(answer["text"])  # the context's own answer
    assert load_dataset(tmp_path / "s.parquet", require_labels=True).task == "qa"  # finetune reads it


def test_the_draw_is_seeded_and_varies_across_ids(tmp_path: Path) -> None:
    def drawn(seed: int, name: str) -> pd.Series:
        frame = cross_sample(
            CrossSampleConfig(data=str(SAMPLE), out=str(tmp_path / name), n=1, seed=seed)
        ).frame
        return frame[frame["lang"] != "en"].groupby("id")["lang"].first()

    first, again, other = drawn(5, "a.parquet"), drawn(5, "b.parquet"), drawn(6, "c.parquet")
    assert first.equals(again) and not first.equals(other)
    assert first.nunique() > 1  # not one language for every id


def test_fixed_target_languages_and_bad_options(tmp_path: Path) -> None:
    frame = cross_sample(
        CrossSampleConfig(data=str(SAMPLE), out=str(tmp_path / "f.parquet"), target_languages=["de", "zh"])
    ).frame
    assert set(frame["lang"]) == {"en", "de", "zh"} and len(frame) == 40 * 9
    with pytest.raises(AlsaceError, match="--target-languages: 'xx'"):
        cross_sample(
            CrossSampleConfig(data=str(SAMPLE), out=str(tmp_path / "g.parquet"), target_languages=["xx"])
        )
    result = invoke("cross-sample", "--data", SAMPLE, "--n", "0", "--out", tmp_path / "h.parquet")
    assert result.exit_code == 2 and "--n = 0: must be at least 1" in result.stderr
