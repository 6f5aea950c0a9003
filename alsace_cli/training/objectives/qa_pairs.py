"""Extractive QA over question-language pairs: ALSACE on QA, no gold answer needed.

With `--pairs` (make-pairs on QA data): each pair is one id's context asked in a teacher question language
and in a student one; their windows are cut on the same context tokens (tasks/qa_alignment.py), and the
loss is the mean over window pairs of α · T² · KL(P_teacher ‖ P_student), averaged over the start and end
distributions, each a softmax over the window's context tokens only (no [CLS]: there is no null answer to
agree on). The teacher side is the model itself (`live`) or the frozen copy (`epoch`); --ce-weight and
map@k / mrr@k need gold answers and are refused.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alsace_cli.configs import DistillConfig, parse_kl_weight
from alsace_cli.errors import AlsaceError
from alsace_cli.method.losses import span_kl
from alsace_cli.method.pairing import PairRule, PairSampler
from alsace_cli.output_types import output_type_of
from alsace_cli.runtime.batching import shuffled_batches
from alsace_cli.runtime.report import plural
from alsace_cli.tasks.qa import doc_stride
from alsace_cli.tasks.qa_alignment import aligned_windows, collate_aligned
from alsace_cli.training.inputs import pair_rows, read_pairs
from alsace_cli.training.objective import StepOutput
from alsace_cli.training.objectives import register_objective
from alsace_cli.training.objectives.qa_answers import SpanDistillation, check_span_options, check_span_teacher


@register_objective
class QAQuestionPairDistillation(SpanDistillation):
    name = "qa-question-pairs"
    reads_pairs = True
    require_answers = False

    @classmethod
    def check(cls, config: DistillConfig) -> None:
        check_span_teacher(config)
        if config.ce_weight > 0:
            raise AlsaceError(
                "--ce-weight: question-language pairs (--pairs) are zero-shot and have no gold answer to train on; "
                "leave --pairs out for CE + KL on answered data"
            )
        if parse_kl_weight(config.kl_weight)[0] != "fixed":
            raise AlsaceError(
                f"--kl-weight {config.kl_weight}: ranks gold positions, which --pairs data has none of"
            )
        check_span_options(config)

    def __init__(self, config: DistillConfig, task: Any) -> None:
        super().__init__(config, task)
        pairs = read_pairs(config.pairs, config.data, config.allow_other_corpus)
        self.sampler = None
        if isinstance(pairs, PairRule):  # drawn per step; one pass = as many pairs as question rows take part
            rows, groups = output_type_of(task).pairing_rows(self.data.frame)
            self.sampler = PairSampler(pairs, rows, groups)
            self.n_rows, self.n_pairs = len(self.sampler.rows()), self.sampler.total
            return
        if "context_lang" not in pairs.columns:
            raise AlsaceError(
                f"{config.pairs}: no column 'context_lang': QA distillation needs make-pairs --question-language-pairs"
            )
        self._rows(pairs)
        self.n_pairs = len(pairs)

    def _rows(self, pairs: Any) -> None:
        self.teacher_rows, self.student_rows = pair_rows(
            self.data,
            pairs,
            Path(self.config.pairs),
            ("teacher_lang", "student_lang"),
            keys=("id", "lang", "question_lang"),
            shared=("id", "context_lang"),
        )

    def _windows(self) -> None:
        self.features = aligned_windows(
            self.tokenizer,
            self.data.frame,
            self.teacher_rows,
            self.student_rows,
            self.config.max_length,
            doc_stride(self.config),
        )

    def build(self, tokenizer: Any) -> None:
        self.tokenizer = tokenizer
        if self.sampler is not None:
            self.n_items = self.n_rows
            return
        self._windows()
        self.n_items = len(self.features)

    def start(self, model: Any, accelerator: Any, total: int) -> None:
        """With a rule, the run's pairs are drawn now (their number fixed by the steps) and cut into windows."""
        if self.sampler is None:
            return super().start(model, accelerator, total)
        self._rows(self.sampler.draw(total * self.batch_size, self.config.seed))
        self._windows()
        self.device = accelerator.device
        self.batches = shuffled_batches(len(self.features), self.batch_size, total, self.config.seed)
        self.teacher.start(model, accelerator)

    def loss_step(self, model: Any, index: Any, step: int) -> StepOutput:
        """T² · mean over window pairs of KL(teacher ‖ student), start and end averaged, on context tokens."""
        config, device = self.config, self.device
        teacher, student, t_pos, s_pos, mask = collate_aligned(self.tokenizer, self.features, index)
        t_pos, s_pos, mask = t_pos.to(device), s_pos.to(device), mask.to(device)
        t_out = self.teacher.forward(model, teacher.to(device))
        model.train(config.student_dropout)
        s_out = model(**student.to(device))
        per_window = 0
        for name in ("start_logits", "end_logits"):
            s_logits = getattr(s_out, name).gather(1, s_pos)
            t_logits = getattr(t_out, name).gather(1, t_pos)
            per_window = per_window + span_kl(s_logits, t_logits, mask, config.temperature) / 2
        kl = per_window.mean() * config.temperature**2
        agree = s_out.start_logits.gather(1, s_pos).masked_fill(~mask, float("-inf")).argmax(
            -1
        ) == t_out.start_logits.gather(1, t_pos).masked_fill(~mask, float("-inf")).argmax(-1)
        extra = {
            "alpha_mean": self.alpha,
            "alpha_zero": float(self.alpha == 0),
            "teacher_agreement": agree.float().mean().item(),
        }
        return StepOutput(kl * self.alpha, {"loss": kl * self.alpha, "kl": kl, "ce": float("nan")}, extra)

    def summary(self, log: Any, total: int) -> str:
        last = log.frame().dropna(subset=["kl"]).tail(max(1, total // 10))
        return (
            f"distill (qa, question-language pairs): {plural(total, 'step')} of {self.batch_size} window pairs "
            f"({self.n_items} window pairs of {self.n_pairs} pairs), last-10% mean KL {last['kl'].mean():.4f}, "
            f"start agreement {last['teacher_agreement'].mean():.3f}"
        )
