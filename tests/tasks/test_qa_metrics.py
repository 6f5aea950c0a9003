"""EM and F1 on cases worked out by hand from SQuAD v1.1's and MLQA's published definitions.

Each expected figure is derived in the comment beside it, token by token, not by calling the code.
"""

from __future__ import annotations

import pytest

from alsace_cli.tasks.qa_metrics import exact_match, f1, normalize_answer


def test_squad_drops_case_punctuation_articles_and_extra_whitespace() -> None:
    # "The  Eiffel-Tower!" → lower "the  eiffel-tower!" → no punct "the  eiffeltower" → no article → ["eiffeltower"]
    assert normalize_answer("The  Eiffel-Tower!", "squad") == ["eiffeltower"]
    assert exact_match("the Eiffel-tower", ["Eiffel Tower", "The Eiffel-Tower!"]) == 1.0
    # "An apple a day" → ["apple", "day"]
    assert normalize_answer("An apple a day", "squad") == ["apple", "day"]


def test_squad_f1_is_token_overlap_and_the_max_over_golds() -> None:
    # pred ["denver", "broncos"] vs gold ["broncos"]: overlap 1, P = 1/2, R = 1 → F1 = 2·(1/2)·1/(3/2) = 2/3
    assert f1("Denver Broncos", ["Broncos"]) == pytest.approx(2 / 3)
    # against a second gold "Denver Broncos" the overlap is complete: the max over golds is 1
    assert f1("Denver Broncos", ["Broncos", "the Denver Broncos"]) == 1.0
    # no common token: 0 (and EM 0)
    assert f1("Carolina", ["Denver"]) == 0.0 and exact_match("Carolina", ["Denver"]) == 0.0
    # repeated tokens count with multiplicity: pred [x x y] vs gold [x y y]: common {x: 1, y: 1} = 2,
    # P = 2/3, R = 2/3, F1 = 2/3
    assert f1("x x y", ["x y y"]) == pytest.approx(2 / 3)


def test_squad_keeps_non_ascii_punctuation_mlqa_drops_it() -> None:
    # "«Berlin»" : « and » are Unicode punctuation (Pi/Pf) but not in string.punctuation
    assert normalize_answer("«Berlin»", "squad") == ["«berlin»"]
    assert normalize_answer("«Berlin»", "mlqa", "de") == ["berlin"]


def test_mlqa_german_articles() -> None:
    # "Der Vertrag von den Alliierten" → lower, articles der/den removed → ["vertrag", "von", "alliierten"]
    assert normalize_answer("Der Vertrag von den Alliierten", "mlqa", "de") == [
        "vertrag",
        "von",
        "alliierten",
    ]
    # SQuAD's rules keep "der": ["der", "vertrag"]
    assert normalize_answer("Der Vertrag", "squad") == ["der", "vertrag"]
    # pred ["vertrag"] vs gold "der Vertrag" → ["vertrag"]: EM 1 under MLQA, 0 under SQuAD
    assert exact_match("Vertrag", ["der Vertrag"], "mlqa", "de") == 1.0
    assert exact_match("Vertrag", ["der Vertrag"], "squad") == 0.0


def test_mlqa_spanish_articles() -> None:
    # "las Islas Canarias" → ["islas", "canarias"]; "unos" and "el" too
    assert normalize_answer("las Islas Canarias", "mlqa", "es") == ["islas", "canarias"]
    assert normalize_answer("Unos libros, el perro", "mlqa", "es") == ["libros", "perro"]


def test_mlqa_arabic_removes_every_al_even_inside_words() -> None:
    # "الكتاب" (the book) → "ال" removed → "كتاب"; "مالك" (Malik) holds "ال" inside → "م" + " " + "ك"
    assert normalize_answer("الكتاب", "mlqa", "ar") == ["كتاب"]
    assert normalize_answer("مالك", "mlqa", "ar") == ["م", "ك"]


def test_mlqa_hindi_has_no_articles_and_drops_the_danda() -> None:
    # "।" (U+0964, danda) is punctuation (Po): "भारत।" → ["भारत"]
    assert normalize_answer("भारत।", "mlqa", "hi") == ["भारत"]


def test_mlqa_vietnamese_articles() -> None:
    # "cái bàn của tôi" → articles cái, của removed → ["bàn", "tôi"]
    assert normalize_answer("cái bàn của tôi", "mlqa", "vi") == ["bàn", "tôi"]


def test_mlqa_chinese_is_scored_by_character() -> None:
    # "北京大学" → four CJK characters, each a token
    assert normalize_answer("北京大学", "mlqa", "zh") == ["北", "京", "大", "学"]
    # pred 北京 (2 chars) vs gold 北京大学 (4): overlap 2, P = 1, R = 1/2, F1 = 2·1·(1/2)/(3/2) = 2/3
    assert f1("北京", ["北京大学"], "mlqa", "zh") == pytest.approx(2 / 3)
    # Latin runs between CJK characters are split on whitespace: "在 New York 市" → 在, new, york, 市
    assert normalize_answer("在 New York 市", "mlqa", "zh") == ["在", "new", "york", "市"]
    # under SQuAD's rules the whole string is one token: F1 of 北京 vs 北京大学 is 0
    assert f1("北京", ["北京大学"], "squad") == 0.0


def test_empty_prediction_scores_zero() -> None:
    assert f1("", ["Denver"]) == 0.0 and exact_match("", ["Denver"]) == 0.0
