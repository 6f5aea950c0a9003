"""The one-line verdict `alsace run` ends with: did distillation help, do nothing measurable, or harm?

Read from eval's paired comparison of the distilled model with the fine-tuned one on the same test ids
(alsace_cli/method/paired_tests.py): **gain** when the average accuracy went up with its 95% interval above 0 and the
source language is not significantly down (McNemar, p < 0.05); **harm** when the interval lies below 0 or
the source language is significantly down; otherwise **no measurable change**. Without a test comparison
(answer spans), the guard's dev figures speak. When the guard kept the fine-tuned weights, the verdict says
why, in words a user can act on.
"""

from __future__ import annotations

from typing import Any

ALPHA = 0.05


def _kept_fine_tuned(guard: dict[str, Any]) -> str:
    if guard.get("collapsed"):
        return (
            "distill kept the fine-tuned weights: the collapse detector saw the model drift toward one "
            "prediction for every input, so nothing of the distillation was kept. The fine-tuned model is the "
            "one to use; a smaller learning rate, the English anchor (ce_weight) or, with a live teacher, "
            "fixed targets (teacher = static) may help"
        )
    return (
        f"distill kept the fine-tuned weights (step 0): {guard.get('reason')}. The fine-tuned model is the "
        "one to use"
    )


def verdict(comparisons: list[dict], guard: dict[str, Any] | None, source_lang: str) -> dict[str, str]:
    """{"verdict": gain | no measurable change | harm, "line": what to print}, the line ending with what the
    guard's dev set judged on (a source-only dev set cannot see a gain in the other languages)."""
    found = _verdict(comparisons, guard, source_lang)
    if guard and guard.get("dev_judged_on"):
        found = {**found, "line": f"{found['line']} (the guard judged on {guard['dev_judged_on']})"}
    return found


def _verdict(comparisons: list[dict], guard: dict[str, Any] | None, source_lang: str) -> dict[str, str]:
    if guard and guard.get("kept_step") == 0 and guard.get("last_step", 0) > 0:
        return {"verdict": "no measurable change", "line": _kept_fine_tuned(guard)}
    average = next((row for row in comparisons if row["what"] == "average"), None)
    if average is None:
        return _from_guard(guard)
    source = next((row for row in comparisons if row.get("lang") == source_lang), None)
    source_down = source is not None and source["difference"] < 0 and source["p_mcnemar"] < ALPHA
    figures = (
        f"average accuracy {average['difference']:+.2f} points (95% interval {average['ci_low']:+.2f} … "
        f"{average['ci_high']:+.2f})"
    )
    if source is not None:
        figures += f", {source_lang} {source['difference']:+.2f} (McNemar p = {source['p_mcnemar']:.3g})"
    if average["ci_high"] < 0 or source_down:
        return {"verdict": "harm", "line": f"harm: {figures}; the fine-tuned model is the one to use"}
    if average["ci_low"] > 0:
        return {"verdict": "gain", "line": f"gain: {figures}"}
    return {"verdict": "no measurable change", "line": f"no measurable change: {figures}"}


def _from_guard(guard: dict[str, Any] | None) -> dict[str, str]:
    if not guard or guard.get("dev_score_step0") is None:
        return {
            "verdict": "no measurable change",
            "line": "no measurable change shown: no paired test comparison and no dev set to read",
        }
    before, after = guard["dev_score_step0"], guard["dev_score_kept"]
    kind = "gain" if after > before else ("harm" if after < before else "no measurable change")
    return {
        "verdict": kind,
        "line": f"{kind} on dev (no paired test comparison): {before:.4f} → {after:.4f}, "
        f"kept step {guard['kept_step']}",
    }
