"""The runs the golden fingerprint pins: `alsace run` on both samples, `distill` with every teacher and
objective, a finetune with a dev set, self-training and a resumed distill, all on tiny local models.

Every scenario goes through the command line (in process), which is what users run, so a refactor of
anything below it is checked against what users see. Paths are absolute, so the runs do not depend on the
current directory.
"""

from __future__ import annotations

import signal
from collections.abc import Callable
from pathlib import Path

import tomli_w
import tomllib
from typer.testing import CliRunner

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "sample_data"


def alsace(*args: object) -> None:
    from alsace_cli.cli.app import app

    result = CliRunner().invoke(app, [str(a) for a in args], catch_exceptions=False)
    if result.exit_code != 0:
        raise RuntimeError(
            f"alsace {' '.join(map(str, args))}: exit {result.exit_code}\n{result.output[-3000:]}"
        )


# The same bits on every CPU: auto precision is bf16 on CPUs that compute it.
FP32 = {stage: {"precision": "fp32"} for stage in ("finetune", "predict", "distill", "eval")}


def sample_config(name: str, run_dir: Path, out: Path) -> Path:
    """A shipped sample config with its data paths made absolute, its run directory moved, and inference
    in fp32 (auto is bf16 on CPUs that compute it, which would make the fingerprint the CPU's)."""
    config = tomllib.loads((SAMPLE / name).read_text())
    for section, values in FP32.items():
        config.setdefault(section, {}).update(values)
    for key in ("train", "unlabeled", "test", "dev"):
        if key in config["run"]:  # relative to the sample's folder, as alsace reads a TOML file's paths
            config["run"][key] = str((SAMPLE / config["run"][key]).resolve())
    config["run"]["dir"] = str(run_dir)
    config["run"]["device"] = "cpu"
    out.write_text(tomli_w.dumps(config))
    return out


# The QA baseline run the QA objectives below start from (the shipped qa.toml before it gained an unlabeled
# corpus), written here so that those scenarios do not move when the sample does.
QA_BASELINE = {
    "run": {
        "model": "tiny",
        "train": "sample_data/qa_train_en.parquet",
        "test": "sample_data/qa_test.parquet",
        "source_lang": "en",
        "seed": 42,
    },
    "finetune": {"learning_rate": 1e-3, "epochs": 30, "batch_size": 16, "max_length": 96},
    "predict": {"max_length": 96},
    "eval": {"max_length": 96},
}


def baseline_config(run_dir: Path, out: Path) -> Path:
    config = {section: dict(values) for section, values in QA_BASELINE.items()}
    for section, values in FP32.items():
        if section in config:  # the stages it runs
            config[section].update(values)
    for key in ("train", "test"):
        config["run"][key] = str(ROOT / config["run"][key])
    config["run"] |= {"dir": str(run_dir), "device": "cpu"}
    out.write_text(tomli_w.dumps(config))
    return out


def sample_dev(out: Path) -> Path:
    """The sample's test ids 0-14 in its 6 languages, as a dev set for `--recipe auto`."""
    from alsace_cli.io.artifacts import dataset_meta, load_dataset, write_artifact

    test = load_dataset(SAMPLE / "test.parquet", require_labels=True)
    rows = test.frame[test.frame["id"].astype(int) < 15]
    return write_artifact(rows.reset_index(drop=True), out, "dataset", dataset_meta(test.task, test.labels))


def interrupted_at(step: int, run: Callable[[], None]) -> None:
    """Run `run` with SIGINT delivered while the training loop logs `step`; it must stop with exit 130."""
    from alsace_cli.training import setup as training

    original = training.TrainLog.add

    def add(self, **values):
        original(self, **values)
        if values.get("step") == step and "loss" in values:
            signal.raise_signal(signal.SIGINT)

    training.TrainLog.add = add
    try:
        run()
    except RuntimeError as exc:
        assert "exit 130" in str(exc), exc
    else:
        raise AssertionError("the run was not interrupted")
    finally:
        training.TrainLog.add = original


def run_all(w: Path) -> None:
    """Every scenario into `w` (created); about a minute on 2 CPU cores."""
    w.mkdir(parents=True, exist_ok=True)
    s, q = w / "sample", w / "qa"
    # The pinned runs keep the pairs as a table (--materialize), as they were recorded; `sample-rule` is the
    # default since: pairs drawn from the rule.
    alsace(
        "run",
        "--config",
        sample_config("alsace.toml", s, w / "alsace.toml"),
        "--set",
        "make-pairs.materialize=true",
    )
    alsace(
        "run",
        "--config",
        sample_config("alsace.toml", w / "sample-rule", w / "rule.toml"),
        "--set",
        "distill.collapse_check=false",
    )
    # `--recipe auto` (the default with a dev set beyond English): three candidates from one fine-tuned model.
    alsace(
        "run",
        "--config",
        sample_config("alsace.toml", w / "sample-auto", w / "auto.toml"),
        "--set",
        f"run.dev={sample_dev(w / 'dev.parquet')}",
    )
    alsace("run", "--config", baseline_config(q, w / "qa.toml"))
    alsace("run", "--config", sample_config("qa.toml", w / "qa-run", w / "qa-run.toml"))
    unlabeled, train, test = (
        SAMPLE / "unlabeled.parquet",
        SAMPLE / "train_en.parquet",
        SAMPLE / "test.parquet",
    )
    common = [
        "--model",
        s / "finetuned",
        "--data",
        unlabeled,
        "--pairs",
        s / "pairs.parquet",
        "--max-steps",
        6,
        "--pairs-per-batch",
        8,
        "--lr",
        "5e-4",
        "--max-length",
        64,
        "--no-collapse-check",
        "--device",
        "cpu",
        "--precision",
        "fp32",
        "--seed",
        3,
    ]
    variants = {
        "live": [],
        "static": ["--teacher", "static", "--predictions", s / "predictions.parquet"],
        "mutual": ["--teacher", "mutual"],
        "epoch": ["--teacher", "epoch", "--max-steps", 80],
        "ensemble": [
            "--teacher",
            "ensemble",
            "--predictions",
            s / "predictions.parquet",
            "--languages",
            s / "languages.parquet",
        ],
        "ensemble-conf": [
            "--teacher",
            "ensemble",
            "--predictions",
            s / "predictions.parquet",
            "--languages",
            s / "languages.parquet",
            "--ensemble-weights",
            "confidence",
        ],
        "ce": ["--ce-weight", 0.5, "--train", train],
        "mapk": ["--kl-weight", "map@k", "--pseudo-labels", s / "pseudo_labels.parquet", "--kl-top-k", 2],
        "mask": ["--mask-pseudo-labels", s / "pseudo_labels.parquet", "--sharpen", 0.5, "--temperature", 2],
        "guarded": ["--dev", test, "--eval-every", 2, "--collapse-check", "--guard-alpha", 0.2],
    }
    for name, extra in variants.items():
        alsace("distill", *common, *extra, "--out", w / f"distill-{name}")
    resumed = ["distill", *common, "--out", w / "distill-resumed"]
    interrupted_at(3, lambda: alsace(*resumed))
    alsace(*resumed, "--resume")

    alsace(
        "finetune",
        "--model",
        s / "tiny-base",
        "--train",
        train,
        "--dev",
        test,
        "--out",
        w / "finetune-dev",
        "--epochs",
        3,
        "--batch-size",
        16,
        "--lr",
        "1e-3",
        "--max-length",
        64,
        "--group-by-length",
        "--device",
        "cpu",
        "--precision",
        "fp32",
        "--seed",
        5,
    )
    alsace(
        "self-train",
        "--model",
        s / "finetuned",
        "--predictions",
        s / "predictions.parquet",
        "--data",
        unlabeled,
        "--scope",
        "all",
        "--out",
        w / "self-train",
        "--max-steps",
        4,
        "--batch-size",
        8,
        "--lr",
        "1e-3",
        "--max-length",
        64,
        "--device",
        "cpu",
        "--precision",
        "fp32",
    )

    qa_test = SAMPLE / "qa_test.parquet"
    qa_common = ["--model", q / "finetuned", "--max-length", 96, "--device", "cpu", "--precision", "fp32"]
    alsace("cross-sample", "--data", qa_test, "--n", 1, "--out", w / "qa-cross.parquet")
    alsace(
        "distill",
        *qa_common,
        "--data",
        w / "qa-cross.parquet",
        "--teacher",
        "epoch",
        "--ce-weight",
        1,
        "--kl-weight",
        "map@k",
        "--max-steps",
        6,
        "--pairs-per-batch",
        8,
        "--lr",
        "5e-4",
        "--out",
        w / "qa-skd",
    )
    alsace("predict", *qa_common, "--data", qa_test, "--out", w / "qa-predictions.parquet")
    alsace("select", "--predictions", w / "qa-predictions.parquet", "--out", w / "qa-languages.parquet")
    alsace(
        "make-pairs",
        "--data",
        qa_test,
        "--languages",
        w / "qa-languages.parquet",
        "--question-language-pairs",
        "--materialize",
        "--out",
        w / "qa-pairs.parquet",
    )
    for teacher in ("live", "epoch"):
        alsace(
            "distill",
            *qa_common,
            "--data",
            qa_test,
            "--pairs",
            w / "qa-pairs.parquet",
            "--teacher",
            teacher,
            "--max-steps",
            5,
            "--pairs-per-batch",
            4,
            "--lr",
            "5e-4",
            "--out",
            w / f"qa-pairs-{teacher}",
        )
