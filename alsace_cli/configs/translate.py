"""translate's config: which MT model, which languages, how to decode."""

from __future__ import annotations

from dataclasses import dataclass

from alsace_cli.configs.fields import REQUIRED, device, precision, revision, setting, trust_remote_code

MT_STYLES = ("auto", "forced-bos", "tag", "one-pair")


@dataclass
class TranslateConfig:
    model: str = setting(
        "",
        "MT model directory or hub id (NLLB, M2M100, mBART-50, MADLAD-400), or a template with {src} and {tgt} "
        "(or {lang}) for one model per language pair (opus-mt: Helsinki-NLP/opus-mt-en-{tgt}).",
        shown=REQUIRED,
        panel="data",
    )
    revision: str | None = revision()
    trust_remote_code: bool = trust_remote_code()
    data: str = setting(
        "",
        "Dataset to translate (Parquet): its --source-lang rows (with --reverse, the others).",
        shown=REQUIRED,
        panel="data",
    )
    target_languages: list[str] = setting(
        help="Languages to translate into, as ISO 639-1/-3 or FLORES-200 codes (de, deu, deu_Latn); the output's "
        "lang column keeps the code as written.",
        factory=list,
        shown="required without --reverse",
        listing="comma",
        panel="data",
    )
    reverse: bool = setting(
        False,
        "Translate every other language's rows into --source-lang (translate-test): lang stays the row's "
        "language, the original texts go to original_<column>.",
        panel="data",
    )
    source_lang: str = setting("en", "The language translated from (with --reverse: into).", panel="data")
    fields: list[str] = setting(
        help="Text columns to translate.",
        factory=list,
        shown="the task's text columns",
        listing="comma",
        panel="data",
    )
    out: str = setting(
        "translated.parquet", "Output dataset Parquet: the input's rows and the translations.", panel="output"
    )
    reference: str | None = setting(
        None,
        "Human translations of the same ids (a dataset): chrF per language, with sacrebleu.",
        shown="none",
        panel="output",
    )
    style: str = setting(
        "auto",
        "How the model is told the target language: forced-bos (NLLB, M2M100, mBART-50), "
        "tag (<2xx>: MADLAD), one-pair (a model per pair), or auto (from the model).",
        choices=MT_STYLES,
        panel="decoding",
    )
    num_beams: int = setting(4, "Beam width (1: greedy, fastest).", minimum=1, panel="decoding")
    max_new_tokens: int = setting(
        256,
        "Most tokens generated per text; a translation that reaches it is flagged 'cut'.",
        minimum=1,
        panel="decoding",
    )
    max_length: int = setting(
        256, "Input tokens; longer inputs are truncated and flagged 'input-cut'.", minimum=2, panel="decoding"
    )
    batch_size: int = setting(16, "Texts per generate call.", minimum=1, panel="runtime")
    device: str = device()
    precision: str = precision()
