"""How an MT model is told which language to write: each style is an object that lists the model's language
codes and prepares one language pair (what goes before the text, what goes to `generate`).

- `forced-bos` (NLLB, M2M100, mBART-50): the tokenizer marks the source language (`src_lang`) and the
  decoder's first token is the target's code (`forced_bos_token_id`);
- `tag` (MADLAD-400 and T5-style models): `<2xx>` before the source text;
- `one-pair` (Marian/opus-mt): a model per language pair, `--model` a template with `{src}` and `{tgt}`
  (or `{lang}`, the non-source side), or a single model when there is one pair.
`auto` picks from the model: a template is one-pair; else the tokenizer's language codes say which.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, ClassVar

from alsace_cli.errors import AlsaceError
from alsace_cli.translation.codes import match_code

_FORCED_BOS = (
    re.compile(r"^[a-z]{3}_[A-Z][a-z]{3}$"),
    re.compile(r"^__[a-z]{2,3}__$"),
    re.compile(r"^[a-z]{2}_[A-Z]{2}$"),
)
_TAG = re.compile(r"^<2[A-Za-z_-]+>$")


@dataclass
class Pair:
    """One language pair, prepared: the model's codes, text before each input, generate's extra arguments."""

    source: str
    target: str
    prefix: str = ""
    generate: dict[str, Any] = field(default_factory=dict)


class Style:
    name: ClassVar[str]
    help: ClassVar[str]

    @staticmethod
    def inventory(tokenizer: Any) -> list[str]:
        """The language codes the model knows (empty when it does not say)."""
        return []

    def code(self, user_code: str, inventory: list[str], model: str, option: str) -> str:
        return match_code(user_code, inventory, model, option)

    def prepare(self, tokenizer: Any, source: str, target: str) -> Pair:
        raise NotImplementedError


def _special_tokens(tokenizer: Any) -> list[str]:
    tokens = list(getattr(tokenizer, "all_special_tokens", []))
    tokens += list(getattr(tokenizer, "lang_code_to_id", {}) or {})
    tokens += list(getattr(tokenizer, "lang_token_to_id", {}) or {})
    return list(dict.fromkeys(str(t) for t in tokens))


class ForcedBos(Style):
    name = "forced-bos"
    help = "NLLB, M2M100, mBART-50: the target's code as the decoder's first token"

    @staticmethod
    def inventory(tokenizer: Any) -> list[str]:
        for pattern in _FORCED_BOS:
            codes = [t for t in _special_tokens(tokenizer) if pattern.match(t)]
            if codes:
                return codes
        return []

    def prepare(self, tokenizer: Any, source: str, target: str) -> Pair:
        # M2M100's tokenizer takes `de` as src_lang and writes the token `__de__`; NLLB's and mBART's use one code.
        bare = lambda code: code.strip("_") if code.startswith("__") else code  # noqa: E731
        if hasattr(tokenizer, "src_lang"):
            tokenizer.src_lang = bare(source)
        target_id = tokenizer.convert_tokens_to_ids(target)
        if target_id is None or target_id == tokenizer.unk_token_id:
            raise AlsaceError(f"the tokenizer has no token for the target language code {target!r}")
        return Pair(source, target, generate={"forced_bos_token_id": int(target_id)})


class Tag(Style):
    name = "tag"
    help = "MADLAD-400, T5-style: <2xx> before the text"

    @staticmethod
    def inventory(tokenizer: Any) -> list[str]:
        return sorted(t for t in tokenizer.get_vocab() if _TAG.match(t))

    def prepare(self, tokenizer: Any, source: str, target: str) -> Pair:
        return Pair(source, target, prefix=f"{target} ")


class OnePair(Style):
    name = "one-pair"
    help = "Marian/opus-mt: a model per pair; --model a template with {src} and {tgt} (or {lang})"

    def code(self, user_code: str, inventory: list[str], model: str, option: str) -> str:
        return user_code  # the template takes the codes as the user writes them (opus-mt: ISO 639-1 mostly)

    def prepare(self, tokenizer: Any, source: str, target: str) -> Pair:
        return Pair(source, target)


STYLES: dict[str, type[Style]] = {style.name: style for style in (ForcedBos, Tag, OnePair)}


def is_template(model: str) -> bool:
    return "{" in model


def model_for(model: str, source: str, target: str, source_lang: str) -> str:
    """A template's model for one pair ({src}, {tgt}, {lang}: the side that is not --source-lang)."""
    other = target if source == source_lang else source
    try:
        return model.format(src=source, tgt=target, lang=other)
    except (KeyError, IndexError, ValueError) as exc:
        raise AlsaceError(
            f"--model {model}: a template may use {{src}}, {{tgt}} and {{lang}} ({exc})"
        ) from None


def detect_style(model: str, tokenizer: Any | None) -> Style:
    """`auto`: a template is one-pair; else forced-bos or tag by the tokenizer's language codes, else a
    single-pair model."""
    if is_template(model) or tokenizer is None:
        return OnePair()
    if ForcedBos.inventory(tokenizer):
        return ForcedBos()
    if Tag.inventory(tokenizer):
        return Tag()
    return OnePair()
