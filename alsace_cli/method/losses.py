"""The distillation losses, as functions of logits: KL between label distributions, and between span
(start or end) distributions restricted to the positions a span may take.

torch is imported inside the functions so that `alsace --help` stays instant.
"""

from __future__ import annotations

from typing import Any


def kl_teacher_student(
    student_logits: Any,
    teacher_logits: Any,
    temperature: float,
    sharpen: float = 1.0,
    mask: Any = None,
    weights: Any = None,
) -> tuple[Any, Any]:
    """T² × mean over the pairs (those where mask is true) of α · KL(teacher ‖ student), and log P_student.

    Each distribution is a softmax of logits / T (the teacher's of logits / (T · sharpen)). `weights` holds
    each pair's α (map@k, mrr@k); without it α is 1 for every pair."""
    import torch.nn.functional as F

    log_student = F.log_softmax(student_logits.float() / temperature, dim=-1)
    log_teacher = F.log_softmax(teacher_logits.float() / (temperature * sharpen), dim=-1)
    # The sum over labels, averaged over pairs, is KL's definition (kl_div's plain "mean" is not).
    per_pair = F.kl_div(log_student, log_teacher, log_target=True, reduction="none").sum(-1)
    if weights is not None:
        per_pair = per_pair * weights
    kl = per_pair.mean() if mask is None else (per_pair * mask).sum() / mask.sum().clamp(min=1)
    return kl * temperature**2, log_student


def masked_log_softmax(logits: Any, mask: Any, temperature: float) -> Any:
    import torch

    return torch.log_softmax((logits.float() / temperature).masked_fill(~mask, float("-inf")), dim=-1)


def span_kl(student: Any, teacher: Any, mask: Any, temperature: float) -> Any:
    """Per window: KL(P_teacher ‖ P_student) over the allowed positions (0 · log 0 taken as 0)."""
    import torch

    log_s, log_t = (
        masked_log_softmax(student, mask, temperature),
        masked_log_softmax(teacher, mask, temperature),
    )
    terms = torch.where(mask, log_t.exp() * (log_t - log_s), torch.zeros_like(log_s))
    return terms.sum(-1)
