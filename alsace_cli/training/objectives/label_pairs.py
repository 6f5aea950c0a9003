"""Distillation on label distributions (classification, multiple choice): ALSACE's objective.

Loss: the mean over a batch of pairs of α · KL(P(x_teacher) ‖ P(x_student)), each a softmax of
logits / temperature, times temperature² (alsace_cli/method/losses.py). The teacher side comes from the
`--teacher` object (training/teachers.py). Options:
- `--kl-weight`: α, a fixed number (default 1), or `map@k` / `mrr@k` from the teacher's rank of the
  pair's label (vote's pseudo-label, `--pseudo-labels`) in its top `--kl-top-k` (alsace_cli/method/kl_weights.py);
- `--ce-weight W --train FILE`: adds W × cross-entropy on labeled (English) batches, an anchor;
- `--sharpen S`: the teacher's logits divided by S too (S < 1 sharpens);
- `--mask-pseudo-labels FILE`: a pair counts only where its teacher side predicts the voted label; the loss
  is then the mean over the pairs that count.
The log records per step the loss, KL, CE, the student's prediction entropy, its agreement with the
teacher, the share of pairs kept by the mask and the mean α.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from alsace_cli.configs import DistillConfig, parse_kl_weight
from alsace_cli.errors import AlsaceError
from alsace_cli.io.artifacts import load_dataset
from alsace_cli.method.kl_weights import classification_kl_weight
from alsace_cli.method.losses import kl_teacher_student
from alsace_cli.method.pairing import PairRule, PairSampler
from alsace_cli.output_types import output_type_of
from alsace_cli.runtime.batching import shuffled_batches
from alsace_cli.runtime.report import plural
from alsace_cli.tasks.models import hub_options, with_model_labels
from alsace_cli.training.collapse import collapse_samples
from alsace_cli.training.inputs import pair_pseudo_labels, pair_rows, read_pairs
from alsace_cli.training.objective import Objective, StepOutput
from alsace_cli.training.objectives import register_objective
from alsace_cli.training.teachers import teacher_class


@register_objective
class LabelPairDistillation(Objective):
    name = "label-pairs"
    output_type = "labels"

    @classmethod
    def check(cls, config: DistillConfig) -> None:
        if not config.pairs:
            raise AlsaceError(
                "missing --pairs (make-pairs' output on --data; or `pairs` in the [distill] section)"
            )
        teacher_class(config.teacher).check(config)
        if config.ce_weight > 0 and not config.train:
            raise AlsaceError("--ce-weight needs --train FILE (the labeled data the cross-entropy term uses)")
        kind, _ = parse_kl_weight(config.kl_weight)
        if kind != "fixed" and not config.pseudo_labels:
            raise AlsaceError(
                f"--kl-weight {kind} needs --pseudo-labels FILE (vote's output: the label it ranks)"
            )
        if config.pseudo_labels and kind == "fixed":
            raise AlsaceError("--pseudo-labels is only used by --kl-weight map@k or mrr@k")
        if config.train and config.ce_weight == 0:
            raise AlsaceError("--train is only used by the cross-entropy term: also pass --ce-weight > 0")

    @classmethod
    def output_inputs(cls, config: DistillConfig) -> dict[str, Any]:
        return {
            "--model": config.model,
            "--data": config.data,
            "--pairs": config.pairs,
            "--train": config.train,
            "--dev": config.dev,
            "--predictions": config.predictions,
            "--languages": config.languages,
            "--mask-pseudo-labels": config.mask_pseudo_labels,
        }

    def __init__(self, config: DistillConfig, task: Any) -> None:
        self.config, self.task = config, task
        self.data = with_model_labels(load_dataset(config.data), config.model, hub_options(config))
        pairs = read_pairs(config.pairs, config.data, config.allow_other_corpus)
        self.teacher = teacher_class(config.teacher)(config)
        self.train = load_dataset(config.train, require_labels=True) if config.train else None
        if self.train is not None and (
            self.train.labels != self.data.labels or self.train.task != self.data.task
        ):
            raise AlsaceError(
                f"{config.train}: task or labels {self.train.labels} differ from {config.data}'s {self.data.labels}"
            )
        self.kind, self.alpha = parse_kl_weight(config.kl_weight)
        self.sampler = None
        if isinstance(pairs, PairRule):  # a rule: pairs are drawn per step; one pass = as many pairs as rows
            rows, groups = output_type_of(task).pairing_rows(self.data.frame)
            self.sampler = PairSampler(pairs, rows, groups)
            taking_part = self.data.frame.loc[
                self.sampler.rows().index, ["id", "lang"]
            ]  # keys only: no text copy
            self.n_items = len(taking_part)
            if (
                not self.teacher.draws_pairs
            ):  # the ensemble trains each row that takes part, as the table does
                self._prepare(
                    taking_part[["id", "lang"]]
                    .rename(columns={"lang": "student_lang"})
                    .assign(teacher_lang=taking_part["lang"].to_numpy())
                )
                self.sampler = None
        else:
            self._prepare(pairs)
        self.labels = self.data.labels
        self.languages = self.data.languages
        self.batch_size = config.pairs_per_batch
        self.inputs = {
            "model": config.model,
            "data": config.data,
            "pairs": config.pairs,
            "train": config.train,
            "predictions": config.predictions,
            "languages": config.languages,
            "dev": config.dev,
            "mask_pseudo_labels": config.mask_pseudo_labels,
            "pseudo_labels": config.pseudo_labels,
        }

    def _prepare(self, pairs: pd.DataFrame) -> None:
        """The pairs trained on: each side's row, the teacher's targets, the voted labels they need."""
        config = self.config
        student_rows, teacher_rows = pair_rows(self.data, pairs, Path(config.pairs))
        self.pairs, self.student_rows, self.teacher_rows = self.teacher.items(
            self.data, pairs, student_rows, teacher_rows, config.pairs
        )
        self.voted = (
            pair_pseudo_labels(config.mask_pseudo_labels, self.data, self.pairs)
            if config.mask_pseudo_labels
            else None
        )
        self.ranked = (
            pair_pseudo_labels(config.pseudo_labels, self.data, self.pairs) if config.pseudo_labels else None
        )
        if self.sampler is None:
            self.n_items = len(self.pairs)

    def check_processes(self, world: int) -> None:
        if world > 1 and (not self.teacher.across_processes or self.train is not None):
            raise AlsaceError(
                "--teacher mutual and --ce-weight run two forward passes with gradient per step, which DDP does "
                "not take; across several processes use live, static, epoch or ensemble without --ce-weight"
            )

    def collapse_corpus(self) -> dict | None:
        config = self.config
        if not config.collapse_check:
            return None
        return collapse_samples(self.data.frame, config.collapse_sample, config.source_lang, config.seed)

    def build(self, tokenizer: Any) -> None:
        self.tokenizer = tokenizer

    def start(self, model: Any, accelerator: Any, total: int) -> None:
        config = self.config
        self.device = accelerator.device
        if (
            self.sampler is not None
        ):  # the step's pairs, drawn from the rule (seeded: resumable, the same per process)
            self._prepare(self.sampler.draw(total * self.batch_size, config.seed))
            size = self.batch_size
            self.batches = [np.arange(k * size, (k + 1) * size) for k in range(total)]
        else:
            self.batches = shuffled_batches(self.n_items, self.batch_size, total, config.seed)
        self.ce_batches = (
            shuffled_batches(len(self.train.frame), self.batch_size, total, config.seed + 1)
            if self.train
            else None
        )
        self.teacher.start(model, accelerator)

    def before_step(self, step: int, model: Any, accelerator: Any) -> None:
        self.teacher.start_step(step, self.steps_per_epoch, model, accelerator)

    def _encode(self, rows: np.ndarray) -> Any:
        frame = self.data.frame.iloc[rows]
        return self.task.encode(self.tokenizer, frame, self.config.max_length).to(self.device)

    def loss_step(self, model: Any, index: np.ndarray, step: int) -> StepOutput:
        import torch

        config, device = self.config, self.device
        if self.teacher.fixed:
            teacher_logits = self.teacher.targets(index, device)
        else:
            teacher_logits = self.teacher.forward(model, self._encode(self.teacher_rows[index])).logits
        model.train(config.student_dropout)  # without dropout the student's distribution is predict's
        student_logits = model(**self._encode(self.student_rows[index])).logits
        mask = None
        if self.voted is not None:
            mask = (teacher_logits.argmax(-1) == torch.from_numpy(self.voted[index]).to(device)).float()
        if self.kind == "fixed":
            alpha = torch.full((len(index),), self.alpha, device=device)
        else:
            wanted = torch.from_numpy(self.ranked[index]).to(device)
            alpha = classification_kl_weight(
                self.kind, teacher_logits.detach().float(), wanted, config.kl_top_k
            )
        kl, log_student = kl_teacher_student(
            student_logits, teacher_logits, config.temperature, config.sharpen, mask, alpha
        )
        loss, ce = kl, math.nan
        if self.train is not None:
            loss, ce = self._with_cross_entropy(model, kl, step)
        with torch.no_grad():
            # Collapse shows as entropy drifting to a constant while agreement with the teacher nears 1.
            entropy = -(log_student.exp() * log_student).sum(-1).mean().item()
            agree = (student_logits.argmax(-1) == teacher_logits.argmax(-1)).float().mean().item()
        extra = {
            "student_entropy": entropy,
            "teacher_agreement": agree,
            "pairs_kept": math.nan if mask is None else mask.mean().item(),
            "alpha_mean": alpha.mean().item(),
            "alpha_zero": (alpha == 0).float().mean().item(),
        }
        return StepOutput(
            loss, {"loss": loss, "kl": kl, "ce": ce}, extra, None if mask is None else mask.sum()
        )

    def _with_cross_entropy(self, model: Any, kl: Any, step: int) -> tuple[Any, Any]:
        """kl + W × cross-entropy on the step's batch of labeled rows, and the cross-entropy."""
        import torch
        import torch.nn.functional as F

        rows = self.train.frame.iloc[self.ce_batches[step - 1]]
        labeled = self.task.encode(self.tokenizer, rows, self.config.max_length).to(self.device)
        gold = torch.tensor(rows["label"].to_numpy(dtype=np.int64), device=self.device)
        ce = F.cross_entropy(model(**labeled).logits.float(), gold)
        return kl + self.config.ce_weight * ce, ce

    def state_dict(self) -> dict[str, Any]:
        return self.teacher.state_dict()

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.teacher.load_state_dict(state)

    def summary(self, log: Any, total: int) -> str:
        last = log.frame().dropna(subset=["kl"]).tail(max(1, total // 10))
        drawn = (
            f"pairs drawn from the rule's {self.sampler.total} ({self.n_items} rows take part)"
            if self.sampler is not None
            else f"pairs ({self.n_items} pairs)"
        )
        return (
            f"distill: {plural(total, 'step')} of {self.batch_size} {drawn}, last-10% mean KL "
            f"{last['kl'].mean():.4f}, student entropy {last['student_entropy'].mean():.3f}"
        )
