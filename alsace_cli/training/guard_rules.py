"""The guard's types and rules: its settings, one check's measurements, and how the kept step is decided
from the checks (training/guard.py's docstring says what each rule does; `Guard` runs the checks)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from alsace_cli.method.paired_tests import sign_test_worse


@dataclass(frozen=True)
class GuardSettings:
    """The guard's part of distill's config."""

    guard_rule: str = "paired"
    guard_alpha: float = 0.05
    guard_margin: float = 1.0
    collapse_tv: float = 0.25
    collapse_entropy: float = 0.3
    eval_every: int = 0
    max_length: int = 128
    eval_batch_size: int = 64
    precision: str = "fp32"
    source_lang: str = "en"

    @classmethod
    def of(cls, config: Any) -> GuardSettings:
        return cls(**{name: getattr(config, name) for name in cls.__dataclass_fields__})


@dataclass
class Check:
    step: int
    score: float | None = None  # dev accuracy (F1 for QA); None without --dev
    rows: np.ndarray | None = None  # per-row dev scores
    by_lang: dict[str, float] = field(default_factory=dict)  # dev score per language
    signals: dict[str, float] = field(default_factory=dict)  # label-free signals on the dev rows (a study)
    source_worse: int = 0  # source-language rows worse than at step 0 (a multilingual dev set)
    p_source_worse: float = 1.0
    better: int = 0
    worse: int = 0
    p_worse: float = 1.0
    tv: float | None = None  # the largest of the samples' TVs
    tvs: dict[str, float] = field(default_factory=dict)
    entropy_shift: float | None = None
    collapsed: bool = False

    @property
    def acceptable(self) -> bool:
        return not self.collapsed and self.p_worse >= self.alpha and self.p_source_worse >= self.alpha

    alpha: float = 0.05
    safe: bool = True  # the detector's measures within half of its limits (or no detector)
    p_better: float = 1.0  # one-sided sign test that the check is better than step 0
    p_noninferior: float = 1.0  # one-sided test that it is not worse by --guard-margin points or more


class GuardRules:
    """The decisions of `Guard` (its subclass), read from `history`, `states`, `config` and `dev`."""

    history: list[Check]
    states: dict[str, tuple[int, dict]]
    config: GuardSettings
    dev: Any

    def _shows(self, check: Check) -> bool:
        """Whether a check meets --guard-rule gain (significantly better than step 0) or noninferior (not
        worse by --guard-margin points or more)."""
        if self.config.guard_rule == "gain":
            return check.p_better < self.config.guard_alpha
        if self.config.guard_rule == "noninferior":
            return check.p_noninferior < self.config.guard_alpha
        return False

    def _score_of(self, step: int) -> float:
        return next(c.score for c in self.history if c.step == step) or 0.0

    def _describe(self, check: Check) -> str:
        parts = [f"guard, step {check.step}:"]
        if check.score is not None:
            start = self.history[0].score
            verdict = "significantly worse" if check.p_worse < check.alpha else "within noise"
            parts.append(
                f"dev {check.score:.4f} vs {start:.4f} at step 0 ({check.better} rows better, "
                f"{check.worse} worse; sign test p(worse) = {check.p_worse:.3g}: {verdict});"
            )
            if self.dev is not None and self.dev.holds_source:
                held = "significantly worse: not kept" if check.p_source_worse < check.alpha else "held"
                parts.append(
                    f"{self.dev.source_lang} {check.by_lang[self.dev.source_lang]:.4f} vs "
                    f"{self.history[0].by_lang[self.dev.source_lang]:.4f} (p(worse) = "
                    f"{check.p_source_worse:.3g}: {held});"
                )
        if check.tv is not None:
            tvs = ", ".join(f"{name} {tv:.3f}" for name, tv in check.tvs.items())
            parts.append(
                f"predicted-label TV {tvs} (limit {self.config.collapse_tv}), entropy shift "
                f"{check.entropy_shift:.3f} (limit {self.config.collapse_entropy})"
                + ("; [red]COLLAPSE detected[/red]" if check.collapsed else "")
            )
        return " ".join(parts)

    def decide(self) -> tuple[int, str]:
        """The step to keep and why (see the module docstring)."""
        last = self.history[-1]
        if self.config.guard_rule in ("gain", "noninferior") and self.dev is not None:
            return self._decide_by_evidence()
        if last.collapsed:
            safe_step = self.states.get("safe", self.states["latest"])[0]  # a checkpoint from before "safe"
            limits = (
                f"TV ≤ {self.config.collapse_tv / 2:g}, entropy shift ≤ {self.config.collapse_entropy / 2:g}"
            )
            return safe_step, (
                f"the collapse detector fired at step {last.step}; the latest check within "
                f"half its limits ({limits}) was step {safe_step}"
            )
        latest_step = self.states["latest"][0]
        latest = next(c for c in self.history if c.step == latest_step)
        why = "the last step" if latest is last else f"the latest acceptable check ({self._refused(last)})"
        if self.dev is None:
            return latest_step, why
        best_step = self.states["best"][0]
        best = next(c for c in self.history if c.step == best_step)
        if self.config.guard_rule == "best":
            return best_step, f"the best dev score ({best.score:.4f}; --guard-rule best)"
        if best_step != latest_step:
            _, _, p = sign_test_worse(best.rows, latest.rows)
            if p < self.config.guard_alpha:
                return best_step, (
                    f"step {best_step} is significantly better than step {latest_step} "
                    f"({best.score:.4f} vs {latest.score:.4f}, p = {p:.3g})"
                )
        harm = next((c for c in self.history[1:] if c.p_worse < c.alpha), None)
        if harm is not None and latest.score < self.history[0].score:
            return best_step, (
                f"step {harm.step} was significantly worse than step 0 (p = {harm.p_worse:.3g}) "
                f"and step {latest_step} did not recover ({latest.score:.4f} < "
                f"{self.history[0].score:.4f} at step 0): the best dev score"
            )
        return latest_step, why

    def _refused(self, check: Check) -> str:
        """Why a check was not acceptable, in words."""
        if check.collapsed:
            return f"the collapse detector fired at step {check.step}"
        if check.p_worse < check.alpha:
            return f"step {check.step} was significantly worse than step 0, p = {check.p_worse:.3g}"
        return (
            f"step {check.step}'s {self.config.source_lang} dev rows were significantly worse than step 0's, "
            f"p = {check.p_source_worse:.3g}, whatever the pooled rows showed"
        )

    def _decide_by_evidence(self) -> tuple[int, str]:
        """--guard-rule gain / noninferior: the fine-tuned weights unless a check showed the evidence asked."""
        margin = self.config.guard_margin
        shown = self.states.get(self.config.guard_rule)
        what = (
            "significantly better than step 0"
            if self.config.guard_rule == "gain"
            else f"not worse than step 0 by {margin:g} points or more"
        )
        if shown is None:
            return (
                0,
                f"no check was shown {what} at α = {self.config.guard_alpha:g} on dev: the fine-tuned weights",
            )
        check = next(c for c in self.history if c.step == shown[0])
        p = check.p_better if self.config.guard_rule == "gain" else check.p_noninferior
        return check.step, (
            f"step {check.step} is {what} ({check.score:.4f} vs {self.history[0].score:.4f}, "
            f"{check.better} rows better, {check.worse} worse, p = {p:.3g})"
        )
