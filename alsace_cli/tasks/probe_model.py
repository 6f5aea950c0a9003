"""A masked LM that scores a probe's candidates: its forward returns one score per candidate slot as `logits`,
so predict, distill, the guard and eval call it as they call a classifier (tasks/probe.py says how the
sequences are built). Saved, it is the masked LM itself: any transformers code loads what distill wrote.

Only the probed positions go through the LM head: with a 250,000-word vocabulary, the head's output for
every position of every sequence would be gigabytes. The head is the model's own (`cls` for BERT-like
models, `lm_head` for RoBERTa-like ones); a model with neither gets the full output, sliced.
"""

from __future__ import annotations

from typing import Any

import torch
from transformers import AutoModelForMaskedLM
from transformers.modeling_outputs import SequenceClassifierOutput

ABSENT = -1e4  # a missing candidate's score: softmax ≈ 0, and its log stays finite for the KL terms


class ProbeMaskedLM(torch.nn.Module):
    labels_in_head = False

    def __init__(self, mlm: Any, slots: int) -> None:
        super().__init__()
        self.mlm, self.slots = mlm, slots
        self.config = mlm.config

    @classmethod
    def from_pretrained(cls, spec: str, slots: int, **hub: Any) -> ProbeMaskedLM:
        return cls(AutoModelForMaskedLM.from_pretrained(spec, **hub), slots)

    def save_pretrained(self, directory: Any, **kwargs: Any) -> None:
        self.mlm.save_pretrained(directory, **kwargs)

    def get_input_embeddings(self) -> Any:
        return self.mlm.get_input_embeddings()

    def _token_log_probs(self, input_ids: Any, attention_mask: Any, position: Any, target: Any) -> Any:
        rows = torch.arange(len(input_ids), device=input_ids.device)
        head = getattr(self.mlm, "cls", None) or getattr(self.mlm, "lm_head", None)
        if head is not None:
            hidden = self.mlm.base_model(input_ids=input_ids, attention_mask=attention_mask)[0]
            logits = head(hidden[rows, position])
        else:
            logits = self.mlm(input_ids=input_ids, attention_mask=attention_mask).logits[rows, position]
        return torch.log_softmax(logits.float(), dim=-1)[rows, target]

    def forward(
        self,
        input_ids: Any,
        attention_mask: Any,
        probe_position: Any,
        probe_target: Any,
        probe_owner: Any,
        probe_shape: Any,
        labels: Any = None,
        **_: Any,
    ) -> SequenceClassifierOutput:
        """Per row and candidate slot, the candidate's mean token log-probability (ABSENT where the row has
        fewer candidates); with `labels`, the cross-entropy over the candidates."""
        n_rows, width = (int(v) for v in probe_shape)
        token = self._token_log_probs(input_ids, attention_mask, probe_position, probe_target)
        total = torch.zeros(n_rows * width, device=token.device).index_add(0, probe_owner, token)
        count = torch.zeros(n_rows * width, device=token.device).index_add(
            0, probe_owner, torch.ones_like(token)
        )
        scores = torch.where(count > 0, total / count.clamp(min=1), torch.full_like(total, ABSENT)).view(
            n_rows, width
        )
        if width < self.slots:
            scores = torch.cat([scores, scores.new_full((n_rows, self.slots - width), ABSENT)], dim=1)
        loss = torch.nn.functional.cross_entropy(scores, labels) if labels is not None else None
        return SequenceClassifierOutput(loss=loss, logits=scores)
