"""Distillation toward a weak majority (issue 15, part 3): what each selection rule does to the model.

    python benchmarks/weak_majority.py [--seed 1] [--rows paper,dawid-skene,...]

`selection.py` scores the votes and the teachers each rule picks on `en+es+weak` (English and Spanish
against ten made-up languages that are confident, agree with one another and are mostly wrong); this
script distils the fine-tuned model toward those teachers and evaluates what it became.

The set, from `quality.py --bench xnli-2ep`'s fine-tuned model of the seed and its predictions on XNLI dev
ids 0-499 (run that first): weak{k} is a copy of one of the model's 5 weakest real languages on those ids
(`selection.weak_copies`): its text is that language's, its predictions that language's pulled toward
"entailment" and, for half of the ids, shuffled across instances. English and Spanish keep their own text
and predictions. The corpus and the made-up predictions are written as alsace artifacts, and the stages
run on them as a user's would: vote, select, make-pairs, distill, eval.

Distillation: a static teacher (the targets are these predictions, fixed), lr 2e-5, 150 steps of 16 pairs,
max length 80: the settings BENCHMARKS.md recommends. Each rule runs without the guard and its collapse
detector, to show what its teachers do to the model; `paper-guarded` is the paper's rule with both, as a
user gets it by default (English XNLI dev ids 500-799 for the guard). Test: XNLI test ids 0-999 in English,
Spanish and the 5 real languages the copies are made of. About 10 min a row on 2 CPU cores.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(BENCH_DIR))

from selection import load_gold, weak_copies, weakest_languages  # noqa: E402
from steps import Runner  # noqa: E402

# Row → vote options, select options, guarded. Every rule of selection.py whose teachers differ.
ROWS: dict[str, dict[str, Any]] = {
    "paper": {"vote": {}, "select": {}, "guard": False},
    "dawid-skene": {"vote": {"rule": "dawid-skene"}, "select": {}, "guard": False},
    "paper-guarded": {"vote": {}, "select": {}, "guard": True},
    "source-teacher": {"vote": {}, "select": {"source_teacher": True}, "guard": False},
    "degenerate-out": {"vote": {"exclude_degenerate": True}, "select": {}, "guard": False},
}
MAX_LENGTH = 80
sys.path.insert(0, str(ROOT))
from alsace_cli.configs.recipes import (  # noqa: E402
    DEFAULT_RECIPE,
    default_name,
    load_recipe,
    recipe_names,
)
from alsace_cli.configs.table import PIPELINE  # noqa: E402

# Each named recipe as `alsace run` applies it, guarded (English XNLI dev as the guard's dev set).
ROWS.update({f"recipe-{name}": {"recipe": name} for name in recipe_names()})
ROWS.update({f"recipe-{name}-gain": {"recipe": name, "guard_rule": "gain"} for name in recipe_names()})
# `--recipe auto` as a run with target-language dev rows gets it: the default recipe's vote, select and pairs,
# each candidate under the guard on XNLI dev ids 500-799 in en, es and the 5 languages the copies are made of
# (their text is those languages'), the choice between them, the chosen model on test.
ROWS["auto"] = {"auto": True}
# `--rows default`: what a run that names no recipe gets, under its own name (quality.py's DEFAULT_ROW).
DEFAULT_ROW = f"recipe-{default_name()}"


def build_set(quality: Path, seed: int, gold: pd.Series, out: Path) -> tuple[Path, Path, list[str]]:
    """The `en+es+weak` corpus and predictions as alsace artifacts; returns their paths and the 5 languages
    the copies are made of."""
    from alsace_cli.io.artifacts import read_artifact, read_meta, write_artifact
    from alsace_cli.io.provenance import make_provenance

    corpus_path, predictions_path = out / "corpus.parquet", out / "predictions.parquet"
    source = quality / f"seed{seed}" / "predictions.parquet"
    predictions = read_artifact(source, "predictions").frame
    weakest = weakest_languages(predictions, gold)
    if corpus_path.exists() and predictions_path.exists():
        return corpus_path, predictions_path, weakest
    made = weak_copies(predictions, gold)
    made = made[made["lang"].isin(["en", "es"]) | made["lang"].str.startswith("weak")].reset_index(drop=True)
    unlabeled = quality / "data" / "unlabeled.parquet"
    texts = read_artifact(unlabeled, "dataset").frame
    parts = [texts[texts["lang"].isin(["en", "es"])]]
    for k in range(10):  # weak{k}'s text is the real language it copies, instance by instance
        parts.append(texts[texts["lang"] == weakest[k % 5]].assign(lang=f"weak{k}"))
    corpus = pd.concat(parts, ignore_index=True)
    settings = {"quality": str(quality), "seed": seed, "copies_of": weakest}
    inputs = {"unlabeled": unlabeled, "predictions": source}
    meta = read_meta(unlabeled)
    meta["provenance"] = make_provenance("benchmarks/weak_majority.py", settings, inputs, seed)
    write_artifact(corpus, corpus_path, "dataset", {k: v for k, v in meta.items() if k != "artifact"})
    # `data` names the corpus these predictions belong to: distill checks it against its --data.
    provenance = make_provenance(
        "benchmarks/weak_majority.py", settings, {**inputs, "data": corpus_path}, seed
    )
    labels = read_meta(source)["labels"]
    write_artifact(made, predictions_path, "predictions", {"labels": labels, "provenance": provenance})
    return corpus_path, predictions_path, weakest


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--rows",
        default=",".join(r for r in ROWS if "recipe" not in ROWS[r]),
        help=f"comma-separated, from: {', '.join(ROWS)}, or default ({DEFAULT_ROW})",
    )
    parser.add_argument("--quality", default=str(ROOT / "benchmarks/runs/quality/xnli-2ep"))
    parser.add_argument("--root", default=str(ROOT / "benchmarks/runs/weak-majority"))
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    quality, seed = Path(args.quality), args.seed
    finetuned = quality / f"seed{seed}" / "finetuned"
    if not finetuned.exists():
        sys.exit(f"{finetuned}: missing; run benchmarks/quality.py --bench xnli-2ep --seeds {seed} first")
    root = Path(args.root)
    out = root / f"seed{seed}"
    out.mkdir(parents=True, exist_ok=True)
    gold = load_gold(ROOT / "benchmarks/runs/selection")
    corpus, predictions, weakest = build_set(quality, seed, gold, out)
    run = WeakRun(Runner(root), quality, seed, out, corpus, predictions, test_set(quality, out, weakest))
    run.evaluate_model("baseline", finetuned)
    rows = [DEFAULT_ROW if r == "default" else r for r in args.rows.split(",") if r]
    for row in rows:
        spec = ROWS[row]
        if spec.get("auto"):
            run.auto_row(row, weakest)
        elif "recipe" in spec:
            run.recipe_row(row, spec)
        else:
            run.rule_row(row, spec)
    report = summarize(out, rows, gold, weakest)
    (out / "results.md").write_text(report)
    print(report)


def test_set(quality: Path, out: Path, weakest: list[str]) -> Path:
    """XNLI test ids 0-999 in English, Spanish and the 5 real languages the copies are made of."""
    from alsace_cli.io.artifacts import write_artifact

    test = out / "test.parquet"
    if not test.exists():
        frame = pd.read_parquet(quality / "data" / "test.parquet")
        write_artifact(
            frame[frame["lang"].isin(["en", "es", *weakest])].reset_index(drop=True),
            test,
            "dataset",
            {"task": "pair", "labels": ["entailment", "neutral", "contradiction"]},
        )
    return test


@dataclass
class WeakRun:
    """One seed's rows on the `en+es+weak` set: each runs vote, select, make-pairs, distill and eval."""

    runner: Runner
    quality: Path
    seed: int
    out: Path
    corpus: Path
    predictions: Path
    test: Path

    @property
    def finetuned(self) -> Path:
        return self.quality / f"seed{self.seed}" / "finetuned"

    def step(self, what: str, output: Path, action: Callable[[], Any]) -> Path:
        return self.runner.step(f"seed{self.seed} {what}", output, action)

    def evaluate_model(self, row: str, model: Path) -> Path:
        from alsace_cli.stages.evaluate import EvalConfig, evaluate

        metrics = self.out / f"metrics-{row}.parquet"
        config = EvalConfig(
            models=[str(model)],
            data=str(self.test),
            out=str(metrics),
            max_length=MAX_LENGTH,
            precision="fp32",
            predictions_out=str(self.out / f"test-predictions-{row}.parquet"),
        )
        return self.step(f"eval {row}", metrics, lambda: evaluate(config))

    def vote_select_pairs(
        self, row: str, vote_options: dict, select_options: dict, pairs_options: dict
    ) -> tuple[Path, Path, Path]:
        from alsace_cli.stages.pairs import PairsConfig, make_pairs
        from alsace_cli.stages.select import SelectConfig, select
        from alsace_cli.stages.vote import VoteConfig, vote

        predictions = str(self.predictions)
        votes = self.out / f"votes-{row}.parquet"
        voting = VoteConfig(predictions=predictions, out=str(votes), **vote_options)
        self.step(f"vote {row}", votes, lambda: vote(voting))
        languages = self.out / f"languages-{row}.parquet"
        selecting = SelectConfig(
            predictions=predictions, pseudo_labels=str(votes), out=str(languages), **select_options
        )
        self.step(f"select {row}", languages, lambda: select(selecting))
        pairs = self.out / f"pairs-{row}.parquet"
        pairing = PairsConfig(
            data=str(self.corpus), languages=str(languages), out=str(pairs), **pairs_options
        )
        self.step(f"make-pairs {row}", pairs, lambda: make_pairs(pairing))
        return votes, languages, pairs

    def rule_row(self, row: str, spec: dict[str, Any]) -> None:
        """A selection rule's teachers with BENCHMARKS' static settings, guarded or not."""
        from alsace_cli.stages.distill import DistillConfig, distill

        _, _, pairs = self.vote_select_pairs(row, spec["vote"], spec["select"], {})
        distilled = self.out / f"distilled-{row}"
        guarded = spec["guard"]
        config = DistillConfig(
            model=str(self.finetuned),
            data=str(self.corpus),
            pairs=str(pairs),
            out=str(distilled),
            teacher="static",
            predictions=str(self.predictions),
            learning_rate=2e-5,
            max_steps=150,
            pairs_per_batch=16,
            max_length=MAX_LENGTH,
            seed=self.seed,
            dev=str(self.quality / "data" / "dev_en.parquet") if guarded else None,
            eval_every=25 if guarded else 0,
            collapse_check=guarded,
            precision="fp32",
        )
        self.step(f"distill {row}", distilled, lambda: distill(config))
        self.evaluate_model(row, distilled)

    def distill_config(self, out: Path, pairs: Path, dev: Path, precision: str, settings: dict[str, Any]):
        """A recipe row's DistillConfig: the fine-tuned model on the set's corpus and `pairs`, guarded on `dev`."""
        from alsace_cli.stages.distill import DistillConfig

        return DistillConfig(
            model=str(self.finetuned),
            data=str(self.corpus),
            pairs=str(pairs),
            out=str(out),
            max_length=MAX_LENGTH,
            seed=self.seed,
            dev=str(dev),
            precision=precision,
            **settings,
        )

    def distill_settings(self, settings: dict, votes: Path, languages: Path) -> dict[str, Any]:
        """A recipe's [distill] with its inputs wired as `alsace run` wires them."""
        from alsace_cli.training.teachers import teacher_class

        settings = dict(settings)
        needs = teacher_class(settings.get("teacher", "live")).needs
        mask = settings.pop("mask_pseudo_labels", False)
        train = self.quality / "data" / "train.parquet"
        return {
            "predictions": str(self.predictions) if "predictions" in needs else None,
            "languages": str(languages) if "languages" in needs else None,
            "train": str(train) if settings.get("ce_weight", 0) > 0 else None,
            "mask_pseudo_labels": str(votes) if mask else None,
            **settings,
        }

    def auto_row(self, row: str, weakest: list[str]) -> None:
        from alsace_cli.io.artifacts import load_dataset, write_artifact
        from alsace_cli.stages.choose_recipe import choose_recipe
        from alsace_cli.stages.distill import distill
        from alsace_cli.stages.run_settings import auto_distill_sections

        recipe = load_recipe(DEFAULT_RECIPE, frozenset(PIPELINE))
        select_options = {"seed": self.seed, **recipe.get("select", {})}
        votes, languages, pairs = self.vote_select_pairs(
            row, recipe.get("vote", {}), select_options, recipe.get("make-pairs", {})
        )
        dev = self.out / "dev-target.parquet"
        if not dev.exists():
            tune = load_dataset(self.quality / "data" / "tune.parquet")
            keep = tune.frame[tune.frame["lang"].isin(["en", "es", *weakest])].reset_index(drop=True)
            write_artifact(keep, dev, "dataset", dict(tune.meta))
        candidates = {}
        for name, settings in auto_distill_sections({}).items():
            target = self.out / f"distilled-{row}-{name}"
            wired = self.distill_settings(settings, votes, languages)
            config = self.distill_config(target, pairs, dev, "bf16", wired)
            self.step(f"distill {row} {name}", target, lambda config=config: distill(config, resume="auto"))
            candidates[name] = str(target)
        distilled = self.out / f"distilled-{row}"
        self.step(
            f"choose {row}",
            distilled,
            lambda: choose_recipe(candidates, str(self.finetuned), str(distilled), 0.05),
        )
        self.evaluate_model(row, distilled)

    def recipe_row(self, row: str, spec: dict[str, Any]) -> None:
        """A named recipe as `alsace run` applies it, guarded on English XNLI dev."""
        from alsace_cli.stages.distill import distill

        recipe = load_recipe(spec["recipe"], frozenset(PIPELINE))
        settings = dict(recipe.get("distill", {}))
        if spec.get("guard_rule"):
            settings["guard_rule"] = spec["guard_rule"]
        select_options = {"seed": self.seed, **recipe.get("select", {})}
        votes, languages, pairs = self.vote_select_pairs(
            row, recipe.get("vote", {}), select_options, recipe.get("make-pairs", {})
        )
        distilled = self.out / f"distilled-{row}"
        dev = self.quality / "data" / "dev_en.parquet"
        config = self.distill_config(
            distilled, pairs, dev, "fp32", self.distill_settings(settings, votes, languages)
        )
        self.step(f"distill {row}", distilled, lambda: distill(config, resume="auto"))
        self.evaluate_model(row, distilled)


def summarize(out: Path, rows: list[str], gold: pd.Series, weakest: list[str]) -> str:
    def accuracies(row: str) -> pd.Series:
        return pd.read_parquet(out / f"metrics-{row}.parquet").set_index("lang")["accuracy"] * 100

    base = accuracies("baseline")
    lines = [
        f"# Distillation toward a weak majority (benchmarks/weak_majority.py, {out.name})",
        "",
        f"en+es+weak: English, Spanish and weak0-9 (copies of {', '.join(weakest)}), 500 ids; "
        f"test: XNLI test ids 0-999 in en, es, {', '.join(weakest)}.",
        "",
        "| row | vote | pseudo-labels right | teachers | kept step | en | es | 5 weak langs | avg (7) | "
        "Δ avg | Δ en |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
        f"| baseline | - | - | - | - | {base['en']:.2f} | {base['es']:.2f} | {base[weakest].mean():.2f} | "
        f"{base.mean():.2f} | - | - |",
    ]
    for row in rows:
        if not (out / f"metrics-{row}.parquet").exists():
            continue
        acc = accuracies(row)
        votes = pd.read_parquet(out / f"votes-{row}.parquet").set_index("id")["pseudo_label"]
        right = float((votes.loc[gold.index].to_numpy() == gold.to_numpy()).mean()) * 100
        roles = pd.read_parquet(out / f"languages-{row}.parquet")
        teachers = roles.loc[roles["role"] == "teacher", "lang"].tolist()
        provenance = json.loads((out / f"distilled-{row}" / "alsace_provenance.json").read_text())
        guard = provenance.get("guard", {})
        kept = guard.get("kept_step", "?")
        if "auto" in provenance:  # which candidate `auto` kept, if any
            kept = f"{provenance['auto']['chosen'] or 'fine-tuned'}, {kept}"
        recipe = ROWS[row].get("recipe", DEFAULT_RECIPE)
        vote_spec = ROWS[row].get("vote") or load_recipe(recipe, frozenset(PIPELINE)).get("vote", {})
        vote_rule = vote_spec.get("rule", "majority") + (
            ", degenerate out" if vote_spec.get("exclude_degenerate") else ""
        )
        lines.append(
            f"| {row} | {vote_rule} | {right:.1f} | {len(teachers)}: {', '.join(teachers)} | "
            f"{kept} | {acc['en']:.2f} | {acc['es']:.2f} | {acc[weakest].mean():.2f} | "
            f"{acc.mean():.2f} | {acc.mean() - base.mean():+.2f} | {acc['en'] - base['en']:+.2f} |"
        )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
