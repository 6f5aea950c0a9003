"""The probe task on a tiny random BertForMaskedLM built offline: candidate scores as GeoMLAMA computes them,
multi-token candidates, a right answer forced through the LM head's bias, GeoMLAMA's file format, and the
method end to end with accuracy per country."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from alsace_cli.errors import AlsaceError
from tests.cli.helpers import invoke, ok

HEADER = "Prompt\tCorresponding Questions\tAns\tCandidate Ans\tContext\tGPT-3 Pred\tGPT-3 Pred (T/F/I)\n"
EN = [
    ("People keep <mask> when driving in {c}.", ["right", "left", "middle"], {"in": "left", "ke": "left"}),
    (
        "The staple food in {c} is <mask>.",
        ["bread", "rice", "maize", "new york"],
        {"cn": "rice", "in": "rice, bread"},
    ),
    ("Tips are <mask> in {c}.", ["rare", "common"], {"us": "common"}),
]
SW = [
    (
        "Watu huendesha <mask> katika {c}.",
        ["kulia", "kushoto", "katikati"],
        {"in": "kushoto", "ke": "kushoto"},
    ),
    (
        "Chakula kikuu katika {c} ni <mask>.",
        ["mkate", "wali", "mahindi", "new york"],
        {"cn": "wali", "in": "wali, mkate"},
    ),
    ("Bahashishi ni <mask> katika {c}.", ["nadra", "kawaida"], {"us": "kawaida"}),
]
COUNTRIES = {"us": "United States", "cn": "China", "in": "India", "ir": "Iran", "ke": "Kenya"}


def write_geomlama(path: Path, prompts: list) -> Path:
    blocks = []
    for template, candidates, answers in prompts:
        lines = []
        for code, country in COUNTRIES.items():
            default = candidates[0] if code not in answers else answers[code]
            lines.append(
                f"{template.format(c=country)}\tq?\t{default}\t{', '.join(candidates)}\tconcept\tx\tT"
            )
        blocks.append("\n".join(lines))
    path.write_text(HEADER + "\n\t\t\t\t\t\t\n".join(blocks) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def probe(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from alsace_cli.stages.tiny_model import build_tiny_model

    w = tmp_path_factory.mktemp("probe")
    ok(
        "data",
        "import",
        "--format",
        "geomlama",
        write_geomlama(w / "gd_prompt_en.tsv", EN),
        write_geomlama(w / "gd_prompt_sw.tsv", SW),
        "--out",
        w / "probe.parquet",
    )
    frame = pd.read_parquet(w / "probe.parquet")
    texts = [
        p.replace("<mask>", c)
        for p, cands in zip(frame["text"], frame["candidates"], strict=True)
        for c in cands
    ]
    build_tiny_model(w / "mlm", texts, seed=0, masked_lm=True, dropout=0.0)
    return w


def test_geomlama_files_become_a_parallel_probe_dataset(probe: Path) -> None:
    from alsace_cli.io.artifacts import load_dataset

    data = load_dataset(probe / "probe.parquet")
    frame = data.frame
    assert data.task == "probe" and data.labels == [f"candidate {k}" for k in (1, 2, 3, 4)]
    assert len(frame) == 2 * 15 and set(frame["lang"]) == {"en", "sw"}
    row = frame[(frame["lang"] == "sw") & (frame["id"] == "01-in")].iloc[0]
    assert list(row["candidates"]) == ["mkate", "wali", "mahindi", "new york"] and list(row["golds"]) == [
        1,
        0,
    ]
    assert row["label"] == 1 and row["country"] == "India"
    assert (frame.groupby("id")["lang"].nunique() == 2).all()  # parallel by prompt order


def test_scores_are_the_mean_log_probability_of_tokens_filled_left_to_right(probe: Path) -> None:
    import torch

    from alsace_cli.tasks import get_task
    from alsace_cli.tasks.models import load_model

    task = get_task("probe")
    model, tokenizer = load_model(str(probe / "mlm"), "probe", [f"c{k}" for k in range(4)])
    rows = pd.DataFrame(
        {"text": ["The staple food in India is <mask>."], "candidates": [["bread", "new york"]]}
    )
    with torch.no_grad():
        scores = model(**task.encode(tokenizer, rows, 64)).logits[0]
        mlm = model.mlm.eval()
        by_hand = []
        for candidate in ("bread", "new york"):  # GeoMLAMA's procedure, one forward per token
            ids = tokenizer(f"The staple food in India is {candidate}.")["input_ids"]
            pieces = tokenizer(candidate, add_special_tokens=False)["input_ids"]
            start = next(i for i in range(len(ids)) if ids[i : i + len(pieces)] == pieces)
            logs = []
            for k in range(len(pieces)):
                masked = list(ids)
                for j in range(k, len(pieces)):
                    masked[start + j] = tokenizer.mask_token_id
                out = torch.log_softmax(mlm(input_ids=torch.tensor([masked])).logits[0, start + k], -1)
                logs.append(float(out[pieces[k]]))
            by_hand.append(np.mean(logs))
    assert len(tokenizer(" new york", add_special_tokens=False)["input_ids"]) == 2  # a two-token candidate
    assert scores[:2].tolist() == pytest.approx(by_hand, abs=1e-5)
    assert scores[2:].tolist() == [-1e4, -1e4]  # the slots this prompt does not fill


def test_a_forced_answer_is_predicted_and_scored_right(probe: Path, tmp_path: Path) -> None:
    """The LM head's bias makes 'rice' and 'wali' win every prompt that offers them."""
    import torch
    from transformers import AutoModelForMaskedLM

    from alsace_cli.io.artifacts import read_artifact
    from alsace_cli.tasks.models import load_tokenizer

    mlm = AutoModelForMaskedLM.from_pretrained(probe / "mlm")
    tokenizer = load_tokenizer(str(probe / "mlm"))
    with torch.no_grad():
        for word in ("rice", "wali"):
            mlm.cls.predictions.bias[tokenizer.convert_tokens_to_ids(word)] += 50.0
    mlm.save_pretrained(tmp_path / "forced")
    tokenizer.save_pretrained(tmp_path / "forced")
    ok(
        "predict",
        "--model",
        tmp_path / "forced",
        "--data",
        probe / "probe.parquet",
        "--out",
        tmp_path / "p.parquet",
        "--device",
        "cpu",
    )
    predictions = pd.read_parquet(tmp_path / "p.parquet").merge(
        pd.read_parquet(probe / "probe.parquet"), on=["id", "lang"]
    )
    food = predictions["id"].str.startswith("01-")
    assert (predictions.loc[food, "pred"] == 1).all()  # slot 2 is rice / wali
    tips = predictions["id"].str.startswith("02-")  # two candidates: the other two slots get nothing
    assert all(p[2] == 0.0 and p[3] == 0.0 for p in predictions.loc[tips, "probs"])
    ok(
        "eval",
        "--model",
        tmp_path / "forced",
        "--data",
        probe / "probe.parquet",
        "--out",
        tmp_path / "m.parquet",
        "--device",
        "cpu",
    )
    breakdown = pd.DataFrame(read_artifact(tmp_path / "m.parquet", "metrics").meta["breakdown"]["rows"])
    china = breakdown[(breakdown["value"] == "China") & (breakdown["lang"] == "all")].iloc[0]
    india = breakdown[(breakdown["value"] == "India") & (breakdown["lang"] == "all")].iloc[0]
    # China's food prompt (gold rice) and India's (golds rice and bread) are right in both languages
    per_prompt = predictions[food].assign(
        right=lambda f: [p in set(g) for p, g in zip(f["pred"], f["golds"], strict=True)]
    )
    assert per_prompt.set_index(["id", "lang"])["right"].loc[["01-cn", "01-in"]].all()
    assert china["n"] == india["n"] == 3 * 2  # three prompts per country, in two languages


def test_the_method_runs_on_a_probe_with_its_country_table(probe: Path, tmp_path: Path) -> None:
    w = tmp_path
    ok(
        "predict",
        "--model",
        probe / "mlm",
        "--data",
        probe / "probe.parquet",
        "--out",
        w / "p.parquet",
        "--device",
        "cpu",
    )
    ok("vote", "--predictions", w / "p.parquet", "--out", w / "v.parquet")
    ok(
        "select",
        "--predictions",
        w / "p.parquet",
        "--pseudo-labels",
        w / "v.parquet",
        "--out",
        w / "l.parquet",
    )
    ok(
        "make-pairs",
        "--data",
        probe / "probe.parquet",
        "--languages",
        w / "l.parquet",
        "--out",
        w / "pairs.parquet",
    )
    ok(
        "distill",
        "--model",
        probe / "mlm",
        "--data",
        probe / "probe.parquet",
        "--pairs",
        w / "pairs.parquet",
        "--out",
        w / "distilled",
        "--max-steps",
        "3",
        "--pairs-per-batch",
        "4",
        "--teacher",
        "static",
        "--predictions",
        w / "p.parquet",
        "--no-collapse-check",
        "--device",
        "cpu",
    )
    from transformers import AutoModelForMaskedLM

    AutoModelForMaskedLM.from_pretrained(w / "distilled")  # what distill wrote is a plain masked LM
    result = ok(
        "eval",
        "--model",
        probe / "mlm",
        "--model",
        w / "distilled",
        "--data",
        probe / "probe.parquet",
        "--out",
        w / "m.parquet",
        "--device",
        "cpu",
    )
    assert "Accuracy (%) by country" in result.stderr and "Kenya" in result.stderr


def test_bad_probe_data_is_refused(probe: Path, tmp_path: Path, tiny_base: Path) -> None:
    bad = write_geomlama(tmp_path / "gd_prompt_en.tsv", [("No mask in {c}.", ["a", "b"], {})])
    result = invoke("data", "import", "--format", "geomlama", bad, "--out", tmp_path / "x.parquet")
    assert result.exit_code == 2 and "line 2: expected a prompt with <mask>" in result.output
    wrong = write_geomlama(tmp_path / "gd_prompt_sw.tsv", [("X <mask> {c}.", ["a", "b"], {"us": "c"})])
    result = invoke("data", "import", "--format", "geomlama", wrong, "--out", tmp_path / "y.parquet")
    assert result.exit_code == 2 and "answer 'c' is not among the candidates" in result.output
    result = invoke(
        "predict", "--model", tiny_base, "--data", probe / "probe.parquet", "--out", tmp_path / "p.parquet"
    )
    assert result.exit_code == 2 and "the task needs a *ForMaskedLM model" in result.output
    from alsace_cli.tasks import get_task

    with pytest.raises(AlsaceError, match="row 0: column 'candidates' is empty"):
        get_task("probe").validate_rows(
            pd.DataFrame({"text": ["a <mask>"], "candidates": [[]]}), Path("f"), ["c1"]
        )
    with pytest.raises(AlsaceError, match="row 1: column 'text' has 2 <mask>, expected one"):
        get_task("probe").validate_rows(
            pd.DataFrame({"text": ["a <mask>", "<mask> <mask>"], "candidates": [["x"]] * 2}),
            Path("f"),
            ["c1"],
        )
