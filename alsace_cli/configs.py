"""Every stage's typed config: the one place where each setting's default, help line and valid range live.

The CLI's options, their `--help` (default and help text), the TOML config sections and the checks on
values all read these dataclasses, so a default is never written twice. Stdlib only: `alsace --help` and
the Typer layer import this module without pulling in pandas or torch.
"""

from __future__ import annotations

from dataclasses import MISSING, dataclass, field
from typing import Any


def setting(
    default: Any = MISSING,
    help: str = "",
    *,
    factory: Any = None,
    minimum: float | None = None,
    maximum: float | None = None,
    above: float | None = None,
    choices: tuple[str, ...] | None = None,
    shown: str | None = None,
) -> Any:
    """A config field with its help line and its valid values (checked once the config is resolved).

    `minimum`/`maximum` are inclusive bounds, `above` an exclusive lower bound; `shown` is what `--help`
    prints as the default where the value itself would not say it (None, or "" for a required input).
    """
    metadata = {"help": help, "minimum": minimum, "maximum": maximum, "above": above, "choices": choices,
                "shown": shown}  # fmt: skip
    if factory is not None:
        return field(default_factory=factory, metadata=metadata)
    return field(default=default, metadata=metadata)


DEVICES_HELP = "auto (a GPU if there is one), cpu, cuda, cuda:N or mps."
PRECISIONS = ("auto", "fp32", "bf16", "fp16")
PRECISION_HELP = "auto (bf16 on a GPU with bf16, else fp32), fp32, or bf16 / fp16 autocast (bf16 also on CPUs with AVX512-BF16)."
REQUIRED = "required"


@dataclass
class FinetuneConfig:
    model: str = setting("", "Hub id or directory of the pretrained model.", shown=REQUIRED)
    train: str = setting("", "Labeled dataset (Parquet), normally English.", shown=REQUIRED)
    dev: str | None = setting(
        None, "Labeled dev set: keep the best epoch on it (never distill data).", shown="none"
    )
    out: str = setting("finetuned", "Output model directory.")
    learning_rate: float = setting(2e-5, "Peak learning rate of AdamW.", above=0)
    epochs: float = setting(3.0, "Passes over the training data.", above=0)
    max_steps: int | None = setting(
        None, "Stop after this many steps (overrides --epochs).", minimum=1, shown="from --epochs"
    )
    batch_size: int = setting(32, "Training examples per step.", minimum=1)
    max_length: int = setting(128, "Tokens per input; longer inputs are truncated.", minimum=2)
    doc_stride: int | None = setting(
        None, "QA: overlap of a long context's windows, in tokens.", minimum=0, shown="max-length / 3"
    )
    warmup_ratio: float = setting(0.1, "Fraction of the steps with linear warmup.", minimum=0, maximum=1)
    weight_decay: float = setting(0.01, "AdamW weight decay (not on biases and norms).", minimum=0)
    max_grad_norm: float = setting(1.0, "Gradients are clipped to this norm.", above=0)
    freeze_embeddings: bool = setting(False, "Keep the word embeddings fixed.")
    group_by_length: bool = setting(
        False, "Batch inputs of similar length: less padding, faster (changes which rows share a batch)."
    )
    eval_batch_size: int = setting(64, "Batch size of the dev check.", minimum=1)
    save_every: int = setting(
        0, "Keep a rolling checkpoint every N steps (0: only on interruption).", minimum=0
    )
    report_to: str = setting(
        "none",
        "Also send the training log to accelerate's trackers: none, tensorboard or wandb.",
        choices=("none", "tensorboard", "wandb"),
    )
    seed: int = setting(42, "Seed of the shuffling, dropout and head initialisation.")
    device: str = setting("auto", DEVICES_HELP)
    precision: str = setting("auto", PRECISION_HELP, choices=PRECISIONS)


@dataclass
class QADecoding:
    """How extractive QA windows a context and decodes its spans; predict and eval share these."""

    doc_stride: int | None = setting(
        None, "QA: overlap of a long context's windows, in tokens.", minimum=0, shown="max-length / 3"
    )
    max_answer_length: int = setting(30, "QA: longest answer span, in tokens.", minimum=1)
    n_best: int = setting(20, "QA: most probable starts and ends paired per window.", minimum=1)
    top_k: int = setting(5, "QA: candidate answers kept per question.", minimum=1)
    merge_windows: str = setting(
        "max",
        "QA: a span's score over windows: max, or sum (per window its top-k, one text's scores added: the pipeline's).",
        choices=("max", "sum"),
    )


@dataclass
class PredictConfig(QADecoding):
    model: str = setting("", "Model directory or hub id.", shown=REQUIRED)
    data: str = setting("", "Dataset (Parquet), labeled or not.", shown=REQUIRED)
    out: str = setting("predictions.parquet", "Output predictions Parquet.")
    batch_size: int = setting(64, "Rows per forward pass.", minimum=1)
    max_length: int = setting(128, "Tokens per input; longer inputs are truncated.", minimum=2)
    device: str = setting("auto", DEVICES_HELP)
    precision: str = setting("auto", PRECISION_HELP, choices=PRECISIONS)


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
    seed: int = setting(42, "Seed of --strategy random.")


@dataclass
class PairsConfig:
    data: str = setting("", "The unlabeled parallel corpus (Parquet) to distill on.", shown=REQUIRED)
    languages: str = setting("", "languages.parquet from select.", shown=REQUIRED)
    out: str = setting("pairs.parquet", "Output pairs Parquet.")
    exclude_weak_students: bool = setting(
        False, "Ablation: students with ŝ below the students' mean get no pairs."
    )
    exclude_weak_teachers: bool = setting(
        False, "Ablation: teachers with ŝ below the teachers' mean teach no one."
    )
    include_student_pairs: bool = setting(False, "Ablation: students teach each other too.")
    question_language_pairs: bool = setting(
        False, "QA: pair question languages over the same context (roles from select on QA predictions)."
    )


DISTILL_TEACHERS = ("live", "static", "mutual", "epoch", "ensemble")


@dataclass
class DistillConfig:
    model: str = setting("", "The fine-tuned model directory.", shown=REQUIRED)
    data: str = setting("", "Unlabeled parallel corpus (Parquet) the pairs refer to.", shown=REQUIRED)
    pairs: str = setting("", "pairs.parquet from make-pairs.", shown=REQUIRED)
    out: str = setting("distilled", "Output model directory.")
    learning_rate: float = setting(5e-6, "Peak learning rate of AdamW.", above=0)
    epochs: float = setting(1.0, "Passes over the pairs.", above=0)
    max_steps: int | None = setting(None, "Steps (overrides --epochs).", minimum=1, shown="from --epochs")
    pairs_per_batch: int = setting(16, "Pairs per step.", minimum=1)
    max_length: int = setting(128, "Tokens per input; longer inputs are truncated.", minimum=2)
    doc_stride: int | None = setting(
        None, "QA: overlap of a long context's windows, in tokens.", minimum=0, shown="max-length / 3"
    )
    temperature: float = setting(1.0, "Softmax temperature of both sides; the loss is scaled by T².", above=0)
    sharpen: float = setting(1.0, "Divide the teacher's logits by S too (S < 1 sharpens it).", above=0)
    mask_pseudo_labels: str | None = setting(
        None, "vote's output: only pairs whose teacher side predicts the voted label count.", shown="none"
    )
    teacher: str = setting(
        "live",
        "live (the model, detached, eval mode), static (fixed, from --predictions), mutual (gradient through both), "
        "epoch (a frozen copy of the model, re-synced at the start of each epoch), ensemble (the teachers' "
        "predictions combined per instance, fixed).",
        choices=DISTILL_TEACHERS,
    )
    predictions: str | None = setting(
        None, "predict's output on --data: the targets of --teacher static and ensemble.", shown="none"
    )
    languages: str | None = setting(
        None, "select's output: the teachers and their ŝ, for --teacher ensemble.", shown="none"
    )
    ensemble_weights: str = setting(
        "score",
        "--teacher ensemble: weight each teacher by ŝ (score) or its confidence on the instance.",
        choices=("score", "confidence"),
    )
    kl_weight: str | float = setting(
        "1.0",
        "Weight α of the KL term: a number, map@k or mrr@k (per pair, from the teacher's rank of the label).",
    )
    kl_top_k: int = setting(10, "k of map@k and mrr@k.", minimum=1)
    pseudo_labels: str | None = setting(
        None, "vote's output: the label map@k / mrr@k rank on unlabeled pairs.", shown="none"
    )
    student_dropout: bool = setting(True, "Dropout on the student side.")
    freeze_embeddings: bool = setting(False, "Keep the word embeddings fixed.")
    dev: str | None = setting(None, "Labeled source-language dev set for the collapse guard.", shown="none")
    eval_every: int = setting(0, "Guard check every N steps (0: at the start and end only).", minimum=0)
    guard_rule: str = setting(
        "paired",
        "paired: keep the last step unless a paired test on --dev says it is worse than step 0; best: the best dev score.",
        choices=("paired", "best"),
    )
    guard_alpha: float = setting(
        0.05, "Significance level of the guard's paired sign test.", above=0, maximum=1
    )
    collapse_check: bool = setting(
        True, "Label-free collapse detector on a sample of --data (classification)."
    )
    collapse_sample: int = setting(
        512, "Rows of --data the collapse detector predicts on (and as many of --source-lang).", minimum=1
    )
    source_lang: str = setting("en", "The language fine-tuned on: the collapse detector's second sample.")
    collapse_tv: float = setting(
        0.25, "Collapse when the predicted-label histogram moves more than this (total variation).", above=0
    )
    collapse_entropy: float = setting(
        0.3, "Collapse when mean prediction entropy / log|Y| moves more than this.", above=0
    )
    eval_batch_size: int = setting(64, "Batch size of the guard's dev check.", minimum=1)
    ce_weight: float = setting(0.0, "Weight of a cross-entropy term on --train.", minimum=0)
    train: str | None = setting(None, "Labeled data for the --ce-weight term.", shown="none")
    warmup_ratio: float = setting(0.0, "Fraction of the steps with linear warmup.", minimum=0, maximum=1)
    weight_decay: float = setting(0.0, "AdamW weight decay (not on biases and norms).", minimum=0)
    max_grad_norm: float = setting(1.0, "Gradients are clipped to this norm.", above=0)
    save_every: int = setting(
        0, "Keep a rolling checkpoint every N steps (0: only on interruption).", minimum=0
    )
    force: bool = setting(False, "Accept pairs or predictions made from another corpus than --data.")
    report_to: str = setting(
        "none",
        "Also send the training log to accelerate's trackers: none, tensorboard or wandb.",
        choices=("none", "tensorboard", "wandb"),
    )
    seed: int = setting(42, "Seed of the pair order and dropout.")
    device: str = setting("auto", DEVICES_HELP)
    precision: str = setting("auto", PRECISION_HELP, choices=PRECISIONS)


@dataclass
class EvalConfig(QADecoding):
    models: list[str] = setting(
        help="Model to evaluate; repeat to compare side by side.", factory=list, shown=REQUIRED
    )
    data: str = setting("", "Labeled multilingual test set (Parquet).", shown=REQUIRED)
    out: str = setting("metrics.parquet", "Output metrics Parquet.")
    source_lang: str = setting("en", "The language fine-tuned on; gaps are measured to it.")
    languages: str | None = setting(
        None, "languages.parquet from select: adds student/teacher groups.", shown="none"
    )
    predictions_out: str | None = setting(
        None, "Also keep the test predictions in this Parquet file.", shown="none"
    )
    normalization: str = setting(
        "auto",
        "QA answer normalisation: squad, mlqa, or auto (mlqa for MLQA data).",
        choices=("auto", "squad", "mlqa"),
    )
    plot: str | None = setting(None, "Write a per-language accuracy plot (PNG).", shown="none")
    batch_size: int = setting(64, "Rows per forward pass.", minimum=1)
    max_length: int = setting(128, "Tokens per input; longer inputs are truncated.", minimum=2)
    device: str = setting("auto", DEVICES_HELP)
    precision: str = setting("auto", PRECISION_HELP, choices=PRECISIONS)


SELF_TRAIN_LANGUAGES = ("source", "all")


@dataclass
class SelfTrainConfig:
    model: str = setting("", "The fine-tuned model directory.", shown=REQUIRED)
    predictions: str = setting("", "predict's output on --data.", shown=REQUIRED)
    data: str = setting("", "The unlabeled parallel corpus (Parquet).", shown=REQUIRED)
    out: str = setting("self-trained", "Output model directory (and <out>.train.parquet).")
    languages: str = setting("source", "source (English-only self-training) or all (full-language).",
                             choices=SELF_TRAIN_LANGUAGES)  # fmt: skip
    source_lang: str = setting("en", "The source language.")
    keep: float = setting(0.5, "Fraction kept per language, most confident first.", above=0, maximum=1)
    learning_rate: float = setting(2e-5, "Peak learning rate of AdamW.", above=0)
    epochs: float = setting(1.0, "Passes over the pseudo-labeled rows.", above=0)
    max_steps: int | None = setting(None, "Steps (overrides --epochs).", minimum=1, shown="from --epochs")
    batch_size: int = setting(32, "Training examples per step.", minimum=1)
    max_length: int = setting(128, "Tokens per input; longer inputs are truncated.", minimum=2)
    warmup_ratio: float = setting(0.1, "Fraction of the steps with linear warmup.", minimum=0, maximum=1)
    weight_decay: float = setting(0.01, "AdamW weight decay (not on biases and norms).", minimum=0)
    seed: int = setting(42, "Seed of the shuffling and dropout.")
    device: str = setting("auto", DEVICES_HELP)
    precision: str = setting("auto", PRECISION_HELP, choices=PRECISIONS)


@dataclass
class RunConfig:
    dir: str = setting("runs/alsace", "Run directory: every artifact of the pipeline goes here.")
    model: str = setting("", "Model id or directory; 'tiny' builds a tiny one locally.", shown=REQUIRED)
    train: str = setting("", "Labeled English training set (Parquet).", shown=REQUIRED)
    unlabeled: str = setting("", "Unlabeled parallel corpus (Parquet).", shown=REQUIRED)
    test: str = setting("", "Labeled multilingual test set (Parquet).", shown=REQUIRED)
    dev: str | None = setting(
        None, "Labeled English dev set: finetune's best epoch and distill's guard.", shown="none"
    )
    source_lang: str = setting("en", "The language fine-tuned on.")
    seed: int = setting(42, "Seed of every stage (a stage's own section may set its own).")
    device: str = setting("auto", DEVICES_HELP)
    force: bool = setting(False, "Rerun every stage, even if up to date.")


@dataclass
class CrossSampleConfig:
    data: str = setting(
        "", "A parallel QA dataset (XQuAD, MLQA): one id in several languages.", shown=REQUIRED
    )
    out: str = setting("cross_sampled.parquet", "Output QA dataset Parquet.")
    n: int = setting(2, "Target languages drawn per id, besides the source language.", minimum=1)
    source_lang: str = setting("en", "The source language, always in each id's set.")
    target_languages: list[str] = setting(help="Fix the target languages instead of drawing them (comma-separated).",
                                          factory=list, shown="drawn per id")  # fmt: skip
    seed: int = setting(42, "Seed of the draw.")


@dataclass
class ImportConfig:
    inputs: list[str] = setting(help="Input files.", factory=list)
    out: str = setting("", "Output dataset Parquet.", shown=REQUIRED)
    format: str = setting(
        "auto",
        "auto, xtreme (TSV, no header), csv, tsv, jsonl, parquet; QA JSON: squad, mlqa, tydiqa.",
        choices=("auto", "xtreme", "csv", "tsv", "jsonl", "parquet", "squad", "mlqa", "tydiqa"),
    )
    task: str | None = setting(None, "pair, single or multiple-choice.", shown="from the columns")
    labels: list[str] = setting(
        help="Label names in index order, comma-separated.", factory=list, shown="from the data"
    )
    lang: list[str] = setting(
        help="Language of each file, in order.", factory=list, shown="from the file name"
    )
    lang_column: str | None = setting(None, "Column holding the language.", shown="none")
    id_column: str | None = setting(None, "Column holding the instance id.", shown="row order")
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
