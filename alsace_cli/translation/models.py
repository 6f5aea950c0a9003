"""The MT model(s) of a translate run: loaded once (or once per language pair for a template), with the style
that tells them the target language and each language's code in the model's own spelling."""

from __future__ import annotations

from typing import Any

from alsace_cli.errors import AlsaceError
from alsace_cli.tasks.models import hub_options, load_config, load_tokenizer
from alsace_cli.translation.styles import STYLES, OnePair, Pair, Style, detect_style, is_template, model_for


def load_seq2seq(spec: str, hub: dict[str, Any], device: Any) -> tuple[Any, Any]:
    """A sequence-to-sequence model and its tokenizer, refused in one line when the model is not one."""
    from transformers import AutoModelForSeq2SeqLM

    config = load_config(spec, hub)
    if not getattr(config, "is_encoder_decoder", False):
        raise AlsaceError(
            f"{spec}: not a sequence-to-sequence model ({config.model_type}); translate needs an MT model such as "
            "NLLB (facebook/nllb-200-distilled-600M), M2M100, mBART-50, MADLAD-400 or opus-mt"
        )
    try:
        model = AutoModelForSeq2SeqLM.from_pretrained(spec, **hub)
    except (OSError, ValueError, KeyError) as exc:
        raise AlsaceError(f"{spec}: cannot load it as an MT model ({str(exc).splitlines()[0]})") from None
    return model.to(device).eval(), load_tokenizer(spec, hub)


class MTModels:
    """`config.model` and its style; `pair(source, target)` gives the loaded model, tokenizer and Pair."""

    def __init__(self, config: Any, device: Any) -> None:
        self.config, self.device, self.hub = config, device, hub_options(config)
        self.loaded: tuple[str, Any, Any] | None = None
        first = None if is_template(config.model) else self._load(config.model)
        tokenizer = first[2] if first else None
        self.style: Style = (
            detect_style(config.model, tokenizer) if config.style == "auto" else STYLES[config.style]()
        )
        if not isinstance(self.style, OnePair) and is_template(config.model):
            raise AlsaceError(
                f"--style {config.style}: --model {config.model} is a template (one model per pair); "
                "use --style one-pair or auto"
            )
        self.inventory = self.style.inventory(tokenizer) if tokenizer is not None else []
        if not isinstance(self.style, OnePair) and not self.inventory:
            raise AlsaceError(
                f"--style {self.style.name}: {config.model}'s tokenizer lists no language codes of that style"
            )

    def code(self, user_code: str, option: str) -> str:
        """The model's code for a language the user named (refused when the model lacks it)."""
        return self.style.code(user_code, self.inventory, self.config.model, option)

    def spec(self, source: str, target: str) -> str:
        return (
            model_for(self.config.model, source, target, self.config.source_lang)
            if is_template(self.config.model)
            else self.config.model
        )

    def _load(self, spec: str) -> tuple[str, Any, Any]:
        if self.loaded is None or self.loaded[0] != spec:
            self.loaded = None  # one model in memory at a time
            self.loaded = (spec, *load_seq2seq(spec, self.hub, self.device))
        return self.loaded

    def pair(self, source: tuple[str, str], target: tuple[str, str]) -> tuple[Any, Any, Pair]:
        """(user code, model code) of each side → the model, its tokenizer and the prepared pair."""
        _, model, tokenizer = self._load(self.spec(source[0], target[0]))
        return model, tokenizer, self.style.prepare(tokenizer, source[1], target[1])
