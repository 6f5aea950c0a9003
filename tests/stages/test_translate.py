"""translate on tiny random MT models built offline (NLLB-style, Marian, MADLAD-style): every (id, language)
written with its labels, codes mapped per model family, resume equal to one run, reverse mode, refusals."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from alsace_cli.configs.translate import TranslateConfig
from alsace_cli.errors import AlsaceError, Interrupted
from alsace_cli.stages import translate as stage
from alsace_cli.stages.translate import translate
from alsace_cli.translation.store import partial_dir
from tests.cli.helpers import invoke, ok
from tests.conftest import LANGS, WORDS, pair_rows, write_dataset


@pytest.fixture(scope="module")
def mt(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from alsace_cli.stages.tiny_model import build_tiny_translator

    w = tmp_path_factory.mktemp("translate")
    write_dataset(pair_rows(["en"], 9, labeled=True), w / "english.parquet")
    write_dataset(pair_rows(LANGS, 5, labeled=True, offset=50), w / "test.parquet")
    texts = [t for words in WORDS.values() for t in words]
    build_tiny_translator(w / "nllb", texts, "nllb", seed=0)
    for lang in ("de", "fr"):
        build_tiny_translator(w / f"marian-en-{lang}", texts, "marian", seed=1)
    build_tiny_translator(w / "madlad", texts, "madlad", seed=2)
    return w


def config(w: Path, **changes) -> TranslateConfig:
    settings = {
        "model": str(w / "nllb"),
        "data": str(w / "english.parquet"),
        "target_languages": ["de", "sw", "zh"],
        "out": str(w / "out.parquet"),
        "num_beams": 2,
        "max_new_tokens": 12,
        "batch_size": 4,
        "device": "cpu",
        **changes,
    }
    return TranslateConfig(**settings)


def test_every_id_in_every_language_with_its_label(mt: Path) -> None:
    result = translate(config(mt, out=str(mt / "forward.parquet")))
    out, source = pd.read_parquet(mt / "forward.parquet"), pd.read_parquet(mt / "english.parquet")
    assert out["lang"].value_counts().to_dict() == {"en": 9, "de": 9, "sw": 9, "zh": 9}
    columns = ["id", "text_a", "text_b", "label"]  # the source rows kept as they were
    pd.testing.assert_frame_equal(
        out[out["lang"] == "en"][columns].reset_index(drop=True), source[columns], check_dtype=False
    )
    for lang in ("de", "sw", "zh"):
        rows = out[out["lang"] == lang].reset_index(drop=True)
        assert (
            rows["id"].tolist() == source["id"].tolist()
            and rows["label"].tolist() == source["label"].tolist()
        )
        assert (rows["translated_from"] == "en").all() and (rows["text_a"] != source["text_a"]).all()
    summary = result.meta["translation"]
    assert summary["codes"] == {
        "de": {"source": "eng_Latn", "target": "deu_Latn"},
        "sw": {"source": "eng_Latn", "target": "swh_Latn"},
        "zh": {"source": "eng_Latn", "target": "zho_Hans"},
    }
    assert summary["style"] == "forced-bos" and summary["languages"]["zh"]["rows"] == 9
    assert summary["languages"]["zh"]["wrong-script"] == 9  # a random model writes no Chinese
    assert set(result.meta["provenance"]["inputs"]) == {"data", "model"}
    assert not partial_dir(mt / "forward.parquet").exists()
    ok("data", "info", mt / "forward.parquet")  # a dataset the other stages read


def test_an_interrupted_run_resumes_without_translating_a_unit_twice(mt: Path, monkeypatch) -> None:
    translate(config(mt, out=str(mt / "whole.parquet")))
    calls: list[int] = []
    real = stage.translate_texts

    def stop_after_one(*args, **kwargs):
        if calls:
            raise KeyboardInterrupt
        calls.append(len(args[2]))
        return real(*args, **kwargs)

    monkeypatch.setattr(stage, "translate_texts", stop_after_one)
    with pytest.raises(Interrupted, match="run the same command again to resume") as stopped:
        translate(config(mt, out=str(mt / "resumed.parquet")))
    assert stopped.value.exit_code == 130  # issue 35.9: the resume line the other stages print
    assert len(list(partial_dir(mt / "resumed.parquet").glob("unit-*.parquet"))) == 1
    assert not (mt / "resumed.parquet").exists()
    counted: list[int] = []
    monkeypatch.setattr(stage, "translate_texts", lambda *a, **k: counted.append(len(a[2])) or real(*a, **k))
    translate(config(mt, out=str(mt / "resumed.parquet")))
    assert len(counted) == 2 and sum(counted) == 2 * 9 * 2  # the two languages left, 9 rows × 2 fields each
    assert pd.read_parquet(mt / "resumed.parquet").equals(pd.read_parquet(mt / "whole.parquet"))


def test_a_partial_run_with_other_settings_is_not_resumed(mt: Path, monkeypatch) -> None:
    monkeypatch.setattr(stage, "translate_texts", lambda *a, **k: (_ for _ in ()).throw(KeyboardInterrupt))
    with pytest.raises(Interrupted):
        translate(config(mt, out=str(mt / "changed.parquet")))
    monkeypatch.undo()
    with pytest.raises(
        AlsaceError,
        match=r"changed.parquet.partial: an interrupted translate with other settings "
        r"or inputs \(differs in: num_beams\)",
    ):
        translate(config(mt, out=str(mt / "changed.parquet"), num_beams=1))
    translate(config(mt, out=str(mt / "changed.parquet"), num_beams=1), overwrite=True)
    assert (mt / "changed.parquet").exists() and not partial_dir(mt / "changed.parquet").exists()


def test_reverse_translates_every_language_into_english_in_place(mt: Path) -> None:
    result = translate(
        config(
            mt,
            data=str(mt / "test.parquet"),
            target_languages=[],
            reverse=True,
            out=str(mt / "reverse.parquet"),
            reference=str(mt / "test.parquet"),
        )
    )
    out, source = pd.read_parquet(mt / "reverse.parquet"), pd.read_parquet(mt / "test.parquet")
    pd.testing.assert_frame_equal(
        out[["id", "lang", "label"]], source[["id", "lang", "label"]], check_dtype=False
    )
    foreign = out["lang"] != "en"
    assert (out.loc[foreign, "original_text_a"] == source.loc[foreign, "text_a"]).all()
    assert (
        out.loc[~foreign, "original_text_a"].isna().all()
        and (out.loc[~foreign, "translated_from"] == "").all()
    )
    assert (out.loc[foreign, "translated_from"] == out.loc[foreign, "lang"]).all()
    languages = result.meta["translation"]["languages"]
    assert sorted(languages) == ["de", "fr", "ru"] and all(
        0 <= v["chrf"]["chrf"] <= 100 for v in languages.values()
    )
    assert result.meta["translation"]["codes"]["ru"] == {"source": "rus_Cyrl", "target": "eng_Latn"}


def test_a_template_loads_one_model_per_pair(mt: Path) -> None:
    template = str(mt / "marian-en-{tgt}")
    result = translate(
        config(mt, model=template, target_languages=["de", "fr"], out=str(mt / "marian.parquet"))
    )
    summary = result.meta["translation"]
    assert summary["style"] == "one-pair"
    assert summary["models"] == {"de": str(mt / "marian-en-de"), "fr": str(mt / "marian-en-fr")}
    assert set(result.meta["provenance"]["inputs"]) == {"data", "model de", "model fr"}
    assert pd.read_parquet(mt / "marian.parquet")["lang"].value_counts().to_dict() == {
        "en": 9,
        "de": 9,
        "fr": 9,
    }


def test_a_tag_model_gets_its_tag_before_the_text(mt: Path, monkeypatch) -> None:
    seen: list[str] = []
    real = stage.translate_texts
    monkeypatch.setattr(
        stage,
        "translate_texts",
        lambda m, t, texts, pair, *a, **k: seen.append(pair.prefix) or real(m, t, texts, pair, *a, **k),
    )
    result = translate(
        config(mt, model=str(mt / "madlad"), target_languages=["de", "sw"], out=str(mt / "tag.parquet"))
    )
    assert result.meta["translation"]["style"] == "tag" and seen == ["<2de> ", "<2sw> "]


def test_empty_translations_are_left_out_and_counted(mt: Path, monkeypatch) -> None:
    real = stage.translate_texts

    def some_empty(*args, **kwargs):
        out, flags, tokens = real(*args, **kwargs)
        return {k: ("" if k in (0, 3) else v) for k, v in out.items()}, flags, tokens

    monkeypatch.setattr(stage, "translate_texts", some_empty)
    result = translate(config(mt, target_languages=["de"], out=str(mt / "empty.parquet")))
    out = pd.read_parquet(mt / "empty.parquet")
    # positions 0 and 3 of text_a: rows x0 and x3 of German are gone, every other row is there
    assert sorted(out.loc[out["lang"] == "de", "id"]) == sorted(f"x{i}" for i in range(9) if i not in (0, 3))
    counts = result.meta["translation"]["languages"]["de"]
    assert counts["empty"] == 2 and counts["flagged_ids"]["empty"] == ["x0", "x3"]


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"target_languages": ["de", "tlh"]}, "--target-languages: .*nllb has no language 'tlh'"),
        ({"target_languages": ["en"]}, "--target-languages: 'en' is already in"),
        ({"target_languages": []}, "missing --target-languages"),
        ({"reverse": True}, "--target-languages: not with --reverse"),
        ({"style": "tag"}, "--style tag: .*nllb's tokenizer lists no language codes of that style"),
        ({"fields": ["text_c"]}, "--fields: .*english.parquet has no column 'text_c'"),
    ],
)
def test_refusals_name_the_option(mt: Path, changes: dict, message: str) -> None:
    with pytest.raises(AlsaceError, match=message):
        translate(config(mt, out=str(mt / "refused.parquet"), **changes))
    assert not (mt / "refused.parquet").exists() and not partial_dir(mt / "refused.parquet").exists()


def test_models_that_cannot_translate_are_refused(mt: Path, tiny_base: Path) -> None:
    with pytest.raises(AlsaceError, match="not a sequence-to-sequence model"):
        translate(config(mt, model=str(tiny_base)))
    with pytest.raises(AlsaceError, match="one language pair per model .* give a template"):
        translate(config(mt, model=str(mt / "marian-en-de"), target_languages=["de", "fr"]))
    qa = Path(__file__).resolve().parents[2] / "sample_data" / "qa_train_en.parquet"
    with pytest.raises(AlsaceError, match="extractive QA: an answer is a span"):
        translate(config(mt, data=str(qa)))


def test_the_command_line(mt: Path) -> None:
    result = ok(
        "translate",
        "--model",
        mt / "nllb",
        "--data",
        mt / "english.parquet",
        "--target-languages",
        "de,fr",
        "--out",
        mt / "cli.parquet",
        "--num-beams",
        "1",
        "--max-new-tokens",
        "8",
        "--device",
        "cpu",
        "--json",
    )
    assert '"direction": "forward"' in result.stdout and "rows failing each check" in result.stderr
    bad = invoke(
        "translate",
        "--model",
        mt / "nllb",
        "--data",
        mt / "english.parquet",
        "--target-languages",
        "xx",
        "--out",
        mt / "cli2.parquet",
    )
    assert (
        bad.exit_code == 2
        and "'xx' is not a language code" in bad.output
        and not (mt / "cli2.parquet").exists()
    )


def test_eval_scores_the_english_model_on_the_translated_test_set_beside_it(
    mt: Path, data_dir: Path, finetuned: Path
) -> None:
    translate(
        config(
            mt,
            data=str(data_dir / "test.parquet"),
            target_languages=[],
            reverse=True,
            out=str(mt / "test-en.parquet"),
        )
    )
    from alsace_cli.io.artifacts import read_artifact

    ok(
        "eval",
        "--model",
        finetuned,
        "--data",
        data_dir / "test.parquet",
        "--translate-test",
        mt / "test-en.parquet",
        "--out",
        mt / "tt.parquet",
        "--device",
        "cpu",
        "--precision",
        "fp32",
    )
    metrics = read_artifact(mt / "tt.parquet", "metrics")
    assert set(metrics.frame["model"]) == {str(finetuned), f"{finetuned} [translate-test]"}
    tt = metrics.frame[metrics.frame["model"].str.endswith("[translate-test]")].set_index("lang")
    zero = metrics.frame[metrics.frame["model"] == str(finetuned)].set_index("lang")
    assert tt.loc["en", "accuracy"] == zero.loc["en", "accuracy"]  # English rows are not translated
    assert any(
        c["model"].endswith("[translate-test]") for c in metrics.meta["comparisons"]
    )  # paired, same ids
    other = invoke(
        "eval",
        "--model",
        finetuned,
        "--data",
        data_dir / "test.parquet",
        "--translate-test",
        mt / "reverse.parquet",
        "--out",
        mt / "tt2.parquet",
        "--device",
        "cpu",
    )
    assert other.exit_code == 2 and "translated from another file than --data" in other.output
