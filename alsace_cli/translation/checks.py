"""What can go wrong with a machine translation, checked per output text (each check is cheap and says why):

- `empty`: nothing but whitespace came out (the row is left out of the corpus: a text the model reads may
  not be empty, and a source-language text under another language's code would be worse);
- `untranslated`: the output is the input (case and spacing aside), the usual failure on names, numbers and
  the languages a model barely knows;
- `wrong-script`: under half of its letters are in the target language's script (a model that answers in
  English, or in a neighbour's alphabet);
- `repeated`: a loop, the same 1 to 6 words (characters for unspaced scripts) four times or more in a row;
- `cut`: generation stopped at --max-new-tokens before the end of sentence, so the text is likely cut short;
- `input-cut`: the input was longer than --max-length tokens and was truncated before translation.
Rows flagged with anything but `empty` are kept and marked in the `mt_check` column, so they can be read
and filtered.
"""

from __future__ import annotations

import re
import unicodedata

# ISO 15924 script → the first word of the Unicode names of its letters.
SCRIPT_NAMES = {
    "Latn": {"LATIN"},
    "Cyrl": {"CYRILLIC"},
    "Arab": {"ARABIC"},
    "Deva": {"DEVANAGARI"},
    "Grek": {"GREEK"},
    "Hebr": {"HEBREW"},
    "Thai": {"THAI"},
    "Beng": {"BENGALI"},
    "Taml": {"TAMIL"},
    "Telu": {"TELUGU"},
    "Knda": {"KANNADA"},
    "Mlym": {"MALAYALAM"},
    "Gujr": {"GUJARATI"},
    "Guru": {"GURMUKHI"},
    "Orya": {"ORIYA"},
    "Sinh": {"SINHALA"},
    "Mymr": {"MYANMAR"},
    "Khmr": {"KHMER"},
    "Laoo": {"LAO"},
    "Tibt": {"TIBETAN"},
    "Geor": {"GEORGIAN"},
    "Armn": {"ARMENIAN"},
    "Ethi": {"ETHIOPIC"},
    "Tfng": {"TIFINAGH"},
    "Hans": {"CJK"},
    "Hant": {"CJK"},
    "Jpan": {"CJK", "HIRAGANA", "KATAKANA"},
    "Hang": {"HANGUL"},
}
UNSPACED = {"Hans", "Hant", "Jpan", "Thai", "Khmr", "Laoo", "Mymr", "Tibt"}
CHECKS = ("empty", "untranslated", "wrong-script", "repeated", "cut", "input-cut")
_SPACE = re.compile(r"\s+")


def _normal(text: str) -> str:
    return _SPACE.sub(" ", text).strip().casefold()


def script_share(text: str, script: str) -> float | None:
    """The share of `text`'s letters written in `script`; None with fewer than 3 letters or an unknown script."""
    names = SCRIPT_NAMES.get(script)
    letters = [ch for ch in text if ch.isalpha()]
    if names is None or len(letters) < 3:
        return None
    inside = sum(unicodedata.name(ch, "?").split(" ")[0] in names for ch in letters)
    return inside / len(letters)


def repeats(text: str, script: str | None, times: int = 4, longest: int = 6) -> bool:
    """Whether some run of 1 to `longest` units comes `times` times or more in a row (a decoding loop)."""
    units = list(text.replace(" ", "")) if script in UNSPACED else text.split()
    for n in range(1, longest + 1):
        for i in range(len(units) - n * times + 1):
            gram = units[i : i + n]
            if all(units[i + k * n : i + (k + 1) * n] == gram for k in range(1, times)):
                return True
    return False


def check_translation(
    source: str, output: str, script: str | None, *, cut: bool = False, input_cut: bool = False
) -> list[str]:
    """The checks one output fails, in CHECKS order (empty: nothing else is checked)."""
    if not output.strip():
        return ["empty"]
    failed = []
    if _normal(output) == _normal(source) and sum(ch.isalpha() for ch in source) >= 3:
        failed.append("untranslated")
    share = script_share(output, script) if script else None
    if share is not None and share < 0.5:
        failed.append("wrong-script")
    if repeats(output, script):
        failed.append("repeated")
    if cut:
        failed.append("cut")
    if input_cut:
        failed.append("input-cut")
    return failed
