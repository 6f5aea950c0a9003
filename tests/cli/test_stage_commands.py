"""Each subcommand run through Typer on the tiny model, checking the Parquet it writes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from alsace_cli.io.artifacts import read_artifact, write_artifact
from tests.cli.helpers import ok, stdout_json
from tests.conftest import LANGS

# The tiny random model's near-uniform predictions flip wholesale in one step at these learning rates, which
# the collapse detector rightly reports (and rolls back); tests of other behaviour switch it off. The
# detector itself is tested in tests/stages/test_distill_guard.py.
NO_DETECTOR = ("--no-collapse-check",)


@pytest.fixture(scope="module")
def stages(tmp_path_factory: pytest.TempPathFactory, data_dir: Path, finetuned: Path) -> Path:
    """predict → vote → select → make-pairs on the unlabeled fixture, through the CLI."""
    out = tmp_path_factory.mktemp("stages")
    ok(
        "predict",
        "--model",
        finetuned,
        "--data",
        data_dir / "unlabeled.parquet",
        "--out",
        out / "predictions.parquet",
        "--device",
        "cpu",
        "--precision",
        "fp32",
    )  # the same roles on every CPU
    ok("vote", "--predictions", out / "predictions.parquet", "--out", out / "pseudo_labels.parquet")
    ok(
        "select",
        "--predictions",
        out / "predictions.parquet",
        "--pseudo-labels",
        out / "pseudo_labels.parquet",
        "--out",
        out / "languages.parquet",
        "--threshold",
        "mean",
    )
    ok(
        "make-pairs",
        "--data",
        data_dir / "unlabeled.parquet",
        "--languages",
        out / "languages.parquet",
        "--out",
        out / "pairs.parquet",
        "--materialize",
    )  # the table, read by the tests below
    ok(
        "make-pairs",
        "--data",
        data_dir / "unlabeled.parquet",
        "--languages",
        out / "languages.parquet",
        "--out",
        out / "pair_rule.parquet",
    )  # the default: the rule
    return out


def test_finetune_writes_model_log_config_and_provenance(finetuned: Path) -> None:
    names = {p.name for p in finetuned.iterdir()}
    assert {
        "config.json",
        "model.safetensors",
        "tokenizer.json",
        "train_log.parquet",
        "alsace_config.toml",
        "alsace_provenance.json",
    } <= names
    log = pd.read_parquet(finetuned / "train_log.parquet")
    assert log["step"].tolist() == [1, 2] and log["loss"].notna().all()
    config = json.loads((finetuned / "config.json").read_text())
    assert config["id2label"] == {"0": "entailment", "1": "neutral", "2": "contradiction"}
    provenance = json.loads((finetuned / "alsace_provenance.json").read_text())
    assert provenance["seed"] == 42 and provenance["config"]["max_steps"] == 2
    assert len(provenance["inputs"]["train"]["sha256"]) == 64


def test_finetune_cli_with_dev_keeps_a_dev_accuracy(tmp_path: Path, data_dir: Path, tiny_base: Path) -> None:
    result = ok(
        "finetune",
        "--model",
        tiny_base,
        "--train",
        data_dir / "train.parquet",
        "--dev",
        data_dir / "train.parquet",
        "--out",
        tmp_path / "ft",
        "--max-steps",
        "3",
        "--batch-size",
        "8",
        "--device",
        "cpu",
        "--json",
    )
    assert stdout_json(result)["model"] == str(tmp_path / "ft")
    log = pd.read_parquet(tmp_path / "ft" / "train_log.parquet")
    assert log["dev_accuracy"].notna().sum() >= 1  # 24 rows / batch 8 = one epoch of 3 steps
    assert (tmp_path / "ft" / "alsace_config.toml").read_text().count("max_steps = 3") == 1


def test_predict_writes_distributions_with_provenance(stages: Path, data_dir: Path) -> None:
    frame = pd.read_parquet(stages / "predictions.parquet")
    assert len(frame) == 8 * len(LANGS)
    probs = np.stack(frame["probs"].to_numpy())
    assert probs.shape == (32, 3) and np.allclose(probs.sum(axis=1), 1, atol=1e-5)
    assert (frame["pred"].to_numpy() == probs.argmax(axis=1)).all()
    assert np.allclose(frame["confidence"], probs.max(axis=1))
    meta = json.loads(pq.read_schema(stages / "predictions.parquet").metadata[b"alsace"])
    assert meta["artifact"] == "predictions" and meta["labels"] == ["entailment", "neutral", "contradiction"]
    provenance = meta["provenance"]
    assert {"torch", "transformers", "alsace", "python"} <= set(provenance["versions"])
    assert provenance["inputs"]["data"]["path"] == str(data_dir / "unlabeled.parquet")
    assert provenance["stage"] == "predict" and provenance["config"]["device"] == "cpu"
    assert isinstance(provenance["command"], str) and provenance["created_at"]
    assert (stages / "predictions.config.toml").exists()


def test_vote_select_pairs_outputs(stages: Path) -> None:
    pseudo = pd.read_parquet(stages / "pseudo_labels.parquet")
    assert len(pseudo) == 8 and (pseudo["n_langs"] == len(LANGS)).all()
    languages = pd.read_parquet(stages / "languages.parquet")
    assert sorted(languages["lang"]) == sorted(LANGS)
    assert languages["score"].sum() == pytest.approx(1.0)
    meta = json.loads(pq.read_schema(stages / "languages.parquet").metadata[b"alsace"])
    assert meta["threshold"] == pytest.approx(1 / len(LANGS)) and meta["threshold_spec"] == "mean"
    pairs = pd.read_parquet(stages / "pairs.parquet")
    roles = dict(zip(languages["lang"], languages["role"], strict=True))
    teachers = [lang for lang, role in roles.items() if role == "teacher"]
    assert len(pairs) == 8 * len(teachers) * (len(LANGS) - 1)
    assert set(pairs["teacher_lang"]) == set(teachers)
    assert (pairs["student_lang"] != pairs["teacher_lang"]).all()
    rule = json.loads(pq.read_schema(stages / "pair_rule.parquet").metadata[b"alsace"])
    assert rule["artifact"] == "pair_rule" and rule["pairs"] == len(
        pairs
    )  # the rule allows the table's pairs


def test_select_json_and_numeric_threshold(stages: Path, tmp_path: Path) -> None:
    result = ok(
        "select",
        "--predictions",
        stages / "predictions.parquet",
        "--pseudo-labels",
        stages / "pseudo_labels.parquet",
        "--out",
        tmp_path / "l.parquet",
        "--threshold",
        "0",
        "--json",
    )
    payload = stdout_json(result)
    assert payload["threshold"] == 0.0 and {row["role"] for row in payload["table"]} == {"teacher"}


def test_distill_changes_the_model_and_logs_each_step(
    stages: Path, data_dir: Path, finetuned: Path, tmp_path: Path
) -> None:
    from safetensors.numpy import load_file

    out = tmp_path / "distilled"
    ok(
        "distill",
        "--model",
        finetuned,
        "--data",
        data_dir / "unlabeled.parquet",
        "--pairs",
        stages / "pairs.parquet",
        "--out",
        out,
        "--steps",
        "2",
        "--pairs-per-batch",
        "4",
        "--lr",
        "1e-3",
        "--device",
        "cpu",
        *NO_DETECTOR,
    )
    log = pd.read_parquet(out / "train_log.parquet")
    assert log["step"].tolist() == [1, 2]
    assert log["kl"].ge(0).all() and log["ce"].isna().all()
    before, after = load_file(finetuned / "model.safetensors"), load_file(out / "model.safetensors")
    assert any(not np.array_equal(before[k], after[k]) for k in before)
    guard = json.loads((out / "alsace_provenance.json").read_text())["guard"]
    assert guard["kept_step"] == 2 and guard["reason"].startswith("unguarded")


def test_distill_with_english_ce_term(stages: Path, data_dir: Path, finetuned: Path, tmp_path: Path) -> None:
    ok(
        "distill",
        "--model",
        finetuned,
        "--data",
        data_dir / "unlabeled.parquet",
        "--pairs",
        stages / "pairs.parquet",
        "--out",
        tmp_path / "d",
        "--steps",
        "2",
        "--ce-weight",
        "0.5",
        "--train",
        data_dir / "train.parquet",
        "--teacher",
        "mutual",
        "--temperature",
        "2",
        "--device",
        "cpu",
    )
    log = pd.read_parquet(tmp_path / "d" / "train_log.parquet").dropna(subset=["kl"])
    assert log["ce"].notna().all()
    assert np.allclose(log["loss"], log["kl"] + 0.5 * log["ce"], rtol=1e-5)


@pytest.mark.parametrize(
    "flag", ["--exclude-weak-students", "--exclude-weak-teachers", "--include-student-pairs"]
)
def test_make_pairs_ablation_flags_write_their_pairs(
    stages: Path, data_dir: Path, tmp_path: Path, flag: str
) -> None:
    result = ok(
        "make-pairs",
        "--data",
        data_dir / "unlabeled.parquet",
        "--languages",
        stages / "languages.parquet",
        "--out",
        tmp_path / "p.parquet",
        flag,
        "--materialize",
        "--json",
    )
    pairs, full = pd.read_parquet(tmp_path / "p.parquet"), pd.read_parquet(stages / "pairs.parquet")
    meta = json.loads(pq.read_schema(tmp_path / "p.parquet").metadata[b"alsace"])
    assert stdout_json(result)["rows"] == len(pairs)
    if flag == "--include-student-pairs":
        assert len(pairs) > len(full) and "student-student" in set(pairs["pair_type"])
    else:
        side, key = (
            ("student_lang", "excluded_students")
            if "students" in flag
            else ("teacher_lang", "excluded_teachers")
        )
        assert meta[key] and not set(pairs[side]) & set(meta[key])
        assert len(pairs) == len(full) - full[side].isin(meta[key]).sum()


@pytest.mark.parametrize(("mode", "langs"), [("source", ["en"]), ("all", sorted(LANGS))])
def test_self_train_writes_its_pseudo_labeled_set_and_a_model(
    stages: Path, data_dir: Path, finetuned: Path, tmp_path: Path, mode: str, langs: list[str]
) -> None:
    out = tmp_path / "st"
    result = ok(
        "self-train",
        "--model",
        finetuned,
        "--predictions",
        stages / "predictions.parquet",
        "--data",
        data_dir / "unlabeled.parquet",
        "--out",
        out,
        "--languages",
        mode,
        "--steps",
        "2",
        "--batch-size",
        "4",
        "--device",
        "cpu",
        "--json",
    )
    assert stdout_json(result)["model"] == str(out) and (out / "model.safetensors").exists()
    train = pd.read_parquet(f"{out}.train.parquet")
    preds = pd.read_parquet(stages / "predictions.parquet").set_index(["id", "lang"])
    assert sorted(train["lang"].unique()) == langs
    assert train.groupby("lang").size().eq(4).all()  # half of the 8 ids per language
    assert (
        train["label"].to_numpy()
        == preds.loc[list(zip(train["id"], train["lang"], strict=True)), "pred"].to_numpy()
    ).all()


def test_static_teacher_starts_at_zero_kl_and_guard_logs_dev_checks(
    stages: Path, data_dir: Path, finetuned: Path, tmp_path: Path
) -> None:
    # Static targets are the fine-tuned model's own predictions: with no dropout on the student, the first
    # step compares the model with itself, so its KL is zero up to float error.
    ok(
        "distill",
        "--model",
        finetuned,
        "--data",
        data_dir / "unlabeled.parquet",
        "--pairs",
        stages / "pairs.parquet",
        "--out",
        tmp_path / "d",
        "--steps",
        "3",
        "--teacher",
        "static",
        "--predictions",
        stages / "predictions.parquet",
        "--no-student-dropout",
        "--max-length",
        "128",
        "--dev",
        data_dir / "train.parquet",
        "--eval-every",
        "2",
        "--lr",
        "1e-2",
        "--device",
        "cpu",
        *NO_DETECTOR,
    )
    log = pd.read_parquet(tmp_path / "d" / "train_log.parquet")
    steps = log.dropna(subset=["kl"])
    assert steps["step"].tolist() == [1, 2, 3]
    assert steps["kl"].iloc[0] == pytest.approx(0.0, abs=1e-5) and steps["kl"].iloc[1:].gt(1e-6).any()
    assert log.dropna(subset=["dev_accuracy"])["step"].tolist() == [0, 2, 3]


def test_mask_pseudo_labels_counts_only_pairs_whose_teacher_predicts_the_vote(
    stages: Path, data_dir: Path, finetuned: Path, tmp_path: Path
) -> None:
    import torch
    from safetensors.torch import load_file

    votes = pd.read_parquet(stages / "pseudo_labels.parquet")
    predictions = pd.read_parquet(stages / "predictions.parquet")
    pairs = pd.read_parquet(stages / "pairs.parquet")
    teacher_pred = predictions.set_index(["id", "lang"])["pred"]
    wanted = teacher_pred.reindex(pd.MultiIndex.from_arrays([pairs["id"], pairs["teacher_lang"]])).to_numpy()
    meta = read_artifact(stages / "pseudo_labels.parquet", "pseudo_labels").meta
    by_id = pd.Series(wanted, index=pairs["id"]).groupby(level=0)
    assert (by_id.nunique() == 1).all()  # in this fixture the teacher sides of an id agree
    first = by_id.first()
    # Pseudo-labels no teacher side predicts: every pair is masked out, so nothing may train.
    never = votes["id"].map(lambda i: (int(first[i]) + 1) % 3)
    write_artifact(votes.assign(pseudo_label=never), tmp_path / "never.parquet", "pseudo_labels", meta)
    common = [
        "--model",
        finetuned,
        "--data",
        data_dir / "unlabeled.parquet",
        "--pairs",
        stages / "pairs.parquet",
        "--steps",
        "2",
        "--teacher",
        "static",
        "--predictions",
        stages / "predictions.parquet",
        "--lr",
        "1e-2",
        "--device",
        "cpu",
    ]
    ok("distill", *common, "--out", tmp_path / "none", "--mask-pseudo-labels", tmp_path / "never.parquet")
    log = pd.read_parquet(tmp_path / "none" / "train_log.parquet").dropna(subset=["kl"])
    assert (log["pairs_kept"] == 0).all() and (log["kl"] == 0).all()
    before, after = (
        load_file(finetuned / "model.safetensors"),
        load_file(tmp_path / "none" / "model.safetensors"),
    )
    assert all(torch.equal(before[k], after[k]) for k in before)
    always = votes["id"].map(first)
    write_artifact(votes.assign(pseudo_label=always), tmp_path / "always.parquet", "pseudo_labels", meta)
    ok(
        "distill",
        *common,
        "--out",
        tmp_path / "all",
        "--mask-pseudo-labels",
        tmp_path / "always.parquet",
        "--sharpen",
        "0.5",
    )
    log = pd.read_parquet(tmp_path / "all" / "train_log.parquet").dropna(subset=["kl"])
    assert (log["pairs_kept"] == 1).all() and (log["kl"] > 0).all()


def test_eval_compares_models_with_groups_json_and_plot(
    stages: Path, data_dir: Path, finetuned: Path, tmp_path: Path
) -> None:
    shutil.copytree(finetuned, tmp_path / "copy")
    result = ok(
        "eval",
        "--model",
        finetuned,
        "--model",
        tmp_path / "copy",
        "--data",
        data_dir / "test.parquet",
        "--languages",
        stages / "languages.parquet",
        "--out",
        tmp_path / "metrics.parquet",
        "--plot",
        tmp_path / "acc.png",
        "--report",
        "all",
        "--json",
        "--device",
        "cpu",
    )
    metrics = pd.read_parquet(tmp_path / "metrics.parquet")
    assert len(metrics) == 2 * len(LANGS)
    assert {"model", "lang", "n", "accuracy", "gap", "role"} <= set(metrics.columns)
    en = metrics[metrics["lang"] == "en"]
    assert en["gap"].isna().all()
    de = metrics[metrics["lang"] == "de"].iloc[0]
    assert de["gap"] == pytest.approx(en["accuracy"].iloc[0] - de["accuracy"])
    payload = stdout_json(result)
    groups = {row["group"] for row in payload["summary"]}
    assert "all" in groups and groups <= {"all", "teachers", "students"}
    assert (tmp_path / "acc.png").stat().st_size > 1000
    assert (
        "Δ" in result.stderr and "avg acc" in result.stderr and "Ensemble across languages" in result.stderr
    )
    methods = [(row["model"], row["method"]) for row in payload["ensemble"]]
    assert methods == [
        (str(m), k) for m in (finetuned, tmp_path / "copy") for k in ("vote", "en only", "ŝ-weighted")
    ]


def test_same_seed_same_predictions(tmp_path: Path, data_dir: Path, tiny_base: Path) -> None:
    frames = []
    for run in ("a", "b"):
        ok(
            "finetune",
            "--model",
            tiny_base,
            "--train",
            data_dir / "train.parquet",
            "--out",
            tmp_path / run,
            "--max-steps",
            "2",
            "--batch-size",
            "8",
            "--lr",
            "1e-3",
            "--seed",
            "3",
            "--device",
            "cpu",
        )
        ok(
            "predict",
            "--model",
            tmp_path / run,
            "--data",
            data_dir / "test.parquet",
            "--out",
            tmp_path / f"{run}.parquet",
            "--device",
            "cpu",
        )
        frames.append(pd.read_parquet(tmp_path / f"{run}.parquet"))
    assert np.array_equal(np.stack(frames[0]["probs"]), np.stack(frames[1]["probs"]))
    assert frames[0][["id", "lang", "pred"]].equals(frames[1][["id", "lang", "pred"]])


def test_config_file_sets_defaults_and_flags_override(tmp_path: Path, stages: Path) -> None:
    config = tmp_path / "alsace.toml"
    config.write_text(
        f'[select]\npredictions = "{stages / "predictions.parquet"}"\n'
        f'pseudo_labels = "{stages / "pseudo_labels.parquet"}"\nthreshold = "1.0"\n'
    )
    ok("select", "--config", config, "--out", tmp_path / "a.parquet")
    assert (pd.read_parquet(tmp_path / "a.parquet")["role"] == "student").all()
    ok("select", "--config", config, "--out", tmp_path / "b.parquet", "--threshold", "0")
    assert (pd.read_parquet(tmp_path / "b.parquet")["role"] == "teacher").all()
    saved = (tmp_path / "b.config.toml").read_text()
    assert 'threshold = "0"' in saved and "[select]" in saved


def test_distill_freeze_embeddings_keeps_word_embeddings(
    stages: Path, data_dir: Path, finetuned: Path, tmp_path: Path
) -> None:
    import torch
    from safetensors.torch import load_file

    ok(
        "distill",
        "--model",
        finetuned,
        "--data",
        data_dir / "unlabeled.parquet",
        "--pairs",
        stages / "pairs.parquet",
        "--out",
        tmp_path / "d",
        "--steps",
        "2",
        "--lr",
        "1e-2",
        "--freeze-embeddings",
        "--device",
        "cpu",
        *NO_DETECTOR,
    )
    before, after = (
        load_file(finetuned / "model.safetensors"),
        load_file(tmp_path / "d" / "model.safetensors"),
    )
    embeddings = [k for k in before if "word_embeddings" in k]
    assert embeddings and all(torch.equal(before[k], after[k]) for k in embeddings)
    assert any(not torch.equal(before[k], after[k]) for k in before if k not in embeddings)


def test_a_bare_distill_applies_the_default_recipe_and_finds_its_inputs(
    stages: Path, data_dir: Path, finetuned: Path, tmp_path: Path
) -> None:
    """Issue 34.5: a bare `alsace distill` trained the paper's live KL, which collapses a real model. Now it
    takes the default recipe's settings, says so, and finds predict's and select's outputs through --pairs."""
    import tomllib

    from alsace_cli.configs.recipes import DEFAULT_RECIPE, load_recipe
    from alsace_cli.configs.table import PIPELINE

    base = [
        "distill",
        "--model",
        finetuned,
        "--data",
        data_dir / "unlabeled.parquet",
        "--pairs",
        stages / "pair_rule.parquet",
        "--device",
        "cpu",
        "--max-length",
        "32",
    ]
    recipe = load_recipe(DEFAULT_RECIPE, frozenset(PIPELINE))["distill"]
    bare = ok(*base, "--out", tmp_path / "bare", "--seed", "1")
    saved = tomllib.loads((tmp_path / "bare" / "alsace_config.toml").read_text())["distill"]
    assert (
        saved["teacher"] == recipe["teacher"] != "live" and saved["learning_rate"] == recipe["learning_rate"]
    )
    assert (
        f"recipe {DEFAULT_RECIPE}'s settings" in bare.stderr
        and "found through the provenance of --pairs" in bare.stderr
    )
    assert (tmp_path / "bare" / saved["predictions"]).resolve() == (stages / "predictions.parquet").resolve()
    # --recipe none keeps the stage's own defaults; a method option given does too; --recipe paper is the paper's.
    own = tomllib.loads(
        (
            ok(*base, "--out", tmp_path / "own", "--recipe", "none", "--steps", "1")
            and (tmp_path / "own" / "alsace_config.toml")
        ).read_text()
    )["distill"]
    assert own["teacher"] == "live" and own["learning_rate"] == 5e-6
    given = ok(*base, "--out", tmp_path / "given", "--lr", "1e-4", "--steps", "1")
    assert "recipe" not in given.stderr.split("distill:")[0] and "'s settings" not in given.stderr
    paper = tomllib.loads(
        (
            ok(*base, "--out", tmp_path / "paper", "--recipe", "paper", "--steps", "1")
            and (tmp_path / "paper" / "alsace_config.toml")
        ).read_text()
    )["distill"]
    assert paper["learning_rate"] == 3e-8 and paper["teacher"] == "live" and paper["recipe"] == "paper"
