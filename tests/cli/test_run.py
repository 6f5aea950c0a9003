"""`alsace run` end to end on the tiny model, and its skipping of stages that are up to date."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from tests.cli.helpers import invoke, ok, stdout_json, write_config

STAGES = ["tiny-model", "finetune", "predict", "vote", "select", "make-pairs", "distill", "eval"]


def test_run_end_to_end_then_skips_then_reruns_what_changed(tmp_path: Path, data_dir: Path) -> None:
    config = write_config(tmp_path / "run.toml", data_dir, tmp_path / "run")
    first = stdout_json(ok("run", "--config", config, "--json"))
    assert first["ran"] == STAGES and first["skipped"] == []
    run_dir = tmp_path / "run"
    for name in ("predictions", "pseudo_labels", "languages", "pairs", "metrics"):
        assert (run_dir / f"{name}.parquet").exists(), name
    assert (run_dir / "finetuned" / "model.safetensors").exists()
    assert (run_dir / "distilled" / "model.safetensors").exists()
    assert (run_dir / "accuracy.png").exists() and (run_dir / "run_config.toml").exists()
    metrics = pd.read_parquet(run_dir / "metrics.parquet")
    assert metrics["model"].nunique() == 2 and "role" in metrics.columns

    second = stdout_json(ok("run", "--config", config, "--json"))
    assert second["ran"] == [] and second["skipped"] == STAGES
    assert second["summary"] == first["summary"]
    # Which checkpoint the table is of, read from the model's provenance even when distill was skipped.
    assert first["guard"]["kept_step"] in (0, 2) and first["guard"]["last_step"] == 2
    assert second["guard"] == first["guard"]

    write_config(config, data_dir, run_dir, distill_lr=5e-4)
    third = stdout_json(ok("run", "--config", config, "--json"))
    assert third["ran"] == ["distill", "eval"]

    fourth = stdout_json(ok("run", "--config", config, "--json", "--force"))
    assert fourth["ran"] == STAGES


def test_run_rejects_unknown_settings_and_wired_paths(tmp_path: Path, data_dir: Path) -> None:
    config = write_config(tmp_path / "run.toml", data_dir, tmp_path / "run")
    config.write_text(config.read_text() + "\nbogus = 1\n")
    result = invoke("run", "--config", config)
    assert result.exit_code == 2 and "unknown setting 'bogus'" in result.stderr
    config = write_config(tmp_path / "run.toml", data_dir, tmp_path / "run")
    config.write_text(config.read_text().replace("[distill]", '[distill]\nout = "elsewhere"'))
    result = invoke("run", "--config", config)
    assert result.exit_code == 2 and "'out' is set by `run` itself" in result.stderr


def test_run_wires_static_predictions_the_pseudo_label_mask_and_the_dev_guard(
    tmp_path: Path, data_dir: Path
) -> None:
    config = write_config(tmp_path / "run.toml", data_dir, tmp_path / "run")
    text = config.read_text().replace(
        'device = "cpu"', f'device = "cpu"\ndev = "{data_dir / "train.parquet"}"'
    )
    config.write_text(
        text.replace("[distill]", '[distill]\nteacher = "static"\neval_every = 1\nmask_pseudo_labels = true')
    )
    ok("run", "--config", config)
    distilled = tmp_path / "run" / "distilled"
    log = pd.read_parquet(distilled / "train_log.parquet")
    assert log.dropna(subset=["dev_accuracy"])["step"].tolist() == [0, 1, 2]
    assert log["pairs_kept"].notna().any()  # NaN on every step when no mask was applied
    saved = (distilled / "alsace_config.toml").read_text()  # paths relative to the model folder
    assert (
        'predictions = "../predictions.parquet"' in saved
        and 'mask_pseudo_labels = "../pseudo_labels.parquet"' in saved
        and 'teacher = "static"' in saved
    )


def test_run_wires_the_ensemble_teacher_to_predict_and_select(tmp_path: Path, data_dir: Path) -> None:
    config = write_config(tmp_path / "run.toml", data_dir, tmp_path / "run")
    config.write_text(
        config.read_text().replace("[distill]", '[distill]\nteacher = "ensemble"\ncollapse_check = false')
    )
    ok("run", "--config", config)
    saved = (tmp_path / "run" / "distilled" / "alsace_config.toml").read_text()
    assert 'predictions = "../predictions.parquet"' in saved and 'languages = "../languages.parquet"' in saved
    assert 'teacher = "ensemble"' in saved


def test_set_overrides_the_run_file_and_is_checked_as_the_file_is(tmp_path: Path, data_dir: Path) -> None:
    config = write_config(tmp_path / "run.toml", data_dir, tmp_path / "run")
    result = stdout_json(
        ok(
            "run",
            "--config",
            config,
            "--json",
            "--set",
            "distill.teacher=static",
            "--set",
            "distill.max_steps=3",
            "--set",
            'eval.report="all"',
        )
    )
    assert result["guard"]["last_step"] == 3
    import tomllib

    resolved = tomllib.loads((tmp_path / "run" / "run_config.toml").read_text())
    assert resolved["distill"]["teacher"] == "static" and resolved["distill"]["predictions"].endswith(
        "predictions.parquet"
    )
    for setting, needle in (
        ("distill.teacher=bogus", "--set distill.teacher: unknown value 'bogus'"),
        ("distil.teacher=static", "expected SECTION.KEY=VALUE"),
        ("distill.max_steps=0", "--set distill.max_steps = 0: must be at least 1"),
        ("distill.lr=1", "unknown setting 'lr' of [distill]"),
    ):
        bad = invoke("run", "--config", config, "--set", setting)
        assert bad.exit_code == 2 and needle in bad.stderr, bad.stderr


def read_meta_comparisons(path: Path) -> list[dict]:
    from alsace_cli.io.artifacts import read_meta

    return read_meta(path)["comparisons"]


def test_eval_and_run_write_results_json_in_fractions(tmp_path: Path, data_dir: Path) -> None:
    import json

    config = write_config(tmp_path / "run.toml", data_dir, tmp_path / "run")
    ok("run", "--config", config)
    run_results = json.loads((tmp_path / "run" / "results.json").read_text())
    eval_results = json.loads((tmp_path / "run" / "metrics.results.json").read_text())
    metrics = pd.read_parquet(tmp_path / "run" / "metrics.parquet")
    first = eval_results["metrics"][0]
    row = metrics[(metrics["model"] == first["model"]) & (metrics["lang"] == first["lang"])].iloc[0]
    assert first["accuracy"] == pytest.approx(row["accuracy"])  # issue 35.12: fractions, as metrics.parquet
    assert (
        eval_results["units"]["accuracy"] == "fraction"
        and eval_results["provenance"]["inputs"]["data"]["sha256"]
    )
    average = next(m for m in eval_results["comparisons"] if m["what"] == "average")
    in_points = next(
        m for m in read_meta_comparisons(tmp_path / "run" / "metrics.parquet") if m["what"] == "average"
    )
    assert average["difference"] == pytest.approx(in_points["difference"] / 100)
    assert {m["what"] for m in eval_results["comparisons"]} >= {"language", "average", "gap"}
    assert run_results["guard"]["last_step"] == 2 and run_results["verdict"]["verdict"] in (
        "gain",
        "no measurable change",
        "harm",
    )
    assert (
        run_results["settings"]["distill"]["max_steps"] == 2
        and run_results["metrics"] == eval_results["metrics"]
    )


def test_run_translates_english_text_into_its_corpus(tmp_path: Path, data_dir: Path) -> None:
    from alsace_cli.stages.tiny_model import build_tiny_translator
    from tests.conftest import WORDS, write_dataset

    english = pd.read_parquet(data_dir / "unlabeled.parquet").query("lang == 'en'")
    write_dataset(english, tmp_path / "english.parquet")
    build_tiny_translator(tmp_path / "mt", [t for words in WORDS.values() for t in words], "nllb")
    config = write_config(tmp_path / "run.toml", data_dir, tmp_path / "run")
    text = config.read_text().replace(str(data_dir / "unlabeled.parquet"), str(tmp_path / "english.parquet"))
    refused = invoke("run", "--config", config.write_text(text) and config)
    assert (
        refused.exit_code == 2
        and "holds 'en' text only" in refused.output
        and "[translate]" in refused.output
    )
    config.write_text(
        text + f'\n[translate]\nmodel = "{tmp_path / "mt"}"\ntarget_languages = ["de", "fr"]\n'
        "num_beams = 1\nmax_new_tokens = 8\n"
    )
    first = stdout_json(ok("run", "--config", config, "--json"))
    assert first["ran"] == ["tiny-model", "finetune", "translate", *STAGES[2:]]
    corpus = pd.read_parquet(tmp_path / "run" / "corpus.parquet")
    assert corpus["lang"].value_counts().to_dict() == {"en": 8, "de": 8, "fr": 8}
    import json

    settings = json.loads((tmp_path / "run" / "results.json").read_text())["settings"]
    assert settings["translate"]["target_languages"] == ["de", "fr"]
    second = stdout_json(ok("run", "--config", config, "--json"))
    assert "translate" in second["skipped"] and second["ran"] == []
    config.write_text(
        config.read_text().replace(str(tmp_path / "english.parquet"), str(data_dir / "unlabeled.parquet"))
    )
    parallel = invoke("run", "--config", config)
    assert (
        parallel.exit_code == 2
        and "[translate]: [run] unlabeled already holds 4 languages" in parallel.output
    )


def test_run_translates_an_english_dev_set_for_the_guard(tmp_path: Path, data_dir: Path) -> None:
    """Issue 34.2: [run] dev_translate makes the guard's dev set from English dev rows, marked as translated."""
    import json

    from alsace_cli.stages.tiny_model import build_tiny_translator
    from tests.conftest import WORDS, pair_rows, write_dataset

    build_tiny_translator(tmp_path / "mt", [t for words in WORDS.values() for t in words], "nllb")
    dev = write_dataset(pair_rows(["en"], 6, labeled=True, offset=300), tmp_path / "dev_en.parquet")
    config = write_config(tmp_path / "run.toml", data_dir, tmp_path / "run")
    config.write_text(
        config.read_text().replace(
            'device = "cpu"', f'device = "cpu"\ndev = "{dev}"\ndev_translate = "{tmp_path / "mt"}"'
        )
        + "\n[translate]\nnum_beams = 1\nmax_new_tokens = 8\n"
    )
    result = stdout_json(ok("run", "--config", config, "--json"))
    assert "translate-dev" in result["ran"]
    translated = pd.read_parquet(tmp_path / "run" / "dev_translated.parquet")
    counts = translated["lang"].value_counts().to_dict()  # a random MT model's empty outputs are left out
    assert counts["en"] == 6 and {"de", "fr"} <= set(counts) <= {"en", "de", "fr", "ru"}
    found = json.loads((tmp_path / "run" / "results.json").read_text())
    assert found["recipe"]["name"] == "auto"  # the translated dev set goes beyond English
    assert f"machine-translated from en by {tmp_path / 'mt'}" in found["guard"]["dev_judged_on"]
    assert "machine-translated" in found["verdict"]["line"]
    again = stdout_json(ok("run", "--config", config, "--json"))
    assert "translate-dev" in again["skipped"] and again["ran"] == []


def test_a_fine_tuned_model_near_chance_is_warned_about(tmp_path: Path, data_dir: Path) -> None:
    """Issue 35.3: with nothing to transfer, the run says so (2 fine-tuning steps leave the tiny model near chance)."""
    import json

    from alsace_cli.output_types import OUTPUT_TYPES

    near_chance = OUTPUT_TYPES["labels"].near_chance

    frame = pd.DataFrame({"model": ["ft", "ft"], "lang": ["en", "de"], "accuracy": [0.36, 0.30]})
    assert "near chance on en (36.0% with 3 labels" in near_chance(frame, "ft", "en", 3)
    assert near_chance(frame.assign(accuracy=[0.60, 0.3]), "ft", "en", 3) is None
    config = write_config(tmp_path / "run.toml", data_dir, tmp_path / "run")
    ok("run", "--config", config)
    found = json.loads((tmp_path / "run" / "results.json").read_text())
    english = next(r for r in found["metrics"] if r["lang"] == "en" and r["model"].endswith("finetuned"))
    near = (
        english["accuracy"] <= 100 / 3 + 5 if english["accuracy"] > 1 else english["accuracy"] <= 1 / 3 + 0.05
    )
    assert ("warning" in found["verdict"]) == near
    log = (tmp_path / "run" / "run.log").read_text()  # issue 35.14: what the run printed, with times
    assert (
        log.startswith("== ")
        and "alsace run --config" in log
        and "run: eval" in log
        and "Accuracy (%)" in log
    )


def test_print_config_says_where_each_setting_came_from_and_runs_nothing(
    tmp_path: Path, data_dir: Path
) -> None:
    """Issue 35.2: the run prints the resolved length and where each setting came from."""
    config = write_config(tmp_path / "run.toml", data_dir, tmp_path / "run")
    found = stdout_json(
        ok(
            "run",
            "--config",
            config,
            "--recipe",
            "static",
            "--print-config",
            "--json",
            "--set",
            "distill.sharpen=0.5",
        )
    )
    source = {(row["stage"], row["setting"]): row["from"] for row in found}
    assert source[("distill", "max_steps")] == "run file" and source[("distill", "sharpen")] == "--set"
    assert source[("distill", "teacher")] == "recipe static" and source[("distill", "model")] == "run"
    assert not (tmp_path / "run").exists()
