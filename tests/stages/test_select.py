from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from alsace_cli.errors import AlsaceError
from alsace_cli.method.selection import assign_roles, language_scores, parse_threshold
from tests.conftest import predictions_frame


def _pseudo(ids_labels: dict[str, int]) -> pd.DataFrame:
    return pd.DataFrame({"id": list(ids_labels), "pseudo_label": list(ids_labels.values())})


def test_scores_are_mean_pseudo_label_probability_then_softmax() -> None:
    preds = predictions_frame(
        [("a", "en", [0.9, 0.1]), ("b", "en", [0.3, 0.7]), ("a", "sw", [0.6, 0.4]), ("b", "sw", [0.5, 0.5])]
    )
    scores = language_scores(preds, _pseudo({"a": 0, "b": 1})).set_index("lang")
    assert scores.loc["en", "avg_confidence"] == pytest.approx((0.9 + 0.7) / 2)
    assert scores.loc["sw", "avg_confidence"] == pytest.approx((0.6 + 0.5) / 2)
    e_en, e_sw = math.exp(0.8), math.exp(0.55)
    assert scores.loc["en", "score"] == pytest.approx(e_en / (e_en + e_sw))
    assert scores.loc["sw", "score"] == pytest.approx(e_sw / (e_en + e_sw))
    roles, theta = assign_roles(scores.reset_index(), None, "confidence", 0)
    assert theta == pytest.approx(0.5)
    assert dict(zip(roles["lang"], roles["role"], strict=True)) == {"en": "teacher", "sw": "student"}


def test_all_languages_equal_are_all_teachers() -> None:
    preds = predictions_frame(
        [("a", lang, [0.7, 0.2, 0.1]) for lang in ("en", "de", "fr", "ru", "zh", "ar", "sw")]
    )
    scores = language_scores(preds, _pseudo({"a": 0}))
    roles, theta = assign_roles(scores, None, "confidence", 0)
    assert theta == pytest.approx(1 / 7)
    assert (roles["role"] == "teacher").all()


def test_score_exactly_at_numeric_threshold_is_a_teacher() -> None:
    scores = pd.DataFrame(
        {"lang": ["a", "b", "c"], "n": 1, "avg_confidence": 0.0, "score": [0.5, 0.25, 0.25]}
    )
    roles, theta = assign_roles(scores, 0.25, "confidence", 0)
    assert theta == 0.25
    assert (roles["role"] == "teacher").all()
    roles, _ = assign_roles(scores, 0.2500001, "confidence", 0)
    assert roles["role"].tolist() == ["teacher", "student", "student"]


def test_one_language_is_its_own_teacher() -> None:
    preds = predictions_frame([("a", "en", [0.2, 0.8]), ("b", "en", [0.6, 0.4])])
    scores = language_scores(preds, _pseudo({"a": 1, "b": 0}))
    roles, theta = assign_roles(scores, None, "confidence", 0)
    assert scores["score"].tolist() == [1.0] and theta == 1.0
    assert roles["role"].tolist() == ["teacher"]


def test_random_strategy_keeps_the_teacher_count_and_is_seeded() -> None:
    scores = pd.DataFrame(
        {
            "lang": list("abcdef"),
            "n": 1,
            "avg_confidence": 0.0,
            "score": np.array([0.3, 0.25, 0.15, 0.1, 0.1, 0.1]),
        }
    )
    confident, _ = assign_roles(scores, None, "confidence", 0)
    first, _ = assign_roles(scores, None, "random", 7)
    again, _ = assign_roles(scores, None, "random", 7)
    assert (first["role"] == "teacher").sum() == (confident["role"] == "teacher").sum() == 2
    assert first["role"].tolist() == again["role"].tolist()
    everyone, _ = assign_roles(scores, None, "all", 0)
    assert (everyone["role"] == "teacher").all()


def test_scale_strategy_picks_as_many_teachers_with_the_most_cc100_data() -> None:
    # The confidence rule picks sw and ur (the two highest ŝ); scale picks the two largest CC-100 languages.
    scores = pd.DataFrame(
        {
            "lang": ["en", "ru", "sw", "ur", "zh"],
            "n": 1,
            "avg_confidence": 0.0,
            "score": np.array([0.1, 0.1, 0.35, 0.35, 0.1]),
        }
    )
    roles, _ = assign_roles(scores, None, "scale", 0)
    assert roles.loc[roles["role"] == "teacher", "lang"].tolist() == ["en", "ru"]
    unknown = scores.assign(lang=["en", "ru", "sw", "ur", "xx"])
    with pytest.raises(AlsaceError, match="no CC-100 size for lang 'xx'"):
        assign_roles(unknown, None, "scale", 0)


@pytest.mark.parametrize("value", ["median", "1.5", "-0.1"])
def test_bad_threshold_is_rejected(value: str) -> None:
    with pytest.raises(AlsaceError, match="--threshold"):
        parse_threshold(value)


def test_threshold_parsing() -> None:
    assert parse_threshold("mean") is None and parse_threshold(" MEAN ") is None
    assert parse_threshold("0.2") == 0.2
