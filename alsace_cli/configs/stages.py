"""The configs of the stages that do not train: predict, vote, select, make-pairs, eval, run, cross-sample,
data import."""

from __future__ import annotations

from dataclasses import dataclass

from alsace_cli.configs.fields import (
    REQUIRED,
    device,
    doc_stride,
    max_length,
    precision,
    revision,
    seed,
    setting,
    trust_remote_code,
)
from alsace_cli.errors import AlsaceError


@dataclass
class QADecoding:
    """How extractive QA windows a context and decodes its spans; predict and eval share these."""

    doc_stride: int | None = doc_stride()
    max_answer_length: int = setting(
        30, "QA: longest answer span, in tokens.", minimum=1, panel="QA decoding"
    )
    n_best: int = setting(
        20, "QA: most probable starts and ends paired per window.", minimum=1, panel="QA decoding"
    )
    top_k: int = setting(5, "QA: candidate answers kept per question.", minimum=1, panel="QA decoding")
    merge_windows: str = setting(
        "max",
        "QA: a span's score over windows: max, or sum (per window its top-k, one text's scores added: the pipeline's).",
        choices=("max", "sum"),
        panel="QA decoding",
    )


@dataclass
class PredictConfig(QADecoding):
    model: str = setting("", "Model directory or hub id.", shown=REQUIRED, panel="data")
    revision: str | None = revision()
    trust_remote_code: bool = trust_remote_code()
    data: str = setting("", "Dataset (Parquet), labeled or not.", shown=REQUIRED, panel="data")
    out: str = setting("predictions.parquet", "Output predictions Parquet.", panel="output")
    batch_size: int = setting(64, "Rows per forward pass.", minimum=1, panel="runtime")
    max_length: int = max_length()
    device: str = device()
    precision: str = precision()


@dataclass
class VoteConfig:
    predictions: str = setting("", "predictions.parquet from predict.", shown=REQUIRED)
    out: str = setting("pseudo_labels.parquet", "Output pseudo labels Parquet.")
    rule: str = setting(
        "majority",
        "majority (the paper's) or dawid-skene (each language's reliability estimated with the labels by EM).",
        choices=("majority", "dawid-skene"),
    )
    exclude_degenerate: bool = setting(
        False, "Languages whose predicted-label distribution is far from the source's do not vote."
    )
    degenerate_tv: float = setting(
        0.2,
        "A language is degenerate above this total variation to the source's label distribution.",
        above=0,
    )
    source_lang: str = setting("en", "The language with labeled training data: the reference distribution.")


SELECT_STRATEGIES = ("confidence", "random", "all", "scale")


def parse_threshold(value: str | float) -> float | None:
    """None for 'mean' (resolved once the scores are known), else a number in [0, 1]."""
    if isinstance(value, str) and value.strip().lower() == "mean":
        return None
    try:
        number = float(value)
    except ValueError:
        raise AlsaceError(
            f"--threshold: expected 'mean' or a number between 0 and 1, got {value!r}"
        ) from None
    if not 0.0 <= number <= 1.0:
        raise AlsaceError(f"--threshold: {number} is outside 0..1 (ŝ is a softmax over languages)")
    return number


@dataclass
class SelectConfig:
    predictions: str = setting("", "predictions.parquet from predict.", shown=REQUIRED)
    pseudo_labels: str = setting(
        "",
        "pseudo_labels.parquet from vote (classification; QA predictions need none).",
        shown="required for labels",
    )
    out: str = setting("languages.parquet", "Output languages Parquet.")
    threshold: str | float = setting("mean", "'mean' (of the softmaxed scores) or a number in 0..1.")
    strategy: str = setting(
        "confidence",
        "confidence (the paper's), random (as many teachers, seeded), all, or scale (most CC-100 data).",
        choices=SELECT_STRATEGIES,
    )
    allow_partial: bool = setting(False, "Score each language on the ids it has.")
    source_lang: str = setting("en", "The language with labeled training data.")
    source_teacher: bool = setting(False, "Keep the source language a teacher whatever its score.")
    degenerate_tv: float = setting(
        0.2, "Warn about languages whose label distribution is this far (TV) from the source's.", above=0
    )
    seed: int = seed("Seed of --strategy random.")

    def validate(self) -> None:
        parse_threshold(self.threshold)  # 'median' is refused before any work, not after finetune


@dataclass
class PairsConfig:
    data: str = setting("", "The unlabeled parallel corpus (Parquet) to distill on.", shown=REQUIRED)
    languages: str = setting("", "languages.parquet from select.", shown=REQUIRED)
    out: str = setting(
        "pairs.parquet",
        "Output Parquet: the pairing rule (one row per language), or with --materialize the table of pairs.",
    )
    exclude_weak_students: bool = setting(
        False, "Ablation: students with ŝ below the students' mean get no pairs."
    )
    exclude_weak_teachers: bool = setting(
        False, "Ablation: teachers with ŝ below the teachers' mean teach no one."
    )
    include_student_pairs: bool = setting(False, "Ablation: students teach each other too.")
    question_language_pairs: bool = setting(
        False,
        "QA: pair question languages over the same context (roles from select on QA predictions). QA data is "
        "always paired so; the flag is kept for scripts that pass it.",
    )
    materialize: bool = setting(
        False,
        "Write every pair as a table (teachers × languages per instance: it grows with the square of the "
        "languages) instead of the rule distill draws its pairs from.",
    )


@dataclass
class EvalConfig(QADecoding):
    models: list[str] = setting(
        help="Model to evaluate; repeat to compare side by side.",
        factory=list,
        shown=REQUIRED,
        flags=("--model",),
        listing="repeat",
        panel="data",
    )
    revision: str | None = revision()
    trust_remote_code: bool = trust_remote_code()
    data: str = setting("", "Labeled multilingual test set (Parquet).", shown=REQUIRED, panel="data")
    out: str = setting("metrics.parquet", "Output metrics Parquet.", shown=REQUIRED, panel="output")
    source_lang: str = setting("en", "The language fine-tuned on; gaps are measured to it.", panel="data")
    languages: str | None = setting(
        None, "languages.parquet from select: adds student/teacher groups.", shown="none", panel="data"
    )
    groups: str | None = setting(
        None,
        "A file (CSV, TSV, JSON lines or Parquet) with columns lang and group (a family, script or resource "
        "level): the averages and the gap are also reported per group.",
        shown="none",
        panel="data",
    )
    predictions_out: str | None = setting(
        None, "Also keep the test predictions in this Parquet file.", shown="none", panel="output"
    )
    translate_test: str | None = setting(
        None,
        "--data translated into --source-lang (translate --reverse): the first --model is also scored on it, "
        "as the row '<model> [translate-test]' (XTREME's translate-test baseline).",
        shown="none",
        panel="data",
    )
    normalization: str = setting(
        "auto",
        "QA answer normalisation: squad, mlqa, or auto (mlqa for MLQA data).",
        choices=("auto", "squad", "mlqa"),
        panel="QA decoding",
    )
    plot: str | None = setting(
        None, "Write a per-language accuracy plot (PNG).", shown="none", panel="output"
    )
    report: str = setting(
        "gaps",
        "What eval prints: gaps (the gap report), ensemble (the cross-language ensemble table), all, none.",
        choices=("gaps", "ensemble", "all", "none"),
        panel="output",
    )
    bootstrap: int = setting(
        1000,
        "Resamples of the test ids for each paired interval between models (0: no intervals).",
        minimum=0,
        maximum=100_000,
        panel="output",
    )
    seed: int = seed("Seed of the bootstrap's resampling.")
    batch_size: int = setting(64, "Rows per forward pass.", minimum=1, panel="runtime")
    max_length: int = max_length()
    device: str = device()
    precision: str = precision()


@dataclass
class RunConfig:
    dir: str = setting(
        "runs/alsace", "Run directory: every artifact of the pipeline goes here.", panel="output"
    )
    model: str = setting(
        "", "Model id or directory; 'tiny' builds a tiny one locally.", shown="the run file's", panel="model"
    )
    revision: str | None = revision()
    trust_remote_code: bool = trust_remote_code()
    train: str = setting("", "Labeled English training set (Parquet).", shown=REQUIRED, panel="data")
    unlabeled: str = setting(
        "",
        "Unlabeled parallel corpus (Parquet); without it the run fine-tunes and evaluates only.",
        shown="none",
        panel="data",
    )
    test: str = setting("", "Labeled multilingual test set (Parquet).", shown=REQUIRED, panel="data")
    dev: str | None = setting(
        None,
        "Labeled dev set, in the source language or in any languages: finetune's best epoch and distill's "
        "guard; rows beyond the source language let the run choose its recipe (auto).",
        shown="none",
        panel="data",
    )
    dev_translate: str | None = setting(
        None,
        "An MT model (as translate's --model): translate dev's source-language rows into the corpus "
        "languages and give the guard the result, marked machine-translated.",
        shown="none",
        panel="data",
    )
    recipe: str | None = setting(
        None,
        "A named recipe (alsace_cli/recipes: paper, static, ...), auto (distil each candidate, keep the one dev "
        "shows better), or a recipe TOML file; the run file's sections are laid over it. Without one a "
        "classification run uses auto when dev has rows beyond the source language, else the default "
        "(docs/recipes.md); a QA run the stages' own settings.",
        shown="the default recipe",
        panel="method",
    )
    source_lang: str = setting("en", "The language fine-tuned on.", panel="data")
    seed: int = seed("Seed of every stage (a stage's own section may set its own).")
    device: str = device()
    force: bool = setting(False, "Rerun every stage, even if up to date.", panel="runtime")
    print_config: bool = setting(
        False,
        "Print every stage's resolved settings and where each came from (run file, --set, recipe, "
        "wired by run, default), then stop before any work.",
        panel="output",
    )


@dataclass
class CrossSampleConfig:
    data: str = setting(
        "", "A parallel QA dataset (XQuAD, MLQA): one id in several languages.", shown=REQUIRED
    )
    out: str = setting("cross_sampled.parquet", "Output QA dataset Parquet.")
    n: int = setting(2, "Target languages drawn per id, besides the source language.", minimum=1)
    source_lang: str = setting("en", "The source language, always in each id's set.")
    target_languages: list[str] = setting(
        help="Fix the target languages instead of drawing them (comma-separated).",
        factory=list,
        shown="drawn per id",
        listing="comma",
    )
    seed: int = seed("Seed of the draw.")


@dataclass
class ImportConfig:
    inputs: list[str] = setting(
        help="One file per language, or one file with --lang-column.", factory=list, listing="argument"
    )
    out: str = setting("", "Output dataset Parquet.", shown=REQUIRED)
    hf: str | None = setting(
        None,
        "A Hugging Face dataset instead of files: a hub name (facebook/xnli) or a save_to_disk folder.",
        shown="none",
    )
    hf_config: list[str] = setting(
        help="--hf: the dataset's configuration; repeat for one per language (with --lang in the same order).",
        factory=list,
        shown="the dataset's default",
        listing="repeat",
    )
    split: str = setting("train", "--hf: the split to read.")
    format: str = setting(
        "auto",
        "auto, xtreme (TSV, no header), csv, tsv, jsonl, parquet; QA JSON: squad, mlqa, tydiqa; geomlama (its "
        "gd_prompt_<lang>.tsv files: a probe dataset).",
        choices=("auto", "xtreme", "csv", "tsv", "jsonl", "parquet", "squad", "mlqa", "tydiqa", "geomlama"),
    )
    encoding: str = setting("utf-8", "Text encoding of CSV, TSV and XTREME files (latin-1, cp1252, ...).")
    task: str | None = setting(
        None, "pair, single, multiple-choice (probe: --format geomlama).", shown="from the columns"
    )
    labels: list[str] = setting(
        help="Label names in index order, comma-separated.",
        factory=list,
        shown="from the data",
        listing="comma",
    )
    lang: list[str] = setting(
        help="Language of each file, in order.", factory=list, shown="from the file name", listing="repeat"
    )
    lang_column: str | None = setting(None, "Column holding the language.", shown="none")
    id_column: str | None = setting(
        None, "Column holding the instance id.", shown="id if present, else row order"
    )
    max_label_disagreement: float = setting(
        0.1,
        "Refuse a labeled parallel file when more than this share of its ids have different labels in "
        "different languages (misaligned rows); 1 accepts any.",
        minimum=0.0,
        maximum=1.0,
    )
    text_a_column: str | None = setting(
        None, "Column holding text_a (pair task).", shown="text_a, premise, sentence1, ..."
    )
    text_b_column: str | None = setting(
        None, "Column holding text_b (pair task).", shown="text_b, hypothesis, sentence2, ..."
    )
    text_column: str | None = setting(
        None, "Column holding the text (single task).", shown="text, sentence, content"
    )
    label_column: str | None = setting(None, "Column holding the label.", shown="label, gold_label, labels")
    drop_labels: bool = setting(False, "Leave labels out (an unlabeled corpus).")
    renumber_ids: bool = setting(
        False, "QA: give questions ids <file>-<n> by position (for files whose ids repeat)."
    )
    skip: int = setting(0, "Leave out the first N instances (ids), e.g. for disjoint slices.", minimum=0)
    limit: int | None = setting(
        None, "Keep only the first N instances (ids) after --skip.", minimum=1, shown="all"
    )

    def validate(self) -> None:
        import codecs

        try:
            codecs.lookup(self.encoding)
        except LookupError:
            raise AlsaceError(
                f"--encoding {self.encoding}: unknown encoding (utf-8, latin-1, cp1252, ...)"
            ) from None


@dataclass
class InfoConfig:
    path: str = setting("", "A dataset Parquet file.", listing="argument", shown=REQUIRED)


@dataclass
class TinyModelConfig:
    out: str = setting("", "Directory to write the model to.", listing="argument", shown=REQUIRED)
    data: list[str] = setting(
        help="Dataset(s) whose texts train the tokenizer.", factory=list, shown=REQUIRED, listing="repeat"
    )
    seed: int = seed("Seed of the random weights.", default=0)
    kind: str = setting(
        "bert",
        "bert (an encoder: every task), bert-mlm (a masked LM: probe), or an MT model for "
        "translate: nllb (M2M100 with NLLB's language codes), marian (one language pair), madlad "
        "(T5 with <2xx> tags).",
        choices=("bert", "bert-mlm", "nllb", "marian", "madlad"),
    )


@dataclass
class VerifyConfig:
    run_dir: str = setting(
        "",
        "A run directory (alsace run's --dir, or any folder of artifacts).",
        listing="argument",
        shown=REQUIRED,
    )
