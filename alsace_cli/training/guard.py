"""distill's guard: keep the step the run was configured to reach unless the evidence says it did harm.

Checks happen before the first step, every `--eval-every` steps and after the last, with two instruments:

1. A paired test on the dev set (`--dev`, labeled rows in the source language or in any languages:
   training/dev_set.py). Each dev row's score (1/0 for a right/wrong label, F1 for a QA answer) at step k is
   compared with the same row's at step 0, over every (id, language) row pooled. Only the
   rows whose score changed carry evidence: with b rows better and c rows worse, the one-sided exact sign
   test asks how likely c or more of b + c coin flips are worse, p = P(X ≥ c), X ~ Binomial(b + c, 1/2).
   For 0/1 scores this is McNemar's exact test. Step k is *significantly worse* than step 0 when
   p < `--guard-alpha`. Right/wrong, not P(gold label): distilling toward soft targets lowers the model's
   confidence on most rows without changing their labels (docs/guard.md has the measurements).
2. A label-free collapse detector (`--collapse-check`; tasks with a label set; training/collapse.py): the
   predicted-label histogram and mean entropy of fixed corpus samples against step 0's. It fires when
   either moved past its limit (`--collapse-tv`, `--collapse-entropy`), and training stops.

A check is *acceptable* when the detector did not fire and it is not significantly worse than step 0:
neither pooled nor, where the dev set has other languages too, on its source-language rows alone.
When the detector fires, the drift was under way before it crossed the limit, so the run goes back to the
latest check within half of both limits (step 0 if none did). `--guard-rule paired` keeps the latest
acceptable check, which is the last step unless a check failed; it is replaced by the acceptable check
with the best dev score when that one is significantly better by the same test, or when the run showed
harm and did not recover: some check was significantly worse than step 0 and the kept one still scores
below step 0. `--guard-rule best` keeps the acceptable check with the best dev score, ties to the later
step. Every decision is printed with its counts and p-value, logged per check in the train log, and kept
(step, reason, dev scores) under `guard` in the model's provenance and the train log's metadata.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from alsace_cli.method.paired_tests import noninferior_p, sign_test_worse
from alsace_cli.runtime import report
from alsace_cli.runtime.inference import predict_probs
from alsace_cli.training.collapse import label_histogram, onto_one_label
from alsace_cli.training.dev_set import DevSet
from alsace_cli.training.guard_rules import Check, GuardRules, GuardSettings
from alsace_cli.training.step0_memo import Step0, remember, remembered


@dataclass
class Guard(GuardRules):
    """Runs the checks, keeps the states that may be restored, decides at the end (module docstring)."""

    config: GuardSettings
    dev: DevSet | None
    corpus: Any = None  # {sample name: rows of the unlabeled corpus} for the collapse detector, or None
    task: Any = None
    history: list[Check] = field(default_factory=list)
    # "latest", "best", "safe" (the latest check within half the detector's limits): (step, weights)
    states: dict[str, tuple[int, dict]] = field(default_factory=dict)
    reference: dict[str, tuple[np.ndarray, float]] | None = None
    # What restore() decided, for the model's provenance: a run's kept step is read from its files, not
    # from a log on someone's terminal.
    decision: dict[str, Any] | None = None
    tokenizer: Any = None
    accelerator: Any = None
    start_pred: np.ndarray | None = None  # step 0's predicted labels on the dev rows (label-free signals)
    encoded: dict[str, dict] = field(default_factory=dict)  # each sample's tokenized batches (tokenize once)
    step0_key: str | None = None  # where step 0's check is shared with other distills (step0_memo.py)

    def setup(self, tokenizer: Any, accelerator: Any, objective: Any = None) -> None:
        self.tokenizer, self.accelerator = tokenizer, accelerator

    def begin(self, model, log) -> None:
        """The step-0 check: the reference every later check is compared with. A small dev set is said to be
        small, with what it can and cannot see."""
        self.check(model, 0, log)
        if self.dev is not None:
            report.info(report.esc(self.dev.describe()))

    def after_step(self, model, step: int, total: int, log) -> bool:
        """Check at every `--eval-every` steps and the last; True when the collapse detector fired."""
        if self.config.eval_every and step % self.config.eval_every == 0 or step == total:
            return self.check(model, step, log)
        return False

    @property
    def active(self) -> bool:
        return self.dev is not None or self.corpus is not None

    def _settings(self) -> dict[str, Any]:
        return {
            "max_length": self.config.max_length,
            "batch_size": self.config.eval_batch_size,
            "device": self.accelerator.device,
            "precision": self.config.precision,
        }

    def check(self, model, step: int, log) -> bool:
        """Measure at `step`; returns True when the collapse detector fired (the caller stops training)."""
        if not self.active:
            return False
        check = self._remembered_step0() if step == 0 else None
        if check is None:
            check = Check(step, alpha=self.config.guard_alpha)
            if self.dev is not None:
                self._measure_dev(model, check)
            if self.corpus is not None:
                self._measure_collapse(model, check)
            if step == 0:
                remember(self.step0_key, Step0(check, self.start_pred, self.reference))
        model.train()
        if check.acceptable:
            self._keep(model, check)
        self.history.append(check)
        log.add(**self._log_row(check))
        if step > 0:
            report.info(self._describe(check))
        return check.collapsed

    def _remembered_step0(self) -> Check | None:
        """Step 0's check from an earlier distill in this process with the same key (training/step0_memo.py)."""
        found = remembered(self.step0_key)
        if found is None:
            return None
        self.start_pred, self.reference = found.start_pred, found.reference
        report.info(
            "distill guard: step 0's check reused from an earlier distill in this process (same weights, rows, settings)"
        )
        return found.check

    def _measure_dev(self, model, check: Check) -> None:
        """The dev rows' scores, per language, the label-free signals, and the paired tests against step 0."""
        check.rows = self.dev.scores(model, self.tokenizer, self._settings())
        check.score = float(check.rows.mean())
        if not self.history:
            self.start_pred = self.dev.seen.get("pred")
        check.signals = self.dev.label_free(self.start_pred)
        check.by_lang = self.dev.by_language(check.rows)
        if self.history:
            start = self.history[0].rows
            _, check.source_worse, check.p_source_worse = self.dev.source_worse(start, check.rows)
            check.better, check.worse, check.p_worse = sign_test_worse(start, check.rows)
            check.p_better = sign_test_worse(check.rows, start)[2]
            check.p_noninferior = noninferior_p(
                check.better, check.worse, len(check.rows), self.config.guard_margin
            )

    def _measure_collapse(self, model, check: Check) -> None:
        """The collapse detector: each sample's predicted-label histogram and entropy against step 0's."""
        settings = self._settings()
        measured = {
            name: label_histogram(
                predict_probs(
                    model,
                    self.tokenizer,
                    self.task,
                    rows,
                    **settings,
                    encoded=self.encoded.setdefault(name, {}),
                )
            )
            for name, rows in self.corpus.items()
        }
        if self.reference is None:
            self.reference = measured
        check.tvs = {
            name: float(0.5 * np.abs(h - self.reference[name][0]).sum()) for name, (h, _) in measured.items()
        }
        check.tv = max(check.tvs.values())
        check.entropy_shift = abs(measured["all"][1] - self.reference["all"][1])
        limits = self.config.collapse_tv, self.config.collapse_entropy
        check.collapsed = (
            check.tv > limits[0]
            or check.entropy_shift > limits[1]
            or onto_one_label(measured["all"][0], self.reference["all"][0])
        )
        check.safe = check.tv <= limits[0] / 2 and check.entropy_shift <= limits[1] / 2

    def _keep(self, model, check: Check) -> None:
        """An acceptable check's weights, under every name a rule may restore them by."""
        step = check.step
        weights = {
            k: v.detach().cpu().clone() for k, v in self.accelerator.unwrap_model(model).state_dict().items()
        }
        self.states["latest"] = (step, weights)
        if check.safe:
            self.states["safe"] = (step, weights)
        if step == 0:
            self.states["start"] = (step, weights)
        elif self._shows(check):
            self.states[self.config.guard_rule] = (step, weights)
        best = self.states.get("best")
        if best is None or (check.score is not None and check.score >= self._score_of(best[0])):
            self.states["best"] = (step, weights)

    def _log_row(self, check: Check) -> dict[str, Any]:
        dev = self.dev
        per_lang = {f"dev_accuracy_{lang}": value for lang, value in check.by_lang.items()}
        return {
            "step": check.step,
            "dev_accuracy": check.score,
            "dev_better": check.better,
            "dev_worse": check.worse,
            "dev_p_worse": check.p_worse if dev is not None else None,
            "dev_p_better": check.p_better if dev is not None else None,
            **(per_lang if dev is not None and dev.multilingual else {}),
            "dev_p_source_worse": check.p_source_worse if dev is not None and dev.holds_source else None,
            **check.signals,
            "collapse_tv": check.tv,
            "collapse_tv_source": check.tvs.get("source"),
            "collapse_entropy": check.entropy_shift,
        }

    def restore(self, model, total: int) -> int:
        """Load the kept state into `model` (unless it is the current one); returns its step."""
        if not self.active or "latest" not in self.states:
            self.decision = {
                "kept_step": total,
                "last_step": total,
                "reason": "unguarded: no --dev and no collapse check",
                "rule": None,
                "dev_score_step0": None,
                "dev_score_kept": None,
                "collapsed": False,
            }
            return total
        step, why = self.decide()
        if step != self.history[-1].step or not self.history[-1].acceptable:
            weights = next(weights for kept, weights in self.states.values() if kept == step)
            model.load_state_dict(weights)
        first, last = self.history[0], self.history[-1]
        dev = (
            f"dev {first.score:.4f} at step 0, {last.score:.4f} at step {last.step}; "
            if first.score is not None
            else ""
        )
        report.info(f"distill guard: {dev}kept step {step}: {why}")
        kept = next(c for c in self.history if c.step == step)
        self.decision = self._dev_decision(first, kept) | {
            "kept_step": step,
            "last_step": last.step,
            "reason": why,
            "rule": self.config.guard_rule if self.dev is not None else "collapse detector only",
            "dev_score_step0": None if first.score is None else float(first.score),
            "dev_score_kept": None if kept.score is None else float(kept.score),
            "collapsed": any(c.collapsed for c in self.history),
        }
        return step

    def _dev_decision(self, first: Check, kept: Check) -> dict[str, Any]:
        """What the dev set judged on and its score per language at step 0 and at the kept step."""
        if self.dev is None:
            return {"dev_judged_on": None}
        return {
            "dev_judged_on": self.dev.judged_on(),
            "dev_rows": len(self.dev),
            "dev_languages": self.dev.languages,
            "dev_multilingual": self.dev.multilingual,
            "dev_by_lang": {
                lang: {"step0": first.by_lang[lang], "kept": kept.by_lang[lang]}
                for lang in self.dev.languages
            },
        }

    def state_dict(self) -> dict:
        return {
            "guard": {
                "history": self.history,
                "states": self.states,
                "reference": self.reference,
                "start_pred": self.start_pred,
            }
        }

    def load_state_dict(self, state: dict) -> None:
        guard = state["guard"]
        self.history, self.states, self.reference = guard["history"], guard["states"], guard["reference"]
        self.start_pred = guard.get("start_pred")

    def dev_rows(self) -> pd.DataFrame | None:
        """Each dev row's score at step 0, at the kept step (what `--recipe auto` compares candidates on) and
        at every check (`step<k>`: for a correction that reads how the checks move together)."""
        if self.dev is None or self.decision is None or not self.history:
            return None
        kept = next(c for c in self.history if c.step == self.decision["kept_step"])
        frame = self.dev.dataset.frame
        return pd.DataFrame(
            {
                "id": frame["id"].astype(str).to_numpy(),
                "lang": self.dev.langs,
                **{f"step{c.step}": c.rows for c in self.history},
                "kept": kept.rows,
            }
        )

    def note(self) -> str:
        return ""
