"""What a task's output type decides, in one place: a stage asks the output type of its task (or of its
predictions file) and never tests a task's name.

A task predicts either a distribution over its label set (`labels`: classification, multiple choice) or
answer spans (`spans`: extractive QA). The output type says which artifacts hold its predictions and
metrics, what unit select ranks and make-pairs pairs (languages, or question languages over one
context), whether select needs vote's pseudo-labels, how eval scores and summarises a model and how the
report and plot show it. A new output type is a subclass registered with `OUTPUT_TYPES.register`.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from typing import Any, ClassVar

import pandas as pd

from alsace_cli.errors import AlsaceError
from alsace_cli.io.artifacts import read_meta_kind
from alsace_cli.registry import Registry
from alsace_cli.tasks import Task, get_task


class OutputType(ABC):
    name: ClassVar[str]  # what a Task's `output_type` says
    prediction_kind: ClassVar[str]  # the artifact predict writes
    metrics_kind: ClassVar[str]  # the artifact eval writes
    unit: ClassVar[str]  # the column select ranks and make-pairs pairs: lang, or question_lang
    question_language_pairs: ClassVar[bool] = False  # pairs are questions in two languages over one context
    votes: ClassVar[bool]  # select scores against vote's pseudo-labels (and `run` runs vote)
    recipes_apply: ClassVar[bool]  # the recipes' [distill] settings are for this output type
    ensemble_report: ClassVar[bool] = False  # eval --report ensemble is defined
    translate_test: ClassVar[bool] = False  # eval --translate-test is defined
    # select's roles are eval's student/teacher groups (not where the unit is a question language)
    groups_from_select: ClassVar[bool] = True
    headline_metric: ClassVar[str]  # the metric a model card leads with
    plot_name: ClassVar[str]  # the file name of `alsace run`'s plot
    # Columns of the metrics and the summary that are shares (0..1) in the files and % or points in tables.
    share_columns: ClassVar[tuple[str, ...]]
    result_units: ClassVar[dict[str, str]]  # what each figure of results.json is in (fractions)

    @abstractmethod
    def language_scores(self, config: Any) -> tuple[pd.DataFrame, dict[str, float]]:
        """select: s_t and ŝ_t per unit from the predictions (and pseudo-labels), and each language's
        label shift from the source language (empty where it is not defined)."""

    def units(self, frame: pd.DataFrame) -> list[str]:
        """The values of the unit column in a dataset: what make-pairs needs a role for."""
        return sorted(frame[self.unit].unique().tolist())

    @abstractmethod
    def pairs(self, frame: pd.DataFrame, roles: dict[str, str], **options: Any) -> tuple[pd.DataFrame, int]:
        """make-pairs --materialize: every pair as a row, and how many were dropped for a missing translation."""

    def pairing_rows(self, frame: pd.DataFrame) -> tuple[pd.DataFrame, tuple[str, ...]]:
        """The rows a pair rule is drawn over, with `lang` the unit, and the columns that make a group (the
        rows one pair may join): the instance for labels."""
        return frame[["id", "lang"]], ("id",)

    @abstractmethod
    def evaluation(self, config: Any, source: Any) -> Any:
        """eval's scorer for this output type (see stages/evaluate.py for what it is asked)."""

    @abstractmethod
    def show(self, artifact: Any, summary: pd.DataFrame, report: str, source_lang: str) -> None:
        """eval's report on stderr (`--report` picks which tables)."""

    @abstractmethod
    def result(self, artifact: Any, summary: pd.DataFrame) -> dict[str, Any]:
        """eval's --json payload."""

    def near_chance(self, metrics: pd.DataFrame, model: str, source_lang: str, n_labels: int) -> str | None:
        """A warning when `model` is near chance on the source language's test rows (None: not defined)."""
        return None

    def records(self, frame: pd.DataFrame) -> list[dict[str, Any]]:
        """Records of a metrics or summary table for results.json, its shares as fractions in [0, 1] (the
        unit of every machine-readable output; the report's tables show %)."""
        return json.loads(frame.to_json(orient="records"))


# A new output type registers an instance: OUTPUT_TYPES.register(MyOutput()).
OUTPUT_TYPES: Registry[OutputType] = Registry("output type")


def output_type_of(task: Task | str) -> OutputType:
    task = get_task(task) if isinstance(task, str) else task
    return OUTPUT_TYPES.get_entry(task.output_type)


def output_type_of_predictions(path: str) -> OutputType:
    """The output type whose predictions artifact `path` claims to be (label distributions by default: the
    reader that follows names any problem with the file)."""
    kind = read_meta_kind(path)
    for output in OUTPUT_TYPES.values():
        if output.prediction_kind == kind:
            return output
    return OUTPUT_TYPES["labels"]


def output_type_of_metrics(kind: str) -> OutputType:
    for output in OUTPUT_TYPES.values():
        if output.metrics_kind == kind:
            return output
    raise AlsaceError(f"no output type writes {kind!r} metrics")


from alsace_cli.output_types import labels, spans  # noqa: E402,F401  (registers them)
