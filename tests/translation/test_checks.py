"""The output checks on machine translations: each catches its failure and passes a good translation."""

from __future__ import annotations

from alsace_cli.translation.checks import check_translation, repeats, script_share


def test_a_good_translation_passes() -> None:
    assert check_translation("The cat sleeps.", "Die Katze schläft.", "Latn") == []
    assert check_translation("The cat sleeps.", "猫在睡觉。", "Hans") == []
    assert check_translation("The cat sleeps.", "Кошка спит.", "Cyrl") == []


def test_each_failure_is_named() -> None:
    assert check_translation("The cat sleeps.", "   ", "Latn") == ["empty"]
    assert check_translation("The cat sleeps.", "the  cat SLEEPS.", "Latn") == ["untranslated"]
    assert check_translation("The cat sleeps.", "The cat sleeps in German.", "Cyrl") == ["wrong-script"]
    assert check_translation("The cat.", "die Katze die Katze die Katze die Katze", "Latn") == ["repeated"]
    assert check_translation("The cat.", "Die Katze", "Latn", cut=True, input_cut=True) == [
        "cut",
        "input-cut",
    ]
    assert check_translation("42", "42", "Latn") == []  # too few letters to call it untranslated


def test_scripts_and_loops() -> None:
    assert script_share("Привет, мир! hello", "Cyrl") == 9 / 14
    assert script_share("42 !", "Latn") is None  # fewer than 3 letters
    assert repeats("ha ha ha ha", "Latn") and not repeats("ha ha ha", "Latn")
    assert repeats("a b c a b c a b c a b c", "Latn")  # a 3-word loop
    assert repeats("好好好好", "Hans") and not repeats("我们在家里吃饭", "Hans")  # characters where no spaces
