"""Exact match and F1 for extractive QA, as the official scripts compute them.

- `squad`: SQuAD v1.1's `evaluate-v1.1.py`: lower-case, drop ASCII punctuation (`string.punctuation`),
  drop the English articles a/an/the, split on whitespace.
- `mlqa`: facebookresearch/MLQA's `mlqa_evaluation_v1.py`, in the language of the answer (the context's):
  lower-case; drop every Unicode punctuation character (category P*) and ASCII punctuation; drop the
  language's articles (en: a an the; es: un una unos unas el la los las; de: ein eine einen einem eines
  einer der die das den dem des; vi: của là cái chiếc những; ar: every "ال", as the script's regex does,
  also inside words; hi and zh: none); split on whitespace, except zh, which is split into single CJK
  characters (U+4E00..U+9FA5) and punctuation marks, with the runs between them split on whitespace.
  Languages the script does not know fall back to whitespace splitting without articles.
Both take the maximum over the gold answers, and report percentages.
"""

from __future__ import annotations

import re
import string
import sys
import unicodedata
from collections import Counter
from functools import lru_cache

NORMALIZATIONS = ("squad", "mlqa")
ASCII_PUNCT = set(string.punctuation)


@lru_cache(maxsize=1)
def _unicode_punct() -> frozenset[str]:
    return frozenset(
        {chr(i) for i in range(sys.maxunicode) if unicodedata.category(chr(i)).startswith("P")} | ASCII_PUNCT
    )


MLQA_ARTICLES = {
    "en": r"\b(a|an|the)\b",
    "es": r"\b(un|una|unos|unas|el|la|los|las)\b",
    "vi": r"\b(của|là|cái|chiếc|những)\b",
    "de": r"\b(ein|eine|einen|einem|eines|einer|der|die|das|den|dem|des)\b",
    "ar": r"\sال^|ال",  # the script's own pattern: in effect, every "ال"
}
CJK = re.compile(r"[\u4e00-\u9fa5]")


def _mixed_segmentation(text: str, punct: frozenset[str]) -> list[str]:
    tokens, run = [], ""
    for char in text:
        if CJK.search(char) or char in punct:
            tokens += run.split()
            run = ""
            tokens.append(char)
        else:
            run += char
    return tokens + run.split()


def normalize_answer(text: str, normalization: str = "squad", lang: str = "en") -> list[str]:
    """The answer's tokens after the chosen script's normalisation (see the module docstring)."""
    text = text.lower()
    if normalization == "squad":
        text = "".join(ch for ch in text if ch not in ASCII_PUNCT)
        text = re.sub(r"\b(a|an|the)\b", " ", text)
        return text.split()
    if normalization != "mlqa":
        raise ValueError(f"unknown normalization {normalization!r}")
    punct = _unicode_punct()
    text = "".join(ch for ch in text if ch not in punct)
    if lang in MLQA_ARTICLES:
        text = re.sub(MLQA_ARTICLES[lang], " ", text)
    tokens = _mixed_segmentation(text, punct) if lang == "zh" else text.split()
    return [t for t in tokens if t.strip()]


def exact_match(prediction: str, golds: list[str], normalization: str = "squad", lang: str = "en") -> float:
    predicted = normalize_answer(prediction, normalization, lang)
    return float(any(predicted == normalize_answer(gold, normalization, lang) for gold in golds))


def f1(prediction: str, golds: list[str], normalization: str = "squad", lang: str = "en") -> float:
    predicted = normalize_answer(prediction, normalization, lang)
    best = 0.0
    for gold in golds:
        truth = normalize_answer(gold, normalization, lang)
        same = sum((Counter(predicted) & Counter(truth)).values())
        if same == 0:
            continue
        precision, recall = same / len(predicted), same / len(truth)
        best = max(best, 2 * precision * recall / (precision + recall))
    return best
