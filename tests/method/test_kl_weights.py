"""mAP@k and the authors' MRR@k on small cases worked out by hand (the docstring's example among them)."""

from __future__ import annotations

import pytest
import torch

from alsace_cli.configs import parse_kl_weight
from alsace_cli.method.kl_weights import (
    average_precision_at_k,
    classification_kl_weight,
    first_hit_reciprocal_rank,
    qa_kl_weight,
)


def _logits_ranking(order: list[int], width: int = 50) -> torch.Tensor:
    """Logits whose highest values are at `order`, best first."""
    logits = torch.zeros(width)
    for rank, position in enumerate(order):
        logits[position] = 100.0 - rank
    return logits


def test_the_docstring_example() -> None:
    logits = _logits_ranking([12, 15, 13, 40]).unsqueeze(0)
    # map@4: gold 13 at rank 3 → 1/3
    assert float(average_precision_at_k(logits, torch.tensor([13]), k=4)) == pytest.approx(1 / 3)
    # mrr@4: first of the top-4 within [8, 17] is 12, rank 1 → 1
    assert float(first_hit_reciprocal_rank(logits, torch.tensor([13]), k=4)) == 1.0
    # gold 30: not in the top 4 → 0; no top-4 position within [25, 34] → 0
    assert float(average_precision_at_k(logits, torch.tensor([30]), k=4)) == 0.0
    assert float(first_hit_reciprocal_rank(logits, torch.tensor([30]), k=4)) == 0.0


def test_the_margin_is_minus_five_to_plus_four() -> None:
    logits = _logits_ranking([20, 6, 14]).unsqueeze(0).repeat(2, 1)
    # gold 10: 20 is 10 after (out), 6 is 4 before (in, rank 2) → 1/2
    # gold 16: 20 is 4 after (in, rank 1) → 1; and exactly 5 after, gold 15: 20 is out, 14 is 1 before (rank 3) → 1/3
    got = first_hit_reciprocal_rank(logits, torch.tensor([10, 16]), k=3)
    assert got.tolist() == pytest.approx([1 / 2, 1.0])
    assert float(first_hit_reciprocal_rank(logits[:1], torch.tensor([15]), k=3)) == pytest.approx(1 / 3)
    # 5 before is inside: gold 11 has 6 at distance 5 → rank 2 → 1/2
    assert float(first_hit_reciprocal_rank(logits[:1], torch.tensor([11]), k=3)) == pytest.approx(1 / 2)


def test_qa_weight_averages_start_and_end_and_respects_the_mask() -> None:
    start = _logits_ranking([3, 7, 9]).unsqueeze(0)
    end = _logits_ranking([9, 8, 7]).unsqueeze(0)
    # start gold 7: rank 2 → 1/2; end gold 9: rank 1 → 1; mean 3/4
    assert float(
        qa_kl_weight("map@k", start, end, torch.tensor([7]), torch.tensor([9]), k=3)
    ) == pytest.approx(0.75)
    # masking position 3 (a question token) out of the ranking moves gold 7 to rank 1: (1 + 1) / 2
    mask = torch.ones(1, 50, dtype=torch.bool)
    mask[0, 3] = False
    got = qa_kl_weight("map@k", start, end, torch.tensor([7]), torch.tensor([9]), k=3, mask=mask)
    assert float(got) == pytest.approx(1.0)


def test_classification_weight_is_the_gold_labels_reciprocal_rank() -> None:
    logits = torch.tensor([[0.1, 2.0, 1.0], [3.0, 2.0, 1.0]])
    # row 0: ranking [1, 2, 0], gold 0 → rank 3 → 1/3 (k=3), 0 (k=2); row 1: gold 1 → rank 2 → 1/2
    assert classification_kl_weight("map@k", logits, torch.tensor([0, 1]), k=3).tolist() == pytest.approx(
        [1 / 3, 0.5]
    )
    assert classification_kl_weight("mrr@k", logits, torch.tensor([0, 1]), k=2).tolist() == pytest.approx(
        [0.0, 0.5]
    )


def test_parse_kl_weight() -> None:
    assert parse_kl_weight("1.0") == ("fixed", 1.0) and parse_kl_weight(0.5) == ("fixed", 0.5)
    assert parse_kl_weight("mAP@k") == ("map@k", 0.0) and parse_kl_weight("mrr@k") == ("mrr@k", 0.0)
    from alsace_cli.errors import AlsaceError

    with pytest.raises(AlsaceError, match="--kl-weight"):
        parse_kl_weight("ndcg")


def test_a_masked_position_never_counts_even_when_k_covers_every_position() -> None:
    logits = _logits_ranking([2, 30]).unsqueeze(0)
    mask = torch.zeros(1, 50, dtype=torch.bool)
    mask[0, 30] = True  # only position 30 is context
    # gold 3: position 2 is within the margin but masked; 30 is not near → 0 even with k = 50
    assert float(first_hit_reciprocal_rank(logits, torch.tensor([3]), k=50, mask=mask)) == 0.0
    assert float(average_precision_at_k(logits, torch.tensor([2]), k=50, mask=mask)) == 0.0
    # gold 30: rank 1 once the masked positions drop below it
    assert float(average_precision_at_k(logits, torch.tensor([30]), k=50, mask=mask)) == 1.0
