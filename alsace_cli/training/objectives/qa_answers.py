"""Extractive QA with gold answers: self-knowledge distillation (SKD-QA, Carrino et al., 2023).

On a QA dataset with gold answers (typically `alsace cross-sample`'s output), for every window:
    L = α_ce · CE(gold) + α · T² · KL(P_teacher,T ‖ P_student,T)
- CE is the usual QA loss, the mean of the start and end cross-entropies (`--ce-weight`, the α_ce).
- KL is averaged over the start and end distributions. Each is a softmax over the window's context
  tokens and [CLS] only, so question, special and padding positions never enter it.
- The teacher is `--teacher epoch` (a frozen copy re-synced at the start of each pass, the paper's) or
  `live` (the model itself in eval mode without gradient).
- α is `--kl-weight`: a fixed number, or map@k / mrr@k of the teacher's top `--kl-top-k` start and end
  positions against the gold ones (alsace_cli/method/kl_weights.py), per window.
The options of classification pairs (`--predictions`, `--mask-pseudo-labels`, `--pseudo-labels`,
`--train`, `--sharpen`) are refused.
"""

from __future__ import annotations

from typing import Any

from alsace_cli.configs import DistillConfig, parse_kl_weight
from alsace_cli.errors import AlsaceError
from alsace_cli.io.artifacts import load_dataset
from alsace_cli.method.kl_weights import qa_kl_weight
from alsace_cli.method.losses import span_kl
from alsace_cli.runtime.batching import shuffled_batches
from alsace_cli.runtime.report import plural
from alsace_cli.training.objective import Objective, StepOutput
from alsace_cli.training.objectives import register_objective
from alsace_cli.training.teachers import check_teaches, teacher_class


def check_span_teacher(config: DistillConfig) -> None:
    """A QA objective needs a teacher that gives start and end distributions."""
    check_teaches(config, SpanDistillation.output_type, "QA")


def check_span_options(config: DistillConfig) -> None:
    """What every QA objective refuses: classification's options."""
    for option, value in (
        ("--predictions", config.predictions),
        ("--mask-pseudo-labels", config.mask_pseudo_labels),
        ("--pseudo-labels", config.pseudo_labels),
        ("--train", config.train),
    ):
        if value:
            raise AlsaceError(
                f"{option}: not used by QA self-distillation, which trains on --data's own answers"
            )
    if config.sharpen != 1.0:
        raise AlsaceError("--sharpen: not implemented for QA self-distillation")
    teacher_class(config.teacher).check(config)


class SpanDistillation(Objective):
    """What the QA objectives share: reading the data, the teacher, batches over windows."""

    output_type = "spans"

    require_answers = True

    @classmethod
    def output_inputs(cls, config: DistillConfig) -> dict[str, Any]:
        return {"--model": config.model, "--data": config.data, "--dev": config.dev, "--pairs": config.pairs}

    def __init__(self, config: DistillConfig, task: Any) -> None:
        self.config, self.task = config, task
        self.data = load_dataset(config.data, require_labels=self.require_answers)
        self.teacher = teacher_class(config.teacher)(config)
        self.kind, self.alpha = parse_kl_weight(config.kl_weight)
        self.labels = []
        self.languages = sorted(set(self.data.languages) | set(self.data.frame["question_lang"]))
        self.batch_size = config.pairs_per_batch
        self.inputs = {
            "model": config.model,
            "data": config.data,
            "dev": config.dev,
            "pairs": config.pairs or None,
        }

    def start(self, model: Any, accelerator: Any, total: int) -> None:
        self.device = accelerator.device
        self.batches = shuffled_batches(self.n_items, self.batch_size, total, self.config.seed)
        self.teacher.start(model, accelerator)

    def before_step(self, step: int, model: Any, accelerator: Any) -> None:
        self.teacher.start_step(step, self.steps_per_epoch, model, accelerator)

    def state_dict(self) -> dict[str, Any]:
        return self.teacher.state_dict()

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.teacher.load_state_dict(state)


@register_objective
class QAAnswerDistillation(SpanDistillation):
    name = "qa-answers"
    reads_pairs = False

    @classmethod
    def check(cls, config: DistillConfig) -> None:
        check_span_teacher(config)
        check_span_options(config)

    def build(self, tokenizer: Any) -> None:
        self.features = self.task.training_features(tokenizer, self.data.frame, self.config)
        self.n_items = len(self.features)

    def loss_step(self, model: Any, index: Any, step: int) -> StepOutput:
        import torch
        import torch.nn.functional as F

        config = self.config
        batch = self.features.collate(index, with_mask=True)
        mask = batch.pop("context_mask").to(self.device)
        gold_start, gold_end = (
            batch.pop("start_positions").to(self.device),
            batch.pop("end_positions").to(self.device),
        )
        batch = batch.to(self.device)
        teacher = self.teacher.forward(model, batch)
        model.train(config.student_dropout)
        student = model(**batch)
        ce = (
            F.cross_entropy(student.start_logits.float(), gold_start)
            + F.cross_entropy(student.end_logits.float(), gold_end)
        ) / 2
        per_window = (
            span_kl(student.start_logits, teacher.start_logits, mask, config.temperature)
            + span_kl(student.end_logits, teacher.end_logits, mask, config.temperature)
        ) / 2
        if self.kind == "fixed":
            alpha = torch.full_like(per_window, self.alpha)
        else:
            alpha = qa_kl_weight(
                self.kind,
                teacher.start_logits.float(),
                teacher.end_logits.float(),
                gold_start,
                gold_end,
                config.kl_top_k,
                mask,
            )
        kl = (alpha * per_window).mean() * config.temperature**2
        loss = config.ce_weight * ce + kl
        extra = {"alpha_mean": alpha.mean().item(), "alpha_zero": (alpha == 0).float().mean().item()}
        return StepOutput(loss, {"loss": loss, "kl": kl, "ce": ce}, extra)

    def status(self, row: dict[str, Any]) -> str:
        return f"kl {row['kl']:.4f} ce {row['ce']:.3f}"

    def summary(self, log: Any, total: int) -> str:
        last = log.frame().dropna(subset=["kl"]).tail(max(1, total // 10))
        return (
            f"distill (qa): {plural(total, 'step')} of {self.batch_size} windows ({self.n_items} windows of "
            f"{len(self.data.frame)} questions), last-10% mean KL {last['kl'].mean():.4f}, CE "
            f"{last['ce'].mean():.4f}, α {last['alpha_mean'].mean():.3f}"
        )
