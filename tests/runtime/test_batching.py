"""Training batches: seeded order, grouping by length, and the token cache against the tokenizer's own padding."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import torch

from alsace_cli.runtime.batching import MEGA_BATCHES, TokenCache, shuffled_batches
from alsace_cli.tasks import Task, get_task


def padded(lengths: np.ndarray, batches: list[np.ndarray]) -> int:
    return int(sum(lengths[b].max() * len(b) for b in batches))


def test_grouped_batches_cover_each_pass_once_and_pad_less() -> None:
    rng = np.random.default_rng(0)
    lengths = rng.integers(5, 200, size=1000)
    grouped = shuffled_batches(1000, 10, 200, seed=3, lengths=lengths)  # two passes of 100 batches
    plain = shuffled_batches(1000, 10, 200, seed=3)
    for part in (grouped[:100], grouped[100:]):
        assert sorted(np.concatenate(part).tolist()) == list(range(1000))
    assert padded(lengths, grouped) < 0.7 * padded(lengths, plain)
    assert lengths[grouped[0]].max() == lengths.max()  # the longest batch first: OOM shows at step 1
    # Within a mega-batch the rows are sorted, so a batch's lengths are near each other.
    spread = np.mean([np.ptp(lengths[b]) for b in grouped])
    assert spread < 0.2 * np.mean([np.ptp(lengths[b]) for b in plain])


def test_grouped_batches_are_seeded_and_a_prefix_of_a_longer_run() -> None:
    lengths = np.arange(300) % 37
    a = shuffled_batches(300, 8, 50, seed=1, lengths=lengths)
    b = shuffled_batches(300, 8, 80, seed=1, lengths=lengths)
    assert all(np.array_equal(x, y) for x, y in zip(a, b[:50], strict=True))  # a resumed run sees the same
    c = shuffled_batches(300, 8, 50, seed=2, lengths=lengths)
    assert not all(np.array_equal(x, y) for x, y in zip(a, c, strict=True))


def test_grouping_does_not_change_the_ungrouped_order() -> None:
    # The default (no lengths) order is what it was before grouping existed: a plain seeded permutation.
    generator = torch.Generator().manual_seed(5)
    perm = torch.randperm(40, generator=generator).numpy()
    batches = shuffled_batches(40, 8, 5, seed=5)
    assert np.array_equal(np.concatenate(batches), perm)
    assert MEGA_BATCHES == 50


def test_token_cache_batches_equal_the_tokenizers_padding(
    tiny_base: Path, data_dir: Path, monkeypatch
) -> None:
    from alsace_cli.tasks.models import load_tokenizer

    tokenizer = load_tokenizer(str(tiny_base))
    frame = pd.read_parquet(data_dir / "unlabeled.parquet")
    frame.loc[3, "text_a"] = " ".join(["the cat sleeps"] * 40)  # truncated at max_length
    monkeypatch.setattr(TokenCache, "CHUNK", 7)  # several tokenizer calls
    cache = TokenCache(tokenizer, [frame["text_a"].tolist(), frame["text_b"].tolist()], max_length=24)
    task = get_task("pair")
    for index in (np.arange(len(frame)), np.array([3, 0, 17]), np.array([5])):
        ours = cache.batch(index)
        theirs = Task.encode(task, tokenizer, frame.iloc[index], 24)
        assert set(ours) == set(theirs)
        for key in theirs:
            assert torch.equal(ours[key], theirs[key]), key
    assert cache.lengths[3] == 24
    assert cache.lengths.tolist() == [
        len(ids)
        for ids in tokenizer(
            frame["text_a"].tolist(), frame["text_b"].tolist(), truncation=True, max_length=24
        )["input_ids"]
    ]


def test_token_cache_pads_on_the_left_when_the_tokenizer_does(tiny_base: Path, data_dir: Path) -> None:
    from alsace_cli.tasks.models import load_tokenizer

    tokenizer = load_tokenizer(str(tiny_base))
    tokenizer.padding_side = "left"
    frame = pd.read_parquet(data_dir / "unlabeled.parquet").iloc[:6]
    cache = TokenCache(tokenizer, [frame["text_a"].tolist(), frame["text_b"].tolist()], max_length=32)
    theirs = Task.encode(get_task("pair"), tokenizer, frame, 32)
    ours = cache.batch(np.arange(6))
    for key in theirs:
        assert torch.equal(ours[key], theirs[key]), key
