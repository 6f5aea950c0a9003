"""Language codes as users write them, matched to each MT model family's own codes."""

from __future__ import annotations

import pytest

from alsace_cli.errors import AlsaceError
from alsace_cli.translation.codes import Language, match_code, parse_code

NLLB = ["arb_Arab", "deu_Latn", "eng_Latn", "pes_Arab", "swh_Latn", "zho_Hans", "zho_Hant", "yue_Hant"]
M2M = ["__ar__", "__de__", "__en__", "__fa__", "__sw__", "__zh__"]
MBART = ["ar_AR", "de_DE", "en_XX", "fa_IR", "sw_KE", "zh_CN"]
MADLAD = ["<2ar>", "<2de>", "<2en>", "<2fa>", "<2sw>", "<2zh>", "<2zh_Hant>"]


@pytest.mark.parametrize(
    "user, nllb, m2m, mbart, madlad",
    [
        ("de", "deu_Latn", "__de__", "de_DE", "<2de>"),
        ("deu", "deu_Latn", "__de__", "de_DE", "<2de>"),
        ("ger", "deu_Latn", "__de__", "de_DE", "<2de>"),  # ISO 639-2/B
        ("deu_Latn", "deu_Latn", "__de__", "de_DE", "<2de>"),
        ("sw", "swh_Latn", "__sw__", "sw_KE", "<2sw>"),
        ("swa", "swh_Latn", "__sw__", "sw_KE", "<2sw>"),  # the macrolanguage's code
        ("ar", "arb_Arab", "__ar__", "ar_AR", "<2ar>"),
        ("fa", "pes_Arab", "__fa__", "fa_IR", "<2fa>"),
        ("zh", "zho_Hans", "__zh__", "zh_CN", "<2zh>"),  # Simplified unless the code says otherwise
    ],
)
def test_one_code_finds_each_family_s_spelling(
    user: str, nllb: str, m2m: str, mbart: str, madlad: str
) -> None:
    for inventory, expected in ((NLLB, nllb), (M2M, m2m), (MBART, mbart), (MADLAD, madlad)):
        assert match_code(user, inventory, "m", "--target-languages") == expected


def test_a_script_picks_among_a_language_s_codes() -> None:
    assert match_code("zh-Hant", NLLB, "m", "--x") == "zho_Hant"
    assert match_code("zh_Hant", MADLAD, "m", "--x") == "<2zh_Hant>"
    assert parse_code("de_DE") == Language("deu", None)  # a region is not a script
    assert parse_code("sr_Latn").written_in == "Latn" and parse_code("sr").written_in == "Cyrl"


@pytest.mark.parametrize(
    "code, message",
    [
        ("xx", "--target-languages: 'xx' is not a language code"),
        ("tlh", "--target-languages: nllb-test has no language 'tlh' (it has arb_Arab, deu_Latn"),
        ("1de", "'1de' is not a language code"),
    ],
)
def test_codes_the_model_lacks_are_refused_in_one_line(code: str, message: str) -> None:
    with pytest.raises(AlsaceError, match=message.replace("(", r"\(").replace(")", r"\)")):
        match_code(code, NLLB, "nllb-test", "--target-languages")
