"""Every bad input, one row each: exit code 2, one `error:` line naming the file and the column, row or option
at fault, and nothing written (the output absent, every file in the work folder as it was).

The `world` fixture holds valid artifacts of every kind, made by the stages themselves, and hand-broken
copies of them; each row of BAD runs one command against them.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from alsace_cli.io.artifacts import dataset_meta, read_meta, write_artifact
from tests.cli.helpers import invoke
from tests.conftest import LANGS, pair_rows, write_dataset


def _mutate(src: Path, dst: Path, change) -> Path:
    """A copy of artifact `src` with `change(frame)` applied, its metadata kept (as a hand-edited file would)."""
    meta = read_meta(src)
    frame = pq.read_table(src).to_pandas()
    frame = change(frame)
    table = pa.Table.from_pandas(frame, preserve_index=False)
    table = table.replace_schema_metadata({b"alsace": json.dumps(meta).encode()})
    pq.write_table(table, dst)
    return dst


def _set(column: str, row: int, value):
    def change(frame: pd.DataFrame) -> pd.DataFrame:
        frame[column] = frame[column].astype(object)
        frame.at[row, column] = value
        return frame

    return change


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, data_dir: Path, finetuned: Path, tiny_base: Path) -> Path:
    from alsace_cli.stages.pairs import PairsConfig, make_pairs
    from alsace_cli.stages.predict import PredictConfig, predict
    from alsace_cli.stages.select import SelectConfig, select
    from alsace_cli.stages.tiny_model import build_tiny_model
    from alsace_cli.stages.vote import VoteConfig, vote

    w = tmp_path_factory.mktemp("world")
    for name in ("train", "unlabeled", "test"):
        shutil.copy(data_dir / f"{name}.parquet", w / f"{name}.parquet")
    shutil.copytree(finetuned, w / "ft")
    shutil.copytree(tiny_base, w / "base")
    predict(
        PredictConfig(
            model=str(w / "ft"), data=str(w / "unlabeled.parquet"), out=str(w / "preds.parquet"), device="cpu"
        )
    )
    vote(VoteConfig(predictions=str(w / "preds.parquet"), out=str(w / "pseudo.parquet")))
    select(
        SelectConfig(
            predictions=str(w / "preds.parquet"),
            pseudo_labels=str(w / "pseudo.parquet"),
            out=str(w / "langs.parquet"),
        )
    )
    make_pairs(
        PairsConfig(
            materialize=True,
            data=str(w / "unlabeled.parquet"),
            languages=str(w / "langs.parquet"),
            out=str(w / "pairs.parquet"),
        )
    )

    # Datasets broken by hand.
    _mutate(w / "train.parquet", w / "label7.parquet", _set("label", 4, 7))
    _mutate(w / "train.parquet", w / "int_text.parquet", lambda f: f.assign(text_a=np.arange(len(f))))
    _mutate(w / "train.parquet", w / "empty_text.parquet", _set("text_a", 2, ""))
    _mutate(w / "train.parquet", w / "space_text.parquet", _set("text_b", 3, "  \t "))
    _mutate(w / "train.parquet", w / "null_id.parquet", _set("id", 1, None))
    _mutate(w / "train.parquet", w / "dup.parquet", lambda f: pd.concat([f, f.iloc[[0]]], ignore_index=True))
    _mutate(w / "train.parquet", w / "no_text_b.parquet", lambda f: f.drop(columns="text_b"))
    _mutate(w / "train.parquet", w / "names.parquet", lambda f: f.assign(label=["neutral"] * len(f)))
    _mutate(w / "train.parquet", w / "empty.parquet", lambda f: f.iloc[0:0])
    write_dataset(
        pair_rows(["en"], 4, labeled=True).assign(label=lambda f: f["label"] % 2),
        w / "two_labels.parquet",
        labels=["yes", "no"],
    )
    other = pair_rows(LANGS, 8, labeled=False, offset=100)
    other["text_a"] = other["text_a"].str[::-1]  # same ids and languages, other texts
    write_dataset(other, w / "other_corpus.parquet")
    unnamed = pd.read_parquet(w / "unlabeled.parquet").drop(columns="label", errors="ignore")
    write_artifact(
        unnamed, w / "unnamed.parquet", "dataset", dataset_meta("pair", [])
    )  # imported without --labels
    make_pairs(
        PairsConfig(
            materialize=True,
            data=str(w / "other_corpus.parquet"),
            languages=str(w / "langs.parquet"),
            out=str(w / "other_pairs.parquet"),
        )
    )
    predict(
        PredictConfig(
            model=str(w / "ft"),
            data=str(w / "other_corpus.parquet"),
            out=str(w / "other_preds.parquet"),
            device="cpu",
        )
    )

    # Predictions broken by hand.
    _mutate(w / "preds.parquet", w / "p_sum.parquet", _set("probs", 0, [1.0, 1.0, 0.5]))
    _mutate(w / "preds.parquet", w / "p_nan.parquet", _set("probs", 1, [float("nan"), 0.5, 0.5]))
    _mutate(w / "preds.parquet", w / "p_neg.parquet", _set("probs", 2, [-0.5, 1.0, 0.5]))
    _mutate(
        w / "preds.parquet",
        w / "p_argmax.parquet",
        lambda f: f.assign(pred=[int(np.argmin(p)) for p in f["probs"]]),
    )
    _mutate(w / "preds.parquet", w / "p_str.parquet", lambda f: f.assign(pred=f["pred"].astype(str)))
    _mutate(w / "preds.parquet", w / "p_null.parquet", _set("probs", 0, None))
    _mutate(w / "preds.parquet", w / "p_width.parquet", _set("probs", 3, [0.5, 0.5]))
    _mutate(w / "preds.parquet", w / "p_conf.parquet", lambda f: f.assign(confidence=0.1))
    _mutate(w / "preds.parquet", w / "p_one_lang.parquet", lambda f: f[f["lang"] == "en"])
    _mutate(w / "preds.parquet", w / "p_partial.parquet", lambda f: f.drop(index=[1]))

    # Pseudo labels, languages and pairs broken by hand.
    _mutate(w / "pseudo.parquet", w / "pl_range.parquet", _set("pseudo_label", 0, 9))
    _mutate(w / "pseudo.parquet", w / "pl_votes.parquet", _set("votes", 0, 99))
    _mutate(w / "pseudo.parquet", w / "pl_missing.parquet", lambda f: f.iloc[1:])
    langs = pd.read_parquet(w / "langs.parquet")
    _mutate(
        w / "langs.parquet",
        w / "l_twice.parquet",
        lambda f: pd.concat([f, f.iloc[[0]].assign(role="student")], ignore_index=True),
    )
    _mutate(w / "langs.parquet", w / "l_role.parquet", _set("role", 0, "mentor"))
    _mutate(w / "langs.parquet", w / "l_sum.parquet", lambda f: f.assign(score=0.9))
    _mutate(w / "langs.parquet", w / "l_unknown.parquet", _set("lang", 0, "xx"))
    _mutate(
        w / "langs.parquet",
        w / "l_missing.parquet",
        lambda f: f[f["lang"] != langs["lang"].iloc[-1]].assign(
            score=lambda g: g["score"] / g["score"].sum()
        ),
    )
    _mutate(w / "pairs.parquet", w / "pairs_x99.parquet", _set("id", 1, "x99"))
    # Pairs whose provenance does not lead to select's output (so distill cannot find a teacher's inputs).
    meta = read_meta(w / "pairs.parquet")
    meta["provenance"]["inputs"] = {"data": meta["provenance"]["inputs"]["data"]}
    table = pq.read_table(w / "pairs.parquet")
    pq.write_table(
        table.replace_schema_metadata({b"alsace": json.dumps(meta).encode()}), w / "pairs_noprov.parquet"
    )
    _mutate(w / "pairs.parquet", w / "pairs_same.parquet", lambda f: f.assign(teacher_lang=f["student_lang"]))
    write_artifact(
        pd.DataFrame({"id": ["x100"], "student_lang": ["de"], "teacher_lang": ["en"]}),
        w / "pairs_handmade.parquet",
        "pairs",
    )

    # Models broken by hand: no tokenizer; a tokenizer from another, larger vocabulary.
    shutil.copytree(w / "ft", w / "ft_no_tok")
    for name in ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.txt"):
        (w / "ft_no_tok" / name).unlink(missing_ok=True)
    words = [f"w{i}x{i * 7 % 13}" for i in range(2000)]
    build_tiny_model(w / "big_vocab", words, seed=1)
    shutil.copytree(w / "ft", w / "ft_other_tok")
    for name in ("tokenizer.json", "tokenizer_config.json"):
        shutil.copy(w / "big_vocab" / name, w / "ft_other_tok" / name)

    # Raw files for `data import`, configs, and things in the way of an output.
    (w / "short-en.tsv").write_text("a b\tc d\t0\ne f\tg h\t1\ni j\tk l\n")
    (w / "single-en.tsv").write_text("the cat\t0\nthe dog\t1\n")
    (w / "nolabel-en.tsv").write_text("a b\tc d\t0\ne f\tg h\t\n")
    (w / "not_parquet.parquet").write_text("hello")
    qa = {
        "data": [
            {
                "paragraphs": [
                    {
                        "context": "Paris is in France.",
                        "qas": [
                            {
                                "id": "q1",
                                "question": "Where?",
                                "answers": [{"text": "France", "answer_start": 12}],
                            },
                            {
                                "id": "q1",
                                "question": "What?",
                                "answers": [{"text": "Paris", "answer_start": 0}],
                            },
                        ],
                    }
                ]
            }
        ]
    }
    (w / "repeat.en.json").write_text(json.dumps(qa))
    qa["data"][0]["paragraphs"][0]["qas"][1].update(id="q2", answers=[{"text": "Paris", "answer_start": 3}])
    (w / "offset.en.json").write_text(json.dumps(qa))
    (w / "user_notes.txt").write_text("mine")
    (w / "user.parquet").write_text("a user's own file")
    (w / "user.train.parquet").write_text("a user's own training set")
    (w / "userdir").mkdir()
    (w / "userdir" / "notes.txt").write_text("precious")
    (w / "a_file").write_text("x")
    (w / "eight.toml").write_text('[finetune]\nbatch_size = "eight"\n')
    (w / "badkey.toml").write_text("[finetune]\nlr = 1\n")
    base = (
        f'[run]\nmodel = "tiny"\ntrain = "{w}/train.parquet"\nunlabeled = "{w}/unlabeled.parquet"\n'
        f'test = "{w}/test.parquet"\n'
    )
    (w / "run_type.toml").write_text(base + '[finetune]\nbatch_size = "eight"\n')
    (w / "run_ok.toml").write_text(base)
    (w / "bad_recipe.toml").write_text('[run]\nmodel = "x"\n')
    numbers = pd.DataFrame({"lang": ["en", "de"], "id": ["1", "1"], "text": [5, 6], "label": [0, 0]})
    numbers.to_parquet(w / "numbers.parquet")
    (w / "latin1-en.tsv").write_bytes("caf\xe9 au lait\tle th\xe9\ta\n".encode("latin-1"))
    (w / "run_latin1.toml").write_bytes((base + "# café\n").encode("latin-1"))
    (w / "confdir").mkdir()
    (w / "confdir" / "a.toml").write_text(base)
    misaligned = pd.DataFrame(
        {
            "lang": ["en", "en", "de", "de"],
            "text": ["a b", "c d", "e f", "g h"],
            "label": ["x", "y", "y", "x"],
        }
    )
    misaligned.to_csv(w / "misaligned.csv", index=False)
    (w / "run_section.toml").write_text(base + "[finetun]\nepochs = 1\n")
    (w / "run_wired.toml").write_text(base + '[finetune]\nout = "x"\n')
    (w / "run_dev.toml").write_text(base + f'dev = "{w}/test.parquet"\n')
    (w / "run_missing.toml").write_text(base.replace("train.parquet", "absent.parquet"))
    (w / "run_key.toml").write_text(base + "speed = 3\n")
    (w / "run_neg.toml").write_text(base + "[distill]\npairs_per_batch = -1\n")
    return w


# (id, command with {w} for the world folder and {out} for a fresh output path, needles in the error line)
FT = ["finetune", "--model", "{w}/base", "--train", "{w}/train.parquet", "--out", "{out}", "--max-steps", "1"]
PR = ["predict", "--model", "{w}/ft", "--data", "{w}/unlabeled.parquet", "--device", "cpu"]
DI = ["distill", "--model", "{w}/ft", "--data", "{w}/unlabeled.parquet", "--steps", "1", "--device", "cpu"]
EV = ["eval", "--model", "{w}/ft", "--data", "{w}/test.parquet", "--device", "cpu"]
ST = [
    "self-train",
    "--model",
    "{w}/ft",
    "--predictions",
    "{w}/preds.parquet",
    "--data",
    "{w}/unlabeled.parquet",
    "--steps",
    "1",
]
BAD: list[tuple[str, list[str], list[str]]] = [
    # finetune
    (
        "ft-missing-train",
        ["finetune", "--model", "{w}/base", "--train", "{w}/absent.parquet", "--out", "{out}"],
        ["absent.parquet", "no such file"],
    ),
    (
        "ft-label-out-of-range",
        [*FT[:4], "{w}/label7.parquet", *FT[5:]],
        ["label7.parquet", "row 4", "label 7 out of range"],
    ),
    (
        "ft-label-names",
        [*FT[:4], "{w}/names.parquet", *FT[5:]],
        ["names.parquet", "'label'", "not a label index"],
    ),
    ("ft-unlabeled-train", [*FT[:4], "{w}/unlabeled.parquet", *FT[5:]], ["unlabeled.parquet", "'label'"]),
    (
        "ft-integer-text",
        [*FT[:4], "{w}/int_text.parquet", *FT[5:]],
        ["int_text.parquet", "row 0", "'text_a'", "expected text"],
    ),
    (
        "ft-empty-text",
        [*FT[:4], "{w}/empty_text.parquet", *FT[5:]],
        ["empty_text.parquet", "row 2", "'text_a'", "empty"],
    ),
    (
        "ft-whitespace-text",
        [*FT[:4], "{w}/space_text.parquet", *FT[5:]],
        ["space_text.parquet", "row 3", "'text_b'", "whitespace"],
    ),
    ("ft-null-id", [*FT[:4], "{w}/null_id.parquet", *FT[5:]], ["null_id.parquet", "row 1", "'id'", "empty"]),
    ("ft-duplicate-rows", [*FT[:4], "{w}/dup.parquet", *FT[5:]], ["dup.parquet", "duplicate"]),
    (
        "ft-not-parquet",
        [*FT[:4], "{w}/not_parquet.parquet", *FT[5:]],
        ["not_parquet.parquet", "not a readable Parquet"],
    ),
    ("ft-train-is-a-dir", [*FT[:4], "{w}/userdir", *FT[5:]], ["userdir", "is a directory"]),
    (
        "ft-wrong-kind",
        [*FT[:4], "{w}/preds.parquet", *FT[5:]],
        ["preds.parquet", "is a predictions artifact"],
    ),
    ("ft-batch-size-negative", [*FT, "--batch-size", "-4"], ["--batch-size", "at least 1"]),
    ("ft-batch-size-zero", [*FT, "--batch-size", "0"], ["--batch-size", "at least 1"]),
    ("ft-lr-zero", [*FT, "--lr", "0"], ["--learning-rate", "greater than 0"]),
    ("ft-lr-negative", [*FT, "--lr", "-1"], ["--learning-rate", "greater than 0"]),
    ("ft-epochs-zero", [*FT[:-2], "--epochs", "0"], ["--epochs", "greater than 0"]),
    ("ft-warmup-ratio", [*FT, "--warmup-ratio", "2"], ["--warmup-ratio", "at most 1"]),
    ("ft-max-length-too-long", [*FT, "--max-length", "100000"], ["--max-length 100000", "at most 256"]),
    ("ft-device-cuda-without-gpu", [*FT, "--device", "cuda"], ["--device cuda", "no CUDA GPU"]),
    ("ft-device-unknown", [*FT, "--device", "tpu"], ["--device", "'tpu'"]),
    ("ft-report-to-unknown", [*FT, "--report-to", "mlflow"], ["--report-to", "'mlflow'"]),
    ("ft-report-to-not-installed", [*FT, "--report-to", "wandb"], ["--report-to wandb", "not installed"]),
    ("ft-precision-unknown", [*FT, "--precision", "fp8"], ["--precision", "'fp8'"]),
    ("ft-batch-size-not-int", [*FT, "--batch-size", "eight"], ["--batch-size", "integer"]),
    ("ft-out-user-folder", [*FT[:6], "{w}/userdir", *FT[7:]], ["--out", "userdir", "not written by alsace"]),
    ("ft-out-own-model-no-overwrite", [*FT[:6], "{w}/ft", *FT[7:]], ["--out", "/ft", "--overwrite"]),
    ("ft-out-is-the-model", [*FT[:6], "{w}/base", *FT[7:]], ["--out", "is also the input --model"]),
    ("ft-out-holds-the-train", [*FT[:6], "{w}", *FT[7:]], ["--out", "holds the input"]),
    ("ft-out-under-a-file", [*FT[:6], "{w}/a_file/model", *FT[7:]], ["--out", "a_file is a file"]),
    (
        "ft-out-in-proc",
        [*FT[:6], "/proc/alsace-model", *FT[7:]],
        ["--out /proc/alsace-model", "cannot write in /proc"],
    ),
    ("ft-out-is-a-file", [*FT[:6], "{w}/a_file", *FT[7:]], ["--out", "is a file"]),
    (
        "ft-model-without-tokenizer",
        ["finetune", "--model", "{w}/ft_no_tok", *FT[3:]],
        ["ft_no_tok", "no tokenizer"],
    ),
    (
        "ft-model-other-tokenizer",
        ["finetune", "--model", "{w}/ft_other_tok", *FT[3:]],
        ["ft_other_tok", "does not fit", "embeddings"],
    ),
    ("ft-dev-other-labels", [*FT, "--dev", "{w}/two_labels.parquet"], ["two_labels.parquet", "differ"]),
    (
        "ft-config-wrong-type",
        [*FT, "--config", "{w}/eight.toml"],
        ["eight.toml [finetune] batch_size", "expected an integer"],
    ),
    (
        "ft-config-unknown-key",
        [*FT, "--config", "{w}/badkey.toml"],
        ["badkey.toml [finetune]", "unknown setting 'lr'"],
    ),
    ("ft-config-missing", [*FT, "--config", "{w}/absent.toml"], ["absent.toml", "no such config file"]),
    (
        "ft-missing-model",
        ["finetune", "--train", "{w}/train.parquet", "--out", "{out}"],
        ["missing --model", "[finetune]"],
    ),
    # predict
    ("pr-out-is-the-data", [*PR, "--out", "{w}/unlabeled.parquet"], ["--out", "is also the input --data"]),
    (
        "pr-out-user-file",
        [*PR, "--out", "{w}/user.parquet"],
        ["--out", "user.parquet", "not written by alsace"],
    ),
    ("pr-out-exists", [*PR, "--out", "{w}/preds.parquet"], ["--out", "preds.parquet", "--overwrite"]),
    ("pr-out-suffix", [*PR, "--out", "{out}"], ["--out", "must end in .parquet"]),
    ("pr-out-is-a-dir", [*PR, "--out", "{w}/userdir"], ["--out", "userdir", "must end in .parquet"]),
    (
        "pr-out-dir-named-parquet",
        [*PR, "--out", "{w}/ft_dir.parquet"],
        ["--out", "ft_dir.parquet", "is a directory"],
    ),
    ("pr-out-in-proc", [*PR, "--out", "/proc/p.parquet"], ["--out /proc/p.parquet", "cannot write in /proc"]),
    (
        "pr-batch-size-zero",
        [*PR, "--batch-size", "0", "--out", "{out}.parquet"],
        ["--batch-size", "at least 1"],
    ),
    (
        "pr-device-cuda",
        [*PR[:-2], "--device", "cuda", "--out", "{out}.parquet"],
        ["--device cuda", "no CUDA GPU"],
    ),
    (
        "pr-max-length",
        [*PR, "--max-length", "100000", "--out", "{out}.parquet"],
        ["--max-length 100000", "at most"],
    ),
    (
        "pr-model-does-not-fit",
        ["predict", "--model", "{w}/ft", "--data", "{w}/two_labels.parquet", "--out", "{out}.parquet"],
        ["/ft", "does not fit", "3 labels"],
    ),
    (
        "pr-not-a-model",
        ["predict", "--model", "{w}/userdir", "--data", "{w}/test.parquet", "--out", "{out}.parquet"],
        ["userdir", "not a model directory"],
    ),
    (
        "pr-no-tokenizer",
        ["predict", "--model", "{w}/ft_no_tok", "--data", "{w}/test.parquet", "--out", "{out}.parquet"],
        ["ft_no_tok", "no tokenizer"],
    ),
    (
        "pr-other-tokenizer",
        ["predict", "--model", "{w}/ft_other_tok", "--data", "{w}/test.parquet", "--out", "{out}.parquet"],
        ["ft_other_tok", "does not fit"],
    ),
    (
        "pr-no-text-columns",
        ["predict", "--model", "{w}/ft", "--data", "{w}/no_text_b.parquet", "--out", "{out}.parquet"],
        ["no_text_b.parquet", "text_b"],
    ),
    (
        "pr-empty-data",
        ["predict", "--model", "{w}/ft", "--data", "{w}/empty.parquet", "--out", "{out}.parquet"],
        ["empty.parquet", "no rows"],
    ),
    ("pr-precision", [*PR, "--precision", "int4", "--out", "{out}.parquet"], ["--precision", "'int4'"]),
    # vote
    (
        "vote-probs-sum",
        ["vote", "--predictions", "{w}/p_sum.parquet", "--out", "{out}.parquet"],
        ["p_sum.parquet", "row 0", "'probs'", "sums to 2.5"],
    ),
    (
        "vote-probs-nan",
        ["vote", "--predictions", "{w}/p_nan.parquet", "--out", "{out}.parquet"],
        ["p_nan.parquet", "row 1", "NaN"],
    ),
    (
        "vote-probs-negative",
        ["vote", "--predictions", "{w}/p_neg.parquet", "--out", "{out}.parquet"],
        ["p_neg.parquet", "row 2", "negative"],
    ),
    (
        "vote-pred-not-argmax",
        ["vote", "--predictions", "{w}/p_argmax.parquet", "--out", "{out}.parquet"],
        ["p_argmax.parquet", "row 0", "'pred'", "largest probability"],
    ),
    (
        "vote-pred-strings",
        ["vote", "--predictions", "{w}/p_str.parquet", "--out", "{out}.parquet"],
        ["p_str.parquet", "'pred'", "expected integers"],
    ),
    (
        "vote-probs-null",
        ["vote", "--predictions", "{w}/p_null.parquet", "--out", "{out}.parquet"],
        ["p_null.parquet", "row 0", "'probs'"],
    ),
    (
        "vote-probs-width",
        ["vote", "--predictions", "{w}/p_width.parquet", "--out", "{out}.parquet"],
        ["p_width.parquet", "row 3", "2 values"],
    ),
    (
        "vote-confidence",
        ["vote", "--predictions", "{w}/p_conf.parquet", "--out", "{out}.parquet"],
        ["p_conf.parquet", "'confidence'"],
    ),
    (
        "vote-one-language",
        ["vote", "--predictions", "{w}/p_one_lang.parquet", "--out", "{out}.parquet"],
        ["p_one_lang.parquet", "1 language"],
    ),
    (
        "vote-wrong-kind",
        ["vote", "--predictions", "{w}/pseudo.parquet", "--out", "{out}.parquet"],
        ["pseudo.parquet", "is a pseudo labels artifact"],
    ),
    ("vote-missing-option", ["vote", "--out", "{out}.parquet"], ["missing --predictions", "[vote]"]),
    (
        "vote-rule-unknown",
        ["vote", "--predictions", "{w}/preds.parquet", "--rule", "plurality", "--out", "{out}.parquet"],
        ["--rule", "'plurality'"],
    ),
    (
        "vote-degenerate-tv-zero",
        ["vote", "--predictions", "{w}/preds.parquet", "--degenerate-tv", "0", "--out", "{out}.parquet"],
        ["--degenerate-tv", "greater than 0"],
    ),
    (
        "vote-exclude-degenerate-no-source",
        [
            "vote",
            "--predictions",
            "{w}/preds.parquet",
            "--exclude-degenerate",
            "--source-lang",
            "xx",
            "--out",
            "{out}.parquet",
        ],
        ["--exclude-degenerate", "'xx'", "preds.parquet"],
    ),
    (
        "vote-out-is-input",
        ["vote", "--predictions", "{w}/preds.parquet", "--out", "{w}/preds.parquet"],
        ["is also the input --predictions"],
    ),
    # select
    (
        "select-threshold",
        [
            "select",
            "--predictions",
            "{w}/preds.parquet",
            "--pseudo-labels",
            "{w}/pseudo.parquet",
            "--threshold",
            "2",
            "--out",
            "{out}.parquet",
        ],
        ["--threshold", "outside 0..1"],
    ),
    (
        "select-strategy",
        [
            "select",
            "--predictions",
            "{w}/preds.parquet",
            "--pseudo-labels",
            "{w}/pseudo.parquet",
            "--strategy",
            "loud",
            "--out",
            "{out}.parquet",
        ],
        ["--strategy", "'loud'"],
    ),
    (
        "select-missing-pseudo-label",
        [
            "select",
            "--predictions",
            "{w}/preds.parquet",
            "--pseudo-labels",
            "{w}/pl_missing.parquet",
            "--out",
            "{out}.parquet",
        ],
        ["pl_missing.parquet", "no pseudo-label"],
    ),
    (
        "select-pseudo-label-range",
        [
            "select",
            "--predictions",
            "{w}/preds.parquet",
            "--pseudo-labels",
            "{w}/pl_range.parquet",
            "--out",
            "{out}.parquet",
        ],
        ["pl_range.parquet", "row 0", "'pseudo_label'", "out of range"],
    ),
    (
        "select-votes-above-langs",
        [
            "select",
            "--predictions",
            "{w}/preds.parquet",
            "--pseudo-labels",
            "{w}/pl_votes.parquet",
            "--out",
            "{out}.parquet",
        ],
        ["pl_votes.parquet", "row 0", "'votes'"],
    ),
    (
        "select-not-parallel",
        [
            "select",
            "--predictions",
            "{w}/p_partial.parquet",
            "--pseudo-labels",
            "{w}/pseudo.parquet",
            "--out",
            "{out}.parquet",
        ],
        ["p_partial.parquet", "not parallel", "--allow-partial"],
    ),
    (
        "select-one-language",
        [
            "select",
            "--predictions",
            "{w}/p_one_lang.parquet",
            "--pseudo-labels",
            "{w}/pseudo.parquet",
            "--out",
            "{out}.parquet",
        ],
        ["p_one_lang.parquet", "1 language"],
    ),
    (
        "select-missing-pseudo-labels",
        ["select", "--predictions", "{w}/preds.parquet", "--out", "{out}.parquet"],
        ["missing --pseudo-labels"],
    ),
    (
        "select-bad-predictions",
        [
            "select",
            "--predictions",
            "{w}/p_nan.parquet",
            "--pseudo-labels",
            "{w}/pseudo.parquet",
            "--out",
            "{out}.parquet",
        ],
        ["p_nan.parquet", "NaN"],
    ),
    # make-pairs
    (
        "pairs-language-twice",
        [
            "make-pairs",
            "--data",
            "{w}/unlabeled.parquet",
            "--languages",
            "{w}/l_twice.parquet",
            "--out",
            "{out}.parquet",
        ],
        ["l_twice.parquet", "'lang'", "twice"],
    ),
    (
        "pairs-unknown-role",
        [
            "make-pairs",
            "--data",
            "{w}/unlabeled.parquet",
            "--languages",
            "{w}/l_role.parquet",
            "--out",
            "{out}.parquet",
        ],
        ["l_role.parquet", "row 0", "'role'", "'mentor'"],
    ),
    (
        "pairs-scores-sum",
        [
            "make-pairs",
            "--data",
            "{w}/unlabeled.parquet",
            "--languages",
            "{w}/l_sum.parquet",
            "--out",
            "{out}.parquet",
        ],
        ["l_sum.parquet", "'score'", "sums to"],
    ),
    (
        "pairs-unknown-language",
        [
            "make-pairs",
            "--data",
            "{w}/unlabeled.parquet",
            "--languages",
            "{w}/l_unknown.parquet",
            "--out",
            "{out}.parquet",
        ],
        ["l_unknown.parquet", "unknown language 'xx'"],
    ),
    (
        "pairs-language-without-role",
        [
            "make-pairs",
            "--data",
            "{w}/unlabeled.parquet",
            "--languages",
            "{w}/l_missing.parquet",
            "--out",
            "{out}.parquet",
        ],
        ["unlabeled.parquet", "has no role"],
    ),
    (
        "pairs-question-languages-not-qa",
        [
            "make-pairs",
            "--data",
            "{w}/unlabeled.parquet",
            "--languages",
            "{w}/langs.parquet",
            "--question-language-pairs",
            "--out",
            "{out}.parquet",
        ],
        ["--question-language-pairs", "unlabeled.parquet", "not QA"],
    ),
    (
        "pairs-out-exists",
        [
            "make-pairs",
            "--data",
            "{w}/unlabeled.parquet",
            "--languages",
            "{w}/langs.parquet",
            "--out",
            "{w}/pairs.parquet",
        ],
        ["pairs.parquet", "--overwrite"],
    ),
    # distill
    (
        "distill-pairs-other-corpus",
        [*DI, "--pairs", "{w}/other_pairs.parquet", "--out", "{out}"],
        ["other_pairs.parquet", "other_corpus.parquet", "not from --data", "--allow-other-corpus"],
    ),
    (
        "distill-pairs-no-provenance",
        [*DI, "--pairs", "{w}/pairs_handmade.parquet", "--out", "{out}"],
        ["pairs_handmade.parquet", "names no corpus", "--allow-other-corpus"],
    ),
    (
        "distill-pairs-missing-rows",
        [*DI, "--pairs", "{w}/pairs_x99.parquet", "--allow-other-corpus", "--out", "{out}"],
        ["pairs_x99.parquet", "row 1", "x99"],
    ),
    (
        "distill-pairs-same-language",
        [*DI, "--pairs", "{w}/pairs_same.parquet", "--out", "{out}"],
        ["pairs_same.parquet", "row 0", "equals student_lang"],
    ),
    (
        "distill-static-nan",
        [
            *DI,
            "--pairs",
            "{w}/pairs.parquet",
            "--teacher",
            "static",
            "--predictions",
            "{w}/p_nan.parquet",
            "--out",
            "{out}",
        ],
        ["p_nan.parquet", "NaN"],
    ),
    (
        "distill-static-other-corpus",
        [
            *DI,
            "--pairs",
            "{w}/pairs.parquet",
            "--teacher",
            "static",
            "--predictions",
            "{w}/other_preds.parquet",
            "--out",
            "{out}",
        ],
        ["other_preds.parquet", "not from --data"],
    ),
    (
        "distill-static-without-predictions",
        [*DI, "--pairs", "{w}/pairs_noprov.parquet", "--teacher", "static", "--out", "{out}"],
        ["--teacher static needs --predictions"],
    ),
    (
        "distill-ensemble-without-languages",
        [
            *DI,
            "--pairs",
            "{w}/pairs_noprov.parquet",
            "--teacher",
            "ensemble",
            "--predictions",
            "{w}/preds.parquet",
            "--out",
            "{out}",
        ],
        ["--teacher ensemble needs", "--languages"],
    ),
    (
        "distill-ensemble-weights",
        [
            *DI,
            "--pairs",
            "{w}/pairs.parquet",
            "--teacher",
            "ensemble",
            "--predictions",
            "{w}/preds.parquet",
            "--languages",
            "{w}/langs.parquet",
            "--ensemble-weights",
            "votes",
            "--out",
            "{out}",
        ],
        ["--ensemble-weights", "'votes'"],
    ),
    (
        "distill-languages-without-ensemble",
        [*DI, "--pairs", "{w}/pairs.parquet", "--languages", "{w}/langs.parquet", "--out", "{out}"],
        ["--languages is only used by --teacher ensemble"],
    ),
    (
        "distill-guard-rule",
        [*DI, "--pairs", "{w}/pairs.parquet", "--guard-rule", "strict", "--out", "{out}"],
        ["--guard-rule", "'strict'"],
    ),
    (
        "distill-guard-alpha",
        [*DI, "--pairs", "{w}/pairs.parquet", "--guard-alpha", "0", "--out", "{out}"],
        ["--guard-alpha", "greater than 0"],
    ),
    (
        "distill-collapse-tv",
        [*DI, "--pairs", "{w}/pairs.parquet", "--collapse-tv", "-1", "--out", "{out}"],
        ["--collapse-tv", "greater than 0"],
    ),
    (
        "distill-teacher-unknown",
        [*DI, "--pairs", "{w}/pairs.parquet", "--teacher", "oracle", "--out", "{out}"],
        ["--teacher", "'oracle'"],
    ),
    (
        "distill-pairs-per-batch-zero",
        [*DI, "--pairs", "{w}/pairs.parquet", "--pairs-per-batch", "0", "--out", "{out}"],
        ["--pairs-per-batch", "at least 1"],
    ),
    (
        "distill-temperature-zero",
        [*DI, "--pairs", "{w}/pairs.parquet", "--temperature", "0", "--out", "{out}"],
        ["--temperature", "greater than 0"],
    ),
    (
        "distill-ce-without-train",
        [*DI, "--pairs", "{w}/pairs.parquet", "--ce-weight", "1", "--out", "{out}"],
        ["--ce-weight needs --train"],
    ),
    (
        "distill-out-is-the-model",
        [*DI, "--pairs", "{w}/pairs.parquet", "--out", "{w}/ft"],
        ["--out", "is also the input --model"],
    ),
    (
        "distill-device-cuda",
        [*DI[:-2], "--device", "cuda", "--pairs", "{w}/pairs.parquet", "--out", "{out}"],
        ["--device cuda", "no CUDA GPU"],
    ),
    (
        "distill-lr-zero",
        [*DI, "--pairs", "{w}/pairs.parquet", "--lr", "0", "--out", "{out}"],
        ["--learning-rate", "greater than 0"],
    ),
    # eval
    (
        "eval-unknown-source-language",
        [*EV, "--source-lang", "sw", "--out", "{out}.parquet"],
        ["test.parquet", "unknown language 'sw'"],
    ),
    ("eval-model-twice", [*EV, "--model", "{w}/ft", "--out", "{out}.parquet"], ["--model", "twice"]),
    ("eval-report-unknown", [*EV, "--report", "pretty", "--out", "{out}.parquet"], ["--report", "'pretty'"]),
    (
        "eval-plot-suffix",
        [*EV, "--plot", "{w}/plot.txt", "--out", "{out}.parquet"],
        ["--plot", "plot.txt", "must end in"],
    ),
    (
        "eval-predictions-out-is-data",
        [*EV, "--predictions-out", "{w}/test.parquet", "--out", "{out}.parquet"],
        ["--predictions-out", "is also the input --data"],
    ),
    (
        "eval-unlabeled-test",
        ["eval", "--model", "{w}/ft", "--data", "{w}/unlabeled.parquet", "--out", "{out}.parquet"],
        ["unlabeled.parquet", "'label'"],
    ),
    (
        "eval-empty-data",
        ["eval", "--model", "{w}/ft", "--data", "{w}/empty.parquet", "--out", "{out}.parquet"],
        ["empty.parquet", "no rows"],
    ),
    # self-train
    ("st-keep-zero", [*ST, "--keep", "0", "--out", "{out}"], ["--keep", "greater than 0"]),
    ("st-scope-unknown", [*ST, "--scope", "some", "--out", "{out}"], ["--scope", "'some'"]),
    ("st-source-missing", [*ST, "--source-lang", "sw", "--out", "{out}"], ["unlabeled.parquet", "'sw'"]),
    (
        "st-bad-predictions",
        [
            "self-train",
            "--model",
            "{w}/ft",
            "--predictions",
            "{w}/p_sum.parquet",
            "--data",
            "{w}/unlabeled.parquet",
            "--out",
            "{out}",
        ],
        ["p_sum.parquet", "sums to"],
    ),
    ("st-train-set-user-file", [*ST, "--out", "{w}/user"], ["user.train.parquet", "not written by alsace"]),
    # data import
    (
        "import-short-row",
        ["data", "import", "{w}/short-en.tsv", "--labels", "a,b", "--out", "{out}.parquet"],
        ["short-en.tsv", "line 3 has 2 tab-separated fields"],
    ),
    (
        "import-text-label-without-task",
        ["data", "import", "{w}/single-en.tsv", "--out", "{out}.parquet"],
        ["single-en.tsv", "--task"],
    ),
    (
        "import-empty-label",
        ["data", "import", "{w}/nolabel-en.tsv", "--labels", "a,b", "--out", "{out}.parquet"],
        ["nolabel-en.tsv", "row 1", "label is empty"],
    ),
    (
        "import-out-user-file",
        ["data", "import", "{w}/short-en.tsv", "--labels", "a,b", "--out", "{w}/user.parquet"],
        ["user.parquet", "not written by alsace"],
    ),
    (
        "import-out-is-input",
        ["data", "import", "{w}/train.parquet", "--out", "{w}/train.parquet"],
        ["is also the input"],
    ),
    (
        "import-format-unknown",
        ["data", "import", "{w}/short-en.tsv", "--format", "xml", "--out", "{out}.parquet"],
        ["--format", "'xml'"],
    ),
    (
        "import-skip-negative",
        ["data", "import", "{w}/short-en.tsv", "--skip", "-1", "--out", "{out}.parquet"],
        ["--skip", "at least 0"],
    ),
    (
        "import-missing-file",
        ["data", "import", "{w}/absent.tsv", "--labels", "a,b", "--out", "{out}.parquet"],
        ["absent.tsv", "no such file"],
    ),
    (
        "import-markup-in-name",
        ["data", "import", "{w}/[red]x.tsv", "--labels", "a,b", "--out", "{out}.parquet"],
        ["[red]x.tsv", "no such file"],
    ),
    (
        "import-qa-ids-repeat",
        ["data", "import", "{w}/repeat.en.json", "--format", "squad", "--out", "{out}.parquet"],
        ["repeat.en.json", "duplicate", "--renumber-ids"],
    ),
    (
        "import-qa-answer-elsewhere",
        ["data", "import", "{w}/offset.en.json", "--format", "squad", "--out", "{out}.parquet"],
        ["offset.en.json", "id 'q2'", "not in the context at character 3"],
    ),
    (
        "import-qa-not-json",
        ["data", "import", "{w}/short-en.tsv", "--format", "squad", "--lang", "en", "--out", "{out}.parquet"],
        ["short-en.tsv", "not SQuAD-format JSON"],
    ),
    (
        "import-mlqa-bad-name",
        ["data", "import", "{w}/offset.en.json", "--format", "mlqa", "--out", "{out}.parquet"],
        ["offset.en.json", "not an MLQA file name"],
    ),
    # run
    (
        "run-config-wrong-type",
        ["run", "--config", "{w}/run_type.toml", "--dir", "{out}"],
        ["run_type.toml [finetune] batch_size", "expected an integer"],
    ),
    (
        "run-unknown-section",
        ["run", "--config", "{w}/run_section.toml", "--dir", "{out}"],
        ["run_section.toml", "unknown section [finetun]"],
    ),
    (
        "run-wired-setting",
        ["run", "--config", "{w}/run_wired.toml", "--dir", "{out}"],
        ["run_wired.toml [finetune]", "'out'", "set by `run`"],
    ),
    ("run-dev-is-test", ["run", "--config", "{w}/run_dev.toml", "--dir", "{out}"], ["[run] dev", "test"]),
    (
        "run-missing-train",
        ["run", "--config", "{w}/run_missing.toml", "--dir", "{out}"],
        ["absent.parquet", "no such file"],
    ),
    (
        "run-unknown-key",
        ["run", "--config", "{w}/run_key.toml", "--dir", "{out}"],
        ["run_key.toml [run]", "unknown setting 'speed'"],
    ),
    (
        "run-negative-setting",
        ["run", "--config", "{w}/run_neg.toml", "--dir", "{out}"],
        ["run_neg.toml [distill] pairs_per_batch", "at least 1"],
    ),
    (
        "run-config-is-a-folder",
        ["run", "--config", "{w}/confdir", "--dir", "{out}"],
        ["confdir", "a folder, not a config file"],
    ),
    (
        "run-config-not-utf8",
        ["run", "--config", "{w}/run_latin1.toml", "--dir", "{out}"],
        ["run_latin1.toml", "not UTF-8"],
    ),
    (
        "run-dir-is-a-file",
        ["run", "--config", "{w}/run_ok.toml", "--dir", "{w}/a_file"],
        ["[run] dir", "a_file is a file"],
    ),
    (
        "run-set-threshold-late",
        ["run", "--config", "{w}/run_ok.toml", "--dir", "{out}", "--set", "select.threshold=median"],
        ["--threshold", "'median'"],
    ),
    (
        "run-set-max-length-too-long",
        ["run", "--config", "{w}/run_ok.toml", "--dir", "{out}", "--set", "eval.max_length=100000"],
        ["[eval] max_length = 100000", "at most 256 tokens"],
    ),
    (
        "run-auto-without-dev",
        ["run", "--config", "{w}/run_ok.toml", "--dir", "{out}", "--recipe", "auto"],
        ["recipe auto needs dev"],
    ),
    (
        "import-misaligned-labels",
        [
            "data",
            "import",
            "{w}/misaligned.csv",
            "--lang-column",
            "lang",
            "--labels",
            "x,y",
            "--out",
            "{out}.parquet",
        ],
        ["misaligned.csv", "2 of 2 parallel ids", "--max-label-disagreement"],
    ),
    (
        "import-label-disagreement-range",
        [
            "data",
            "import",
            "{w}/misaligned.csv",
            "--lang-column",
            "lang",
            "--max-label-disagreement",
            "2",
            "--out",
            "{out}.parquet",
        ],
        ["--max-label-disagreement", "at most 1"],
    ),
    (
        "predict-base-model",
        ["predict", "--model", "{w}/base", "--data", "{w}/unlabeled.parquet", "--out", "{out}.parquet"],
        ["base", "no trained head", "alsace finetune"],
    ),
    (
        "import-latin1-without-encoding",
        ["data", "import", "{w}/latin1-en.tsv", "--labels", "a,b", "--out", "{out}.parquet"],
        ["latin1-en.tsv", "--encoding"],
    ),
    (
        "import-unknown-encoding",
        [
            "data",
            "import",
            "{w}/latin1-en.tsv",
            "--encoding",
            "klingon",
            "--labels",
            "a,b",
            "--out",
            "{out}.parquet",
        ],
        ["--encoding klingon", "unknown encoding"],
    ),
    (
        "import-numeric-text",
        ["data", "import", "{w}/numbers.parquet", "--labels", "a,b", "--out", "{out}.parquet"],
        ["numbers.parquet", "'text'", "holds numbers"],
    ),
    (
        "run-print-config-bad-set",
        [
            "run",
            "--config",
            "{w}/run_ok.toml",
            "--dir",
            "{out}",
            "--print-config",
            "--set",
            "distill.teacher=nobody",
        ],
        ["distill.teacher", "'nobody'"],
    ),
    (
        "run-dev-translate-without-dev",
        ["run", "--config", "{w}/run_ok.toml", "--dir", "{out}", "--set", "run.dev_translate=mt"],
        ["dev_translate", "needs dev"],
    ),
    (
        "distill-recipe-unknown",
        [*DI, "--pairs", "{w}/pairs.parquet", "--recipe", "nope", "--out", "{out}"],
        ["--recipe nope", "no such recipe"],
    ),
    (
        "translate-model-missing",
        [
            "translate",
            "--model",
            "{w}/absent_mt",
            "--data",
            "{w}/train.parquet",
            "--target-languages",
            "de",
            "--out",
            "{out}.parquet",
        ],
        ["absent_mt", "no such model folder"],
    ),
    (
        "translate-beams-zero",
        [
            "translate",
            "--model",
            "{w}/base",
            "--data",
            "{w}/train.parquet",
            "--target-languages",
            "de",
            "--num-beams",
            "0",
            "--out",
            "{out}.parquet",
        ],
        ["--num-beams", "at least 1"],
    ),
    (
        "translate-data-missing",
        [
            "translate",
            "--model",
            "{w}/base",
            "--data",
            "{w}/absent.parquet",
            "--target-languages",
            "de",
            "--out",
            "{out}.parquet",
        ],
        ["absent.parquet", "no such file"],
    ),
    (
        "translate-not-an-mt-model",
        [
            "translate",
            "--model",
            "{w}/base",
            "--data",
            "{w}/train.parquet",
            "--target-languages",
            "de",
            "--out",
            "{out}.parquet",
        ],
        ["base", "not a sequence-to-sequence model"],
    ),
    (
        "run-recipe-unknown",
        ["run", "--config", "{w}/run_ok.toml", "--dir", "{out}", "--recipe", "nope"],
        ["--recipe nope", "no such recipe", "auto"],
    ),
    (
        "run-recipe-file-with-run-section",
        ["run", "--config", "{w}/run_ok.toml", "--dir", "{out}", "--recipe", "{w}/bad_recipe.toml"],
        ["bad_recipe.toml", "unknown section [run] for a recipe"],
    ),
    (
        "run-set-unknown-section",
        ["run", "--config", "{w}/run_ok.toml", "--dir", "{out}", "--set", "foo.bar=1"],
        ["--set foo.bar=1", "SECTION.KEY=VALUE"],
    ),
    (
        "run-set-unknown-key",
        ["run", "--config", "{w}/run_ok.toml", "--dir", "{out}", "--set", "distill.nope=1"],
        ["--set distill.nope=1", "unknown setting 'nope'"],
    ),
    (
        "run-set-wrong-type",
        ["run", "--config", "{w}/run_ok.toml", "--dir", "{out}", "--set", "finetune.epochs=abc"],
        ["--set finetune.epochs", "expected a number"],
    ),
    (
        "import-hf-and-files",
        ["data", "import", "{w}/train.parquet", "--hf", "{w}/nowhere", "--out", "{out}.parquet"],
        ["--hf", "not both"],
    ),
    (
        "import-hf-missing-folder",
        ["data", "import", "--hf", "{w}/nowhere", "--labels", "a", "--out", "{out}.parquet"],
        ["nowhere", "no such folder"],
    ),
    (
        "import-disagreement-negative",
        ["data", "import", "{w}/train.parquet", "--max-label-disagreement", "-1", "--out", "{out}.parquet"],
        ["--max-label-disagreement", "at least 0"],
    ),
    (
        "predict-unnamed-corpus-base-model",
        ["predict", "--model", "{w}/base", "--data", "{w}/unnamed.parquet", "--out", "{out}.parquet"],
        ["unnamed.parquet", "no label names", "only default ones", "--labels"],
    ),
    (
        "distill-unnamed-corpus-base-model",
        ["distill", "--model", "{w}/base", "--data", "{w}/unnamed.parquet", "--pairs", "{w}/pairs.parquet"]
        + ["--recipe", "none", "--out", "{out}"],
        ["unnamed.parquet", "no label names", "only default ones"],
    ),
    (
        "finetune-unnamed-corpus",
        ["finetune", "--model", "{w}/base", "--train", "{w}/unnamed.parquet", "--out", "{out}"],
        ["unnamed.parquet", "missing column 'label'"],
    ),
    (
        "eval-base-model",
        ["eval", "--model", "{w}/base", "--data", "{w}/test.parquet", "--out", "{out}.parquet"],
        ["base", "no trained head", "alsace finetune"],
    ),
    (
        "run-missing-config",
        ["run", "--config", "{w}/absent.toml", "--dir", "{out}"],
        ["absent.toml", "no such config file"],
    ),
    # tiny-model, verify
    (
        "tiny-model-out-user-folder",
        ["tiny-model", "{w}/userdir", "--data", "{w}/train.parquet"],
        ["userdir", "not written by alsace"],
    ),
    ("verify-a-file", ["verify", "{w}/train.parquet"], ["train.parquet", "a file; verify takes the folder"]),
    ("verify-missing-dir", ["verify", "{w}/absent_run"], ["absent_run", "no such run directory"]),
]


def _snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    return {
        str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns)
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_the_table_is_large_and_covers_every_command() -> None:
    assert len(BAD) >= 60 and len({row[0] for row in BAD}) == len(BAD)
    commands = {row[1][0] if row[1][0] != "data" else "data import" for row in BAD}
    assert commands >= {
        "finetune",
        "predict",
        "vote",
        "select",
        "make-pairs",
        "distill",
        "eval",
        "self-train",
        "data import",
        "run",
        "tiny-model",
        "verify",
    }


@pytest.mark.parametrize(("name", "command", "needles"), BAD, ids=[row[0] for row in BAD])
def test_bad_input_is_refused_with_one_line_and_nothing_written(
    name: str, command: list[str], needles: list[str], world: Path, tmp_path: Path
) -> None:
    if "wandb" in command:
        import importlib.util

        if importlib.util.find_spec("wandb"):
            pytest.skip("wandb is installed here")
    if "cuda" in command:
        import torch

        if torch.cuda.is_available():
            pytest.skip("this machine has a GPU")
    (world / "ft_dir.parquet").mkdir(exist_ok=True)
    out = tmp_path / "out"
    args = [a.replace("{w}", str(world)).replace("{out}", str(out)) for a in command]
    before = _snapshot(world)
    result = invoke(*args)
    assert result.exit_code == 2, result.output
    lines = [line for line in result.stderr.strip().splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    for needle in needles:
        assert needle.replace("{w}", str(world)) in lines[0], lines[0]
    assert _snapshot(world) == before, "a file in the work folder was written or changed"
    assert list(tmp_path.iterdir()) == [], f"written: {list(tmp_path.iterdir())}"


def test_overwrite_replaces_only_what_alsace_wrote(world: Path, tmp_path: Path) -> None:
    out = tmp_path / "p.parquet"
    args = [
        "predict",
        "--model",
        world / "ft",
        "--data",
        world / "unlabeled.parquet",
        "--out",
        out,
        "--device",
        "cpu",
    ]
    assert invoke(*args).exit_code == 0
    assert invoke(*args).exit_code == 2  # exists
    assert invoke(*args, "--overwrite").exit_code == 0
    user = tmp_path / "mine.parquet"
    user.write_text("mine")
    result = invoke(*args[:-3], user, "--device", "cpu", "--overwrite")
    assert result.exit_code == 2 and user.read_text() == "mine"


def test_allow_partial_scores_each_language_on_its_ids(world: Path, tmp_path: Path) -> None:
    result = invoke(
        "select",
        "--predictions",
        world / "p_partial.parquet",
        "--pseudo-labels",
        world / "pseudo.parquet",
        "--out",
        tmp_path / "l.parquet",
        "--allow-partial",
    )
    assert result.exit_code == 0 and (tmp_path / "l.parquet").exists()


def test_force_accepts_pairs_of_another_corpus(world: Path, tmp_path: Path) -> None:
    result = invoke(
        "distill",
        "--model",
        world / "ft",
        "--data",
        world / "unlabeled.parquet",
        "--pairs",
        world / "other_pairs.parquet",
        "--allow-other-corpus",
        "--steps",
        "1",
        "--device",
        "cpu",
        "--out",
        tmp_path / "d",
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "d" / "model.safetensors").exists()


def test_two_column_tsv_with_label_names_is_a_single_task(world: Path, tmp_path: Path) -> None:
    from alsace_cli.io.artifacts import load_dataset

    result = invoke(
        "data", "import", world / "single-en.tsv", "--labels", "0,1", "--out", tmp_path / "s.parquet"
    )
    assert result.exit_code == 0, result.output
    assert load_dataset(tmp_path / "s.parquet").task == "single"
