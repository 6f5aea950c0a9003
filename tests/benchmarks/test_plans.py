"""The long benchmark scripts' plans, pinned: every command, subset and stage config they run, in order.

They take 30-60 min on real data, so a refactor of them is checked here instead: each script's `main` runs
with alsace's CLI, the subsets and the stages replaced by recorders that write an empty output, and what it
asked for must equal tests/benchmarks/plans.json (recorded from the code before the refactor that split them).
After an intended change to a plan: `ALSACE_RECORD_PLANS=1 pytest tests/benchmarks/test_plans.py`.
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest

from tests.benchmarks.test_default_rows import ROOT, load

SHARED = ROOT.parent / "shared"
GOLDEN = Path(__file__).with_name("plans.json")
# Stands in for every dataset a subset reads: 20 ids × 6 languages, 6 (question, context) pairs.
FAKE = pd.DataFrame(
    {
        "id": [str(i // 6) for i in range(120)],
        "lang": ["en", "de", "hi", "es", "ar", "zh"] * 20,
        "question_lang": ["en", "de", "en", "de", "hi", "hi"] * 20,
    }
)


class Recorder:
    def __init__(self, tmp: Path) -> None:
        self.tmp, self.events = tmp, []

    def clean(self, value):
        if isinstance(value, list | tuple):
            return [self.clean(v) for v in value]
        if isinstance(value, dict):
            return {k: self.clean(v) for k, v in value.items()}
        if isinstance(value, Path | str):
            text = str(value).replace(str(self.tmp), "<TMP>").replace(str(SHARED.resolve()), "<SHARED>")
            return text.replace(str(SHARED), "<SHARED>").replace(str(ROOT), "<ROOT>")
        return value

    @staticmethod
    def touch(path) -> None:
        path = Path(path)
        if path.suffix:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.touch()
        else:
            path.mkdir(parents=True, exist_ok=True)

    def run(self, argv, **_):
        argv = [str(a) for a in argv]
        self.events.append(["run", self.clean(argv)])
        if argv[0] == "alsace" and "--out" in argv:
            self.touch(argv[argv.index("--out") + 1])
        if len(argv) > 1 and argv[1].endswith("qa_reference.py"):
            self.touch(argv[4])
        return SimpleNamespace(stdout="MODEL\n", returncode=0)

    def subset(self, src, dst, keep) -> None:
        kept = keep(FAKE)
        self.events.append(["subset", self.clean(src), self.clean(dst), list(kept["id"]), list(kept["lang"])])
        self.touch(dst)

    def call(self, name: str):
        def called(*args, **_):
            self.events.append(["call", name, self.clean([a for a in args if isinstance(a, Path | str)])])
            if name == "time_alsace_loop":
                self.touch(args[0] / "agree_alsace_loop.json")
            return "report\n"

        return called

    def stage(self, name: str):
        def staged(config, **kwargs):
            self.events.append(["stage", name, self.clean(dataclasses.asdict(config)), self.clean(kwargs)])
            self.touch(config.out)

        return staged

    def choose(self, candidates: dict, finetuned: str, out: str, alpha: float) -> None:
        self.events.append(["choose_recipe", self.clean(candidates), self.clean([finetuned, out]), alpha])
        self.touch(out)

    def timings(self) -> None:
        found = {
            str(t.relative_to(self.tmp)): sorted(json.loads(t.read_text()))
            for t in self.tmp.rglob("timings.json")
        }
        self.events.append(["timings", dict(sorted(found.items()))])


def qa_plan(script: str, rec: Recorder, monkeypatch: pytest.MonkeyPatch, *argv: str) -> None:
    module = load(script, monkeypatch)
    monkeypatch.setattr(subprocess, "run", rec.run)
    for owner in (module, sys.modules.get("qa_steps")):
        for name in ("subset", "sample"):  # the scripts' own name for it, before the split
            if hasattr(owner, name):
                monkeypatch.setattr(owner, name, rec.subset)
        if owner is not None:
            monkeypatch.setattr(owner, "read_artifact", lambda *_: SimpleNamespace(frame=FAKE))
    for name in ("time_alsace_loop", "report", "summarize"):
        if hasattr(module, name):
            monkeypatch.setattr(module, name, rec.call(name))
    monkeypatch.setattr(
        sys, "argv", [script, "--root", str(rec.tmp / script), "--model-dir", str(rec.tmp / "m"), *argv]
    )
    module.main()


def weak_majority_plan(rec: Recorder, monkeypatch: pytest.MonkeyPatch) -> None:
    import alsace_cli.stages.choose_recipe as choose_recipe
    import alsace_cli.stages.distill as distill
    import alsace_cli.stages.evaluate as evaluate
    import alsace_cli.stages.pairs as pairs
    import alsace_cli.stages.select as select
    import alsace_cli.stages.vote as vote
    from alsace_cli.io.artifacts import write_artifact

    module = load("weak_majority", monkeypatch)
    for owner, name in (
        (distill, "distill"),
        (evaluate, "evaluate"),
        (pairs, "make_pairs"),
        (select, "select"),
        (vote, "vote"),
    ):
        monkeypatch.setattr(owner, name, rec.stage(name))
    monkeypatch.setattr(choose_recipe, "choose_recipe", rec.choose)
    monkeypatch.setattr(module, "load_gold", lambda _: pd.Series(dtype=str))
    weakest = ["ur", "tr", "hi", "sw", "zh"]
    monkeypatch.setattr(
        module, "build_set", lambda q, s, g, o: (o / "corpus.parquet", o / "predictions.parquet", weakest)
    )
    monkeypatch.setattr(module, "summarize", lambda out, rows, *_: rec.call("summarize")(out, *rows))
    quality = rec.tmp / "quality"
    (quality / "seed1" / "finetuned").mkdir(parents=True)
    (quality / "data").mkdir()
    test = {"id": ["0", "0"], "lang": ["en", "fr"], "premise": ["a", "b"], "hypothesis": ["c", "d"]}
    pd.DataFrame({**test, "label": ["entailment"] * 2}).to_parquet(quality / "data" / "test.parquet")
    tune = {
        "id": ["5", "5", "5"],
        "lang": ["en", "fr", "ur"],
        "text_a": ["a", "b", "c"],
        "text_b": ["d", "e", "f"],
    }
    labels = {"task": "pair", "labels": ["entailment", "neutral", "contradiction"]}
    write_artifact(
        pd.DataFrame({**tune, "label": [0, 0, 0]}), quality / "data" / "tune.parquet", "dataset", labels
    )
    argv = ["--quality", str(quality), "--root", str(rec.tmp / "wm"), "--rows", ",".join(module.ROWS)]
    monkeypatch.setattr(sys, "argv", ["weak_majority", *argv])
    module.main()
    rec.events.append(["files", sorted(str(p.relative_to(rec.tmp)) for p in (rec.tmp / "wm").rglob("*"))])


PLANS = {
    "qa_baseline": lambda rec, mp: qa_plan("qa_baseline", rec, mp, "--mlqa-per-pair", "5"),
    "qa_distill": lambda rec, mp: qa_plan("qa_distill", rec, mp),
    "weak_majority": weak_majority_plan,
}


@pytest.mark.skipif(not SHARED.exists(), reason="../shared is absent: the QA scripts list its data files")
@pytest.mark.parametrize("script", sorted(PLANS))
def test_a_benchmark_runs_the_plan_it_was_pinned_with(script: str, tmp_path: Path, monkeypatch) -> None:
    rec = Recorder(tmp_path)
    PLANS[script](rec, monkeypatch)
    rec.timings()
    golden = json.loads(GOLDEN.read_text()) if GOLDEN.exists() else {}
    if os.environ.get("ALSACE_RECORD_PLANS"):
        GOLDEN.write_text(json.dumps({**golden, script: rec.events}, indent=0, sort_keys=True) + "\n")
        pytest.skip(f"recorded {script}'s plan in {GOLDEN.name}")
    assert rec.events == golden[script]
