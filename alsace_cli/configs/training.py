"""The configs of the stages that train: finetune, distill and self-train."""

from __future__ import annotations

from dataclasses import dataclass

from alsace_cli.configs.fields import (
    REQUIRED,
    device,
    doc_stride,
    epochs,
    freeze_embeddings,
    learning_rate,
    max_grad_norm,
    max_length,
    max_steps,
    precision,
    report_to,
    revision,
    save_every,
    seed,
    setting,
    trust_remote_code,
    warmup_ratio,
    weight_decay,
)
from alsace_cli.errors import AlsaceError


@dataclass
class FinetuneConfig:
    model: str = setting("", "Hub id or directory of the pretrained model.", shown=REQUIRED, panel="data")
    revision: str | None = revision()
    trust_remote_code: bool = trust_remote_code()
    train: str = setting("", "Labeled dataset (Parquet), normally English.", shown=REQUIRED, panel="data")
    dev: str | None = setting(
        None, "Labeled dev set: keep the best epoch on it (never distill data).", shown="none", panel="data"
    )
    out: str = setting("finetuned", "Output model directory.", panel="output")
    learning_rate: float = learning_rate(2e-5)
    epochs: float = epochs(3.0, "the training data")
    max_steps: int | None = max_steps()
    batch_size: int = setting(32, "Training examples per step.", minimum=1, panel="optimisation")
    max_length: int = max_length()
    doc_stride: int | None = doc_stride()
    warmup_ratio: float = warmup_ratio(0.1)
    weight_decay: float = weight_decay(0.01)
    max_grad_norm: float = max_grad_norm()
    freeze_embeddings: bool = freeze_embeddings()
    group_by_length: bool = setting(
        False,
        "Batch inputs of similar length: less padding, faster (changes which rows share a batch).",
        panel="optimisation",
    )
    eval_batch_size: int = setting(64, "Batch size of the dev check.", minimum=1, panel="runtime")
    save_every: int = save_every()
    report_to: str = report_to()
    seed: int = seed("Seed of the shuffling, dropout and head initialisation.")
    device: str = device()
    precision: str = precision()


DISTILL_TEACHERS = ("live", "static", "mutual", "epoch", "ensemble")
KL_WEIGHTS = ("map@k", "mrr@k")


def parse_kl_weight(value: str | float) -> tuple[str, float]:
    """--kl-weight as ('fixed', α) for a number, or (kind, 0) for map@k / mrr@k (alsace_cli/method/kl_weights.py)."""
    if isinstance(value, str) and value.strip().lower() in KL_WEIGHTS:
        return value.strip().lower(), 0.0
    try:
        alpha = float(value)
    except (TypeError, ValueError):
        raise AlsaceError(f"--kl-weight: expected a number, map@k or mrr@k, got {value!r}") from None
    return "fixed", alpha


@dataclass
class DistillConfig:
    model: str = setting("", "The fine-tuned model directory.", shown=REQUIRED, panel="data")
    revision: str | None = revision()
    trust_remote_code: bool = trust_remote_code()
    data: str = setting(
        "", "Unlabeled parallel corpus (Parquet) the pairs refer to.", shown=REQUIRED, panel="data"
    )
    pairs: str = setting("", "pairs.parquet from make-pairs.", shown=REQUIRED, panel="data")
    out: str = setting("distilled", "Output model directory.", panel="output")
    recipe: str | None = setting(
        None,
        "A recipe whose [distill] settings are this command's defaults (flags and --config win), or none for "
        "the stage's own. Without one, and without a method option (--teacher, --lr, ...), the default recipe's.",
        shown="the default recipe",
        panel="objective",
    )
    learning_rate: float = learning_rate(5e-6)
    epochs: float = epochs(1.0, "the corpus rows that take part in a pair (a table of pairs: over its pairs)")
    max_steps: int | None = max_steps()
    pairs_per_batch: int = setting(16, "Pairs per step.", minimum=1, panel="optimisation")
    max_length: int = max_length()
    doc_stride: int | None = doc_stride()
    temperature: float = setting(
        1.0, "Softmax temperature of both sides; the loss is scaled by T².", above=0, panel="objective"
    )
    sharpen: float = setting(
        1.0, "Divide the teacher's logits by S too (S < 1 sharpens it).", above=0, panel="objective"
    )
    mask_pseudo_labels: str | None = setting(
        None,
        "vote's output: only pairs whose teacher side predicts the voted label count.",
        shown="none",
        panel="objective",
    )
    teacher: str = setting(
        "live",
        "live (the model, detached, eval mode), static (fixed, from --predictions), mutual (gradient through both), "
        "epoch (a frozen copy of the model, re-synced at the start of each epoch), ensemble (the teachers' "
        "predictions combined per instance, fixed).",
        choices=DISTILL_TEACHERS,
        panel="objective",
    )
    predictions: str | None = setting(
        None,
        "predict's output on --data: the targets of --teacher static and ensemble.",
        shown="none",
        panel="data",
    )
    languages: str | None = setting(
        None, "select's output: the teachers and their ŝ, for --teacher ensemble.", shown="none", panel="data"
    )
    ensemble_weights: str = setting(
        "score",
        "--teacher ensemble: weight each teacher by ŝ (score) or its confidence on the instance.",
        choices=("score", "confidence"),
        panel="objective",
    )
    kl_weight: str | float = setting(
        "1.0",
        "Weight α of the KL term: a number, map@k or mrr@k (per pair, from the teacher's rank of the label).",
        panel="objective",
    )
    kl_top_k: int = setting(10, "k of map@k and mrr@k.", minimum=1, panel="objective")
    pseudo_labels: str | None = setting(
        None, "vote's output: the label map@k / mrr@k rank on unlabeled pairs.", shown="none", panel="data"
    )
    student_dropout: bool = setting(True, "Dropout on the student side.", panel="objective")
    freeze_embeddings: bool = freeze_embeddings()
    dev: str | None = setting(
        None, "Labeled source-language dev set for the collapse guard.", shown="none", panel="guard"
    )
    eval_every: int = setting(
        0, "Guard check every N steps (0: at the start and end only).", minimum=0, panel="guard"
    )
    guard_rule: str = setting(
        "paired",
        "paired: keep the last step unless a paired test on --dev says it is worse than step 0; best: the best dev "
        "score; noninferior: keep the distilled weights only when --dev shows the drop is under --guard-margin "
        "points; gain: only when --dev shows a significant gain.",
        choices=("paired", "best", "noninferior", "gain"),
        panel="guard",
    )
    guard_alpha: float = setting(
        0.05, "Significance level of the guard's paired tests.", above=0, maximum=1, panel="guard"
    )
    guard_margin: float = setting(
        1.0,
        "--guard-rule noninferior: the largest drop of dev accuracy, in points, that is tolerated.",
        above=0,
        maximum=100,
        panel="guard",
    )
    collapse_check: bool = setting(
        True, "Label-free collapse detector on a sample of --data (classification).", panel="guard"
    )
    collapse_sample: int = setting(
        512,
        "Rows of --data the collapse detector predicts on (and as many of --source-lang).",
        minimum=1,
        panel="guard",
    )
    source_lang: str = setting(
        "en", "The language fine-tuned on: the collapse detector's second sample.", panel="guard"
    )
    collapse_tv: float = setting(
        0.25,
        "Collapse when the predicted-label histogram moves more than this (total variation).",
        above=0,
        panel="guard",
    )
    collapse_entropy: float = setting(
        0.3, "Collapse when mean prediction entropy / log|Y| moves more than this.", above=0, panel="guard"
    )
    eval_batch_size: int = setting(64, "Batch size of the guard's dev check.", minimum=1, panel="guard")
    ce_weight: float = setting(
        0.0, "Weight of a cross-entropy term on --train.", minimum=0, panel="objective"
    )
    train: str | None = setting(None, "Labeled data for the --ce-weight term.", shown="none", panel="data")
    warmup_ratio: float = warmup_ratio(0.0)
    weight_decay: float = weight_decay(0.0)
    max_grad_norm: float = max_grad_norm()
    save_every: int = save_every()
    allow_other_corpus: bool = setting(
        False,
        "Accept pairs or predictions made from another corpus than --data.",
        panel="data",
        was=("force",),
    )
    report_to: str = report_to()
    seed: int = seed("Seed of the pair order and dropout.")
    device: str = device()
    precision: str = precision()

    def validate(self) -> None:
        """What one field cannot say alone (each teacher and objective checks its own needs)."""
        if self.eval_every and not self.dev and not self.collapse_check:
            raise AlsaceError(
                "--eval-every needs --dev FILE or the collapse check (both off: there would be nothing to check)"
            )
        if self.guard_rule in ("noninferior", "gain") and not self.dev:
            raise AlsaceError(
                f"--guard-rule {self.guard_rule} needs --dev FILE: it keeps what the dev set shows"
            )


SELF_TRAIN_LANGUAGES = ("source", "all")


@dataclass
class SelfTrainConfig:
    model: str = setting("", "The fine-tuned model directory.", shown=REQUIRED, panel="data")
    revision: str | None = revision()
    trust_remote_code: bool = trust_remote_code()
    predictions: str = setting("", "predict's output on --data.", shown=REQUIRED, panel="data")
    data: str = setting("", "The unlabeled parallel corpus (Parquet).", shown=REQUIRED, panel="data")
    out: str = setting("self-trained", "Output model directory (and <out>.train.parquet).", panel="output")
    scope: str = setting(
        "source",
        "Which rows are pseudo-labeled: source (English-only self-training) or all (full-language).",
        choices=SELF_TRAIN_LANGUAGES,
        panel="data",
        was=("languages",),
    )
    source_lang: str = setting("en", "The source language.", panel="data")
    keep: float = setting(
        0.5, "Fraction kept per language, most confident first.", above=0, maximum=1, panel="data"
    )
    learning_rate: float = learning_rate(2e-5)
    epochs: float = epochs(1.0, "the pseudo-labeled rows")
    max_steps: int | None = max_steps()
    batch_size: int = setting(32, "Training examples per step.", minimum=1, panel="optimisation")
    max_length: int = max_length()
    warmup_ratio: float = warmup_ratio(0.1)
    weight_decay: float = weight_decay(0.01)
    seed: int = seed("Seed of the shuffling and dropout.")
    device: str = device()
    precision: str = precision()
