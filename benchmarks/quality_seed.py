"""One seed of a quality bench (benchmarks/quality.py): the fine-tuned model, its predictions and votes, and
each row's model made and evaluated by the function its kind names (quality.ROW_KINDS; a row without a
kind distils with its DISTILL entry). Every step is the Runner's: skipped when its artifact exists."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass
class SeedRun:
    bench: Any  # quality.Bench
    data: dict[str, str]  # dataset name → its Parquet file
    root: Path
    seed: int
    runner: Any  # quality.Runner
    model: str  # the pretrained model fine-tuned
    tune_only: bool = False
    mt_model: str | None = None

    @property
    def s(self) -> Path:
        return self.root / f"seed{self.seed}"

    @property
    def finetuned(self) -> Path:
        return self.s / "finetuned"

    @property
    def predictions(self) -> Path:
        return self.s / "predictions.parquet"

    @property
    def pseudo(self) -> Path:
        return self.s / "pseudo_labels.parquet"

    def step(self, name: str, out: Path, action: Callable[[], Any]) -> Path:
        return self.runner.step(f"seed{self.seed} {name}", out, action)

    def prepare(self) -> None:
        """The fine-tuned model of the seed, its predictions on the corpus and their majority vote."""
        from alsace_cli.stages.predict import PredictConfig, predict
        from alsace_cli.stages.vote import VoteConfig, vote

        self.finetune("finetune", self.finetuned, self.data["train"])
        config = PredictConfig(
            model=str(self.finetuned),
            data=self.data["unlabeled"],
            out=str(self.predictions),
            max_length=self.bench.max_length,
            precision="fp32",
        )
        self.step("predict", self.predictions, lambda: predict(config))
        votes = VoteConfig(predictions=str(self.predictions), out=str(self.pseudo))
        self.step("vote", self.pseudo, lambda: vote(votes))

    def finetune(self, name: str, out: Path, train: str, precision: str = "fp32") -> Path:
        """Fine-tuning as the bench sets it (English dev picks the epoch where the bench says so)."""
        from alsace_cli.stages.finetune import FinetuneConfig, finetune

        config = FinetuneConfig(
            model=self.model,
            train=train,
            out=str(out),
            max_length=self.bench.max_length,
            seed=self.seed,
            precision=precision,
            dev=self.data["dev_en"] if self.bench.finetune_dev else None,
            **self.bench.finetune,
        )
        return self.step(name, out, lambda: finetune(config, resume="auto"))

    def languages_for(self, strategy: str) -> Path:
        from alsace_cli.stages.select import SelectConfig, select

        out = self.s / f"languages-{strategy}.parquet"
        config = SelectConfig(
            predictions=str(self.predictions),
            pseudo_labels=str(self.pseudo),
            out=str(out),
            strategy=strategy,
            seed=self.seed,
        )
        return self.step(f"select {strategy}", out, lambda: select(config))

    def evaluate_model(self, row: str, model_dir: Path, languages: Path) -> None:
        """The row's model on the test set (unless --tune-only) and on the labeled tune slice."""
        if not (
            self.tune_only and "tune" in self.data
        ):  # --tune-only: compare settings without touching test
            out = self.s / f"metrics-{row}.parquet"
            self.step(
                f"eval {row}",
                out,
                self.evaluation(
                    model_dir, "test", out, languages, self.s / f"test-predictions-{row}.parquet"
                ),
            )
        if "tune" in self.data:  # the labeled dev slice settings are compared on
            tune = self.s / f"tune-{row}.parquet"
            self.step(f"tune-eval {row}", tune, self.evaluation(model_dir, "tune", tune, languages))

    def evaluation(
        self, model_dir: Path, data: str, out: Path, languages: Path, predictions: Path | None = None
    ) -> Callable[[], Any]:
        from alsace_cli.stages.evaluate import EvalConfig, evaluate

        config = EvalConfig(
            models=[str(model_dir)],
            data=self.data.get(data, data),  # a dataset's name, or a file (translate-test's)
            out=str(out),
            languages=str(languages),
            predictions_out=str(predictions) if predictions else None,
            max_length=self.bench.max_length,
            precision="fp32",
        )
        return lambda: evaluate(config)

    def run_row(self, row: str, spec: dict[str, Any], kinds: dict[str, Callable[..., None]]) -> None:
        """The row's model made and evaluated by the function its kind names (quality.ROW_KINDS)."""
        kinds[spec.get("kind", "distill")](self, row, spec)


def baseline_row(run: SeedRun, row: str, spec: dict[str, Any]) -> None:
    run.evaluate_model(row, run.finetuned, run.languages_for("confidence"))


def bf16_row(run: SeedRun, row: str, spec: dict[str, Any]) -> None:
    out = run.finetune("finetune bf16", run.s / "finetuned-bf16", run.data["train"], precision="bf16")
    run.evaluate_model(row, out, run.languages_for("confidence"))


def ceiling_row(run: SeedRun, row: str, spec: dict[str, Any]) -> None:
    """The English training set plus the corpus with its labels, fine-tuned as the baseline is."""
    import pandas as pd

    from alsace_cli.io.artifacts import load_dataset, write_artifact

    if "corpus_labeled" not in run.data:
        return
    train = run.root / "data" / "ceiling_train.parquet"
    if not train.exists():
        english, corpus = load_dataset(run.data["train"]), load_dataset(run.data["corpus_labeled"])
        rows = pd.concat(
            [english.frame, corpus.frame.assign(id="corpus-" + corpus.frame["id"])], ignore_index=True
        )
        write_artifact(rows, train, "dataset", {"task": english.task, "labels": english.labels})
    out = run.finetune("finetune ceiling", run.s / "finetuned-ceiling", str(train))
    run.evaluate_model(row, out, run.languages_for("confidence"))


def self_train_row(run: SeedRun, row: str, spec: dict[str, Any]) -> None:
    from alsace_cli.stages.selftrain import SelfTrainConfig, self_train

    out = run.s / row
    config = SelfTrainConfig(
        model=str(run.finetuned),
        predictions=str(run.predictions),
        data=run.data["unlabeled"],
        out=str(out),
        scope=spec["scope"],
        keep=0.5,
        max_length=run.bench.max_length,
        seed=run.seed,
        precision="fp32",
        **{k: v for k, v in run.bench.finetune.items() if k != "freeze_embeddings"},
    )
    run.step(row, out, lambda: self_train(config))
    run.evaluate_model(row, out, run.languages_for("confidence"))


def distill_row(run: SeedRun, row: str, spec: dict[str, Any]) -> None:
    """The row's select strategy and pairs options, then distill with its settings (spec["settings"]: the
    row's DISTILL entry, which quality.py adds)."""
    from alsace_cli.stages.distill import DistillConfig, distill
    from alsace_cli.stages.pairs import PairsConfig, make_pairs

    languages = run.languages_for(spec["strategy"])
    pair_options = spec.get("pairs", {})
    pair_name = "-".join([spec["strategy"], *sorted(pair_options)]).replace("_", "-")
    pairs = run.s / f"pairs-{pair_name}.parquet"
    pairing = PairsConfig(
        data=run.data["unlabeled"], languages=str(languages), out=str(pairs), **pair_options
    )
    run.step(f"make-pairs {pair_name}", pairs, lambda: make_pairs(pairing))
    settings, guard = distill_settings(run, spec["settings"], languages)
    distilled = run.s / f"distilled-{row}"
    steps = run.bench.distill_steps
    config = DistillConfig(
        model=str(run.finetuned),
        data=run.data["unlabeled"],
        pairs=str(pairs),
        out=str(distilled),
        max_steps=steps,
        pairs_per_batch=16,
        max_length=run.bench.max_length,
        seed=run.seed,
        # Checks every sixth of the run: the dev test where guarded, the collapse detector always.
        dev=run.data["dev_en"] if guard else None,
        eval_every=steps // 6,
        precision="fp32",
        **settings,
    )
    run.step(f"distill {row}", distilled, lambda: distill(config))
    run.evaluate_model(row, distilled, languages)


def distill_settings(run: SeedRun, entry: dict[str, Any], languages: Path) -> tuple[dict[str, Any], bool]:
    """A DISTILL entry as DistillConfig fields, its inputs wired; and whether the guard runs on English dev."""
    from alsace_cli.training.teachers import teacher_class

    settings = dict(entry)
    guard = settings.pop("guard", True)
    if settings.get("ce_weight"):
        settings["train"] = run.data["train"]
    if settings.pop("mask", False):
        settings["mask_pseudo_labels"] = str(run.pseudo)
    if settings.pop("rank_votes", False):
        settings["pseudo_labels"] = str(run.pseudo)
    needs = teacher_class(settings.get("teacher", "live")).needs
    if "predictions" in needs:
        settings["predictions"] = str(run.predictions)
    if "languages" in needs:
        settings["languages"] = str(languages)
    return settings, guard
