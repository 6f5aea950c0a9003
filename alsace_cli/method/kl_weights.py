"""Per-example weights of the KL term from how well the teacher ranks the gold answer (SKD-QA, Carrino et al.).

`map@k`, the paper's definition. The teacher's k most probable positions (QA: start, and end, separately;
classification: labels) are ranked. Average precision at k against the relevant set R:
    AP@k = (1 / min(|R|, k)) · Σ_{i=1..k} P@i · rel_i
where P@i is the precision of the first i predictions and rel_i says whether the i-th is in R. With one
gold position (R = {gold}) this is 1/r when the gold is at rank r ≤ k, and 0 otherwise. For QA the weight
is the mean of the start's and the end's AP@k. For classification it is the gold label's AP@k (on
unlabeled ALSACE pairs, vote's pseudo-label stands in for the gold label).

`mrr@k`, what the authors' code computes (`compute_kl_map_at_k_coefficients` in
ccasimiro88/self-distillation-gxlt-qa, src/utils.py). Its `apk` compares the teacher's top-10 hit list
with `actual=[1]`, so only the first hit counts: 1/rank of the first of the top-k positions within
[gold − 5, gold + 4] (their `range(pos - 5, pos + 5)`), averaged over start and end. Classification
labels have no neighbours, so there it equals map@k. The authors also average the weight over the batch
into one number; alsace keeps it per example, and its log shows the batch mean.

Worked example (QA start, k = 4). The teacher's most probable start positions, best first, are
[12, 15, 13, 40], and the gold start is 13.
- map@4: 13 is at rank 3, so AP@4 = (1/1) · (P@3 · 1) = (1/3) · 1 = 1/3.
- mrr@4: the first position within [8, 17] is 12, at rank 1, so the weight is 1.
With a gold start of 30 instead, map@4 = 0; mrr@4 = 0 as well, because no top-4 position lies in
[25, 34]. 40 is outside.
"""

from __future__ import annotations

from typing import Any

MARGIN_BEFORE, MARGIN_AFTER = 5, 4


def _top_k(logits: Any, k: int, mask: Any = None) -> tuple[Any, Any]:
    """The k best positions, best first, and whether each is allowed (a masked one never counts as a hit)."""
    import torch

    if mask is not None:
        logits = logits.masked_fill(~mask.bool(), torch.finfo(logits.dtype).min)
    top = logits.topk(k=min(k, logits.shape[-1]), dim=-1).indices  # (batch, k)
    allowed = torch.ones_like(top, dtype=torch.bool) if mask is None else mask.bool().gather(-1, top)
    return top, allowed


def average_precision_at_k(logits: Any, gold: Any, k: int, mask: Any = None) -> Any:
    """Per example: 1/rank of `gold` among the k highest `logits` (AP@k with one relevant item), else 0."""
    import torch

    top, allowed = _top_k(logits, k, mask)
    hit = (top == gold.unsqueeze(-1)) & allowed
    ranks = torch.arange(1, top.shape[-1] + 1, device=logits.device, dtype=torch.float32)
    return (hit.float() / ranks).sum(-1)


def first_hit_reciprocal_rank(
    logits: Any, gold: Any, k: int, mask: Any = None, before: int = MARGIN_BEFORE, after: int = MARGIN_AFTER
) -> Any:
    """Per example: 1/rank of the first of the top-k positions within [gold − before, gold + after], else 0."""
    import torch

    top, allowed = _top_k(logits, k, mask)
    near = (top >= (gold - before).unsqueeze(-1)) & (top <= (gold + after).unsqueeze(-1)) & allowed
    ranks = torch.arange(1, top.shape[-1] + 1, device=logits.device, dtype=torch.float32)
    first = torch.where(near, ranks, torch.full_like(ranks, float("inf"))).min(-1).values
    return torch.where(torch.isfinite(first), 1.0 / first, torch.zeros_like(first))


def qa_kl_weight(
    kind: str, start_logits: Any, end_logits: Any, gold_start: Any, gold_end: Any, k: int, mask: Any = None
) -> Any:
    score = average_precision_at_k if kind == "map@k" else first_hit_reciprocal_rank
    return (score(start_logits, gold_start, k, mask) + score(end_logits, gold_end, k, mask)) / 2


def classification_kl_weight(kind: str, logits: Any, gold: Any, k: int) -> Any:
    """Both kinds read the gold (or pseudo-) label's rank: labels have no neighbouring positions."""
    return average_precision_at_k(logits, gold, k)
