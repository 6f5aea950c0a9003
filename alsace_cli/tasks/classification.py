"""Sequence classification tasks: a text pair (NLI, paraphrase: XNLI, PAWS-X) or one text (topic, sentiment)."""

from __future__ import annotations

from alsace_cli.tasks import Task, register_task

PAIR = register_task(Task("pair", ("text_a", "text_b"), "two texts per item: NLI, paraphrase (XNLI, PAWS-X)"))
SINGLE = register_task(Task("single", ("text",), "one text per item: topic, sentiment"))
