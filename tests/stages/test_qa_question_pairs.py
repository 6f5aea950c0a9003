"""ALSACE on QA: select question languages by mean best-span probability, pair them over one context,
distill start/end distributions aligned on the context tokens (no gold answers)."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

from alsace_cli.errors import AlsaceError
from alsace_cli.io.artifacts import write_artifact
from alsace_cli.stages.distill import DistillConfig, distill
from alsace_cli.stages.pairs import PairsConfig, make_pairs
from alsace_cli.stages.select import SelectConfig, select

SAMPLE = Path(__file__).resolve().parents[2] / "sample_data"


def _qa_predictions(path: Path, scores: dict[str, list[float]]) -> Path:
    rows = [
        {
            "id": f"q{i}",
            "lang": "en",
            "question_lang": lang,
            "answer": "x",
            "answer_start": 0,
            "score": s,
            "candidates": [{"text": "x", "start": 0, "score": s}],
        }
        for lang, values in scores.items()
        for i, s in enumerate(values)
    ]
    return write_artifact(pd.DataFrame(rows), path, "qa_predictions", {})


def test_select_scores_question_languages_by_mean_best_span_probability(tmp_path: Path) -> None:
    path = _qa_predictions(tmp_path / "p.parquet", {"en": [0.9, 0.7], "de": [0.5, 0.3], "zh": [0.1, 0.1]})
    languages = select(SelectConfig(predictions=str(path), out=str(tmp_path / "l.parquet"))).frame.set_index(
        "lang"
    )
    s = {"en": 0.8, "de": 0.4, "zh": 0.1}
    z = sum(math.exp(v) for v in s.values())
    for lang, value in s.items():
        assert languages.loc[lang, "avg_confidence"] == pytest.approx(value)
        assert languages.loc[lang, "score"] == pytest.approx(math.exp(value) / z)
    # ŝ = (0.431, 0.289, 0.280) against θ = 1/3: only English teaches.
    assert languages["role"].to_dict() == {"de": "student", "en": "teacher", "zh": "student"}


def test_select_refuses_summed_scores_and_pseudo_labels_on_qa(tmp_path: Path) -> None:
    path = _qa_predictions(tmp_path / "p.parquet", {"en": [1.4], "de": [0.2]})
    with pytest.raises(AlsaceError, match="row 0: column 'score' is 1.4.*--merge-windows max"):
        select(SelectConfig(predictions=str(path), out=str(tmp_path / "l.parquet")))
    assert not (tmp_path / "l.parquet").exists()
    path = _qa_predictions(tmp_path / "p2.parquet", {"en": [0.4], "de": [0.2]})
    with pytest.raises(AlsaceError, match="--pseudo-labels: not used on QA predictions"):
        select(SelectConfig(predictions=str(path), pseudo_labels=str(path), out=str(tmp_path / "l2.parquet")))


@pytest.fixture(scope="module")
def qa(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny QA model, its predictions on the shipped parallel sample, select and question-language pairs."""
    from alsace_cli.stages.finetune import FinetuneConfig, finetune
    from alsace_cli.stages.predict import PredictConfig, predict
    from alsace_cli.stages.tiny_model import build_tiny_model

    w = tmp_path_factory.mktemp("qa-pairs")
    train, test = pd.read_parquet(SAMPLE / "qa_train_en.parquet"), pd.read_parquet(SAMPLE / "qa_test.parquet")
    build_tiny_model(w / "base", [*train["question"], *train["context"], *test["question"], *test["context"]])
    finetune(
        FinetuneConfig(
            model=str(w / "base"),
            train=str(SAMPLE / "qa_train_en.parquet"),
            out=str(w / "ft"),
            max_steps=4,
            batch_size=16,
            max_length=96,
            learning_rate=1e-3,
            device="cpu",
        )
    )
    predict(
        PredictConfig(
            model=str(w / "ft"),
            data=str(SAMPLE / "qa_test.parquet"),
            out=str(w / "pred.parquet"),
            max_length=96,
            device="cpu",
        )
    )
    select(SelectConfig(predictions=str(w / "pred.parquet"), out=str(w / "languages.parquet")))
    make_pairs(
        PairsConfig(
            materialize=True,
            data=str(SAMPLE / "qa_test.parquet"),
            languages=str(w / "languages.parquet"),
            out=str(w / "pairs.parquet"),
            question_language_pairs=True,
        )
    )
    return w


def test_pairs_join_question_languages_over_one_context_never_student_student(qa: Path) -> None:
    pairs = pd.read_parquet(qa / "pairs.parquet")
    roles = pd.read_parquet(qa / "languages.parquet").set_index("lang")["role"].to_dict()
    teachers = [lang for lang, role in roles.items() if role == "teacher"]
    assert list(pairs.columns) == ["id", "context_lang", "student_lang", "teacher_lang", "pair_type"]
    assert pairs["teacher_lang"].map(roles).eq("teacher").all()
    assert (pairs["student_lang"] != pairs["teacher_lang"]).all()
    # The sample asks each of its 40 ids in 4 question languages over each of 4 contexts.
    assert len(pairs) == 40 * 4 * len(teachers) * 3
    test = pd.read_parquet(SAMPLE / "qa_test.parquet")
    assert set(pairs["context_lang"]) == set(test["lang"])


def test_qa_data_is_paired_by_question_language_without_the_flag(qa: Path, tmp_path: Path) -> None:
    """The output type says how QA pairs (--question-language-pairs is inferred; it was required)."""
    make_pairs(
        PairsConfig(
            materialize=True,
            data=str(SAMPLE / "qa_test.parquet"),
            languages=str(qa / "languages.parquet"),
            out=str(tmp_path / "p.parquet"),
        )
    )
    pd.testing.assert_frame_equal(
        pd.read_parquet(tmp_path / "p.parquet"), pd.read_parquet(qa / "pairs.parquet")
    )


def test_languages_of_another_unit_and_the_flag_on_label_data_are_refused(qa: Path, tmp_path: Path) -> None:
    languages = pd.read_parquet(qa / "languages.parquet")
    write_artifact(languages, tmp_path / "label_langs.parquet", "languages", {"unit": "lang"})
    with pytest.raises(AlsaceError, match="select ranked each 'lang'; .* is paired by 'question_lang'"):
        make_pairs(
            PairsConfig(
                data=str(SAMPLE / "qa_test.parquet"),
                languages=str(tmp_path / "label_langs.parquet"),
                out=str(tmp_path / "p.parquet"),
            )
        )
    with pytest.raises(AlsaceError, match="not QA"):
        make_pairs(
            PairsConfig(
                materialize=True,
                data=str(SAMPLE / "unlabeled.parquet"),
                languages=str(qa / "languages.parquet"),
                out=str(tmp_path / "p.parquet"),
                question_language_pairs=True,
            )
        )
    assert not (tmp_path / "p.parquet").exists()


def _distill(qa: Path, out: str, **settings) -> pd.DataFrame:
    config = DistillConfig(
        model=str(qa / "ft"),
        data=str(SAMPLE / "qa_test.parquet"),
        pairs=str(qa / "pairs.parquet"),
        out=str(qa / out),
        max_length=96,
        pairs_per_batch=8,
        device="cpu",
        **settings,
    )
    path = distill(config)
    assert (path / "model.safetensors").exists()
    return pd.read_parquet(path / "train_log.parquet").dropna(subset=["kl"]).reset_index(drop=True)


def test_distill_on_question_pairs_moves_the_student_toward_the_teacher_question(qa: Path) -> None:
    log = _distill(qa, "qpairs", teacher="epoch", max_steps=6, learning_rate=1e-2, student_dropout=False)
    assert (log["kl"] > 0).all() and log["ce"].isna().all()
    assert log["teacher_agreement"].between(0, 1).all()
    # A frozen teacher and 6 steps on a small fixed batch set: the KL to it falls.
    assert log["kl"].iloc[-2:].mean() < log["kl"].iloc[:2].mean()


def test_identical_questions_have_zero_kl(qa: Path, tmp_path: Path) -> None:
    """Teacher and student rows with the same question text: the aligned distributions are equal."""
    test = pd.read_parquet(SAMPLE / "qa_test.parquet")
    part = test[test["lang"] == "en"].copy()
    en = part[part["question_lang"] == "en"].set_index("id")["question"]
    part["question"] = part["id"].map(en)  # every question language asks the English question
    from alsace_cli.io.artifacts import read_meta

    data = write_artifact(part, tmp_path / "same.parquet", "dataset", read_meta(SAMPLE / "qa_test.parquet"))
    languages = qa / "languages.parquet"
    make_pairs(
        PairsConfig(
            materialize=True,
            data=str(data),
            languages=str(languages),
            out=str(tmp_path / "pairs.parquet"),
            question_language_pairs=True,
        )
    )
    config = DistillConfig(
        model=str(qa / "ft"),
        data=str(data),
        pairs=str(tmp_path / "pairs.parquet"),
        out=str(tmp_path / "d"),
        max_length=96,
        pairs_per_batch=8,
        device="cpu",
        teacher="live",
        student_dropout=False,
        max_steps=1,
    )
    log = pd.read_parquet(distill(config) / "train_log.parquet").dropna(subset=["kl"])
    assert log["kl"].iloc[0] == pytest.approx(0.0, abs=1e-6)
    assert log["teacher_agreement"].iloc[0] == 1.0


def test_gold_based_options_are_refused_on_question_pairs(qa: Path) -> None:
    with pytest.raises(AlsaceError, match="--ce-weight: question-language pairs"):
        _distill(qa, "x", ce_weight=1.0, max_steps=1)
    with pytest.raises(AlsaceError, match="--kl-weight map@k"):
        _distill(qa, "y", kl_weight="map@k", max_steps=1)
    assert not (qa / "x").exists() and not (qa / "y").exists()
