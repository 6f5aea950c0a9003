"""Batched generation: texts in, translations out, in the texts' order.

Texts are tokenized once, sorted by token count (longest first, so a batch pads little and an out-of-memory
shows at once) and cut into batches; batch b goes to process b mod W. A batch is the same rows whatever the
number of processes, so one process and several write the same bits.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from alsace_cli.runtime.devices import autocast
from alsace_cli.translation.styles import Pair


@dataclass
class Decoding:
    num_beams: int
    max_new_tokens: int
    max_length: int
    batch_size: int
    precision: str


def batch_plan(lengths: np.ndarray, batch_size: int) -> list[np.ndarray]:
    """Positions of each batch: longest first, stable (ties keep the input order)."""
    order = np.argsort(-lengths, kind="stable")
    return [order[start : start + batch_size] for start in range(0, len(order), batch_size)]


def translate_texts(
    model: Any,
    tokenizer: Any,
    texts: list[str],
    pair: Pair,
    decoding: Decoding,
    device: Any,
    rank: int = 0,
    world: int = 1,
    on_batch: Callable[[int], None] | None = None,
) -> tuple[dict[int, str], dict[int, tuple[bool, bool]], int]:
    """This process's share of `texts` translated: {position: text}, {position: (cut, input cut)}, tokens."""
    import torch

    inputs = [pair.prefix + text for text in texts]
    encoded = tokenizer(inputs, truncation=False, add_special_tokens=True)["input_ids"]
    lengths = np.array([len(ids) for ids in encoded])
    out: dict[int, str] = {}
    flags: dict[int, tuple[bool, bool]] = {}
    generated = 0
    model.eval()
    for number, index in enumerate(batch_plan(lengths, decoding.batch_size)):
        if number % world != rank:
            continue
        batch = tokenizer(
            [inputs[i] for i in index],
            truncation=True,
            max_length=decoding.max_length,
            padding=True,
            return_tensors="pt",
        ).to(device)
        with torch.inference_mode(), autocast(device, decoding.precision):
            ids = model.generate(
                **batch,
                num_beams=decoding.num_beams,
                max_new_tokens=decoding.max_new_tokens,
                do_sample=False,
                **pair.generate,
            )
        new = ids[:, 1:] if model.config.is_encoder_decoder else ids[:, batch["input_ids"].shape[1] :]
        decoded = tokenizer.batch_decode(new, skip_special_tokens=True, clean_up_tokenization_spaces=True)
        ended = (
            (new == tokenizer.eos_token_id).any(dim=1).cpu().numpy()
            if tokenizer.eos_token_id is not None
            else None
        )
        for k, position in enumerate(index):
            out[int(position)] = decoded[k].strip()
            cut = bool(ended is not None and not ended[k] and new.shape[1] >= decoding.max_new_tokens)
            flags[int(position)] = (cut, bool(lengths[position] > decoding.max_length))
        generated += (
            int((new != tokenizer.pad_token_id).sum()) if tokenizer.pad_token_id is not None else new.numel()
        )
        if on_batch is not None:
            on_batch(len(index) * world)
    return out, flags, generated
