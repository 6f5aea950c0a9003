"""The guard: a paired sign test on hand-made dev outcomes, and the label-free collapse detector."""

from __future__ import annotations

import json
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import torch

from alsace_cli.configs import DistillConfig
from alsace_cli.errors import AlsaceError
from alsace_cli.io.artifacts import read_meta
from alsace_cli.training.collapse import label_histogram
from alsace_cli.training.dev_set import DevSet
from alsace_cli.training.guard import Guard, GuardSettings, sign_test_worse
from alsace_cli.training.objectives.label_pairs import LabelPairDistillation
from alsace_cli.training.setup import TrainLog


def validate(config: DistillConfig) -> None:
    """The checks distill makes on its settings before reading any file."""
    config.validate()
    LabelPairDistillation.check(config)


def fake_dev_set(monkeypatch: pytest.MonkeyPatch, scores, langs: list[str], source: str = "en") -> DevSet:
    """A dev set of rows in `langs` whose per-row scores at each check are the next of `scores`."""
    monkeypatch.setattr(
        "alsace_cli.training.dev_set.get_task",
        lambda name: SimpleNamespace(dev_row_scores=lambda *a, **k: next(scores)),
    )
    return DevSet(SimpleNamespace(task="pair", frame=pd.DataFrame({"lang": langs})), source)


def run_guard(
    monkeypatch: pytest.MonkeyPatch, outcomes: list[list[float]], rule: str = "paired", margin: float = 1.0
) -> int:
    """Drive the guard through checks whose per-row dev scores are `outcomes`; returns the step it keeps."""
    scores = iter(outcomes)
    # The guard asks the dev set's task for per-row scores (right/wrong here; F1 for QA).
    accelerator = SimpleNamespace(unwrap_model=lambda m: m, device=torch.device("cpu"))
    model, log = torch.nn.Linear(2, 2), TrainLog()
    dev = fake_dev_set(monkeypatch, scores, ["en"] * len(outcomes[0]))
    guard = Guard(GuardSettings(guard_rule=rule, guard_margin=margin), dev)
    guard.setup(None, accelerator)
    for step in range(len(outcomes)):
        with torch.no_grad():
            model.weight.fill_(float(step))  # the state at step k has every weight equal to k
        guard.check(model, step, log)
    guard.restore(model, len(outcomes) - 1)
    return int(model.weight[0, 0].item())


def rows(right: int, n: int = 99, wrong_first: int = 0) -> list[float]:
    """n dev rows, `right` of them right, the first `wrong_first` forced wrong."""
    out = [0.0] * wrong_first + [1.0] * right
    return (out + [0.0] * n)[:n]


def test_sign_test_matches_hand_computed_mcnemar_exact_values() -> None:
    # 3 better, 4 worse: P(X >= 4 | n=7) = (35 + 21 + 7 + 1) / 128 = 0.5
    before = np.array([1, 1, 1, 1, 0, 0, 0, 1], dtype=float)
    after = np.array([0, 0, 0, 0, 1, 1, 1, 1], dtype=float)
    assert sign_test_worse(before, after) == (3, 4, 0.5)
    # 0 better, 6 worse: P(X >= 6 | n=6) = 1/64
    assert sign_test_worse(np.ones(6), np.zeros(6)) == (0, 6, 1 / 64)
    # 1 better, 9 worse: (C(10,9) + C(10,10)) / 1024 = 11/1024
    b, w, p = sign_test_worse(np.array([1.0] * 9 + [0.0]), np.array([0.0] * 9 + [1.0]))
    assert (b, w) == (1, 9) and p == pytest.approx(11 / 1024)
    # F1 scores: only the sign of each change counts; no change is no evidence.
    assert sign_test_worse(np.array([0.5, 0.2, 0.9]), np.array([0.4, 0.2, 1.0]))[:2] == (1, 1)
    assert sign_test_worse(np.ones(3), np.ones(3)) == (0, 0, 1.0)


def test_a_drop_of_one_row_in_99_is_noise_and_the_last_step_is_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    start = rows(76)
    last = list(start)
    last[0:4] = [0.0] * 4  # 4 rows worse
    last[80:83] = [1.0] * 3  # 3 better: 75 right of 99 against 76
    assert sum(last) == 75
    assert run_guard(monkeypatch, [start, last]) == 1
    assert run_guard(monkeypatch, [start, last], rule="best") == 0  # the old rule rolls back on noise


def test_a_collapse_on_the_dev_set_rolls_back(monkeypatch: pytest.MonkeyPatch) -> None:
    start = rows(76)
    collapsed = rows(33)  # 43 rows right before are now wrong, none better
    assert run_guard(monkeypatch, [start, rows(77), collapsed]) == 1  # the latest acceptable check
    assert run_guard(monkeypatch, [start, collapsed]) == 0


def test_a_run_that_was_significantly_worse_must_recover_to_keep_its_last_step(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    start = rows(76)
    harmed = rows(66)  # 10 worse, none better: p = 2^-10
    below = rows(74)  # 2 worse than step 0: p = 0.25, not significant on its own, but still below
    assert run_guard(monkeypatch, [start, harmed, below]) == 0  # the best dev score: step 0
    assert run_guard(monkeypatch, [start, rows(77), harmed, below]) == 1  # step 1 scored best
    assert run_guard(monkeypatch, [start, harmed, rows(76)]) == 2  # back to step 0's score: recovered
    assert run_guard(monkeypatch, [start, harmed, rows(78)]) == 2
    assert run_guard(monkeypatch, [start, rows(75), below]) == 2  # never significantly worse: noise


def test_a_check_significantly_better_than_the_last_one_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    start = rows(60)
    peak = rows(80)  # 20 better than step 0
    last = rows(66)  # 14 worse than the peak (none better): p = 2^-14; not worse than step 0
    assert run_guard(monkeypatch, [start, peak, last]) == 1
    assert run_guard(monkeypatch, [start, rows(62), rows(61)]) == 2  # 1 row apart: noise, the last is kept


def test_the_collapse_detector_measures_label_shift_and_entropy() -> None:
    balanced = np.tile(np.eye(3)[[0, 1, 2]] * 0.8 + 0.2 / 3, (10, 1))
    one_label = np.tile(np.array([[0.9, 0.05, 0.05]]), (30, 1))
    uniform = np.full((30, 3), 1 / 3)
    h0, e0 = label_histogram(balanced)
    h1, e1 = label_histogram(one_label)
    assert h0 == pytest.approx([1 / 3] * 3) and h1 == pytest.approx([1, 0, 0])
    assert 0.5 * np.abs(h1 - h0).sum() == pytest.approx(2 / 3)  # TV of a collapse onto one of 3 labels
    assert label_histogram(uniform)[1] == pytest.approx(1.0) and e0 < 0.7


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"teacher": "frozen"}, "unknown teacher"),
        ({"teacher": "static"}, "needs --predictions"),
        ({"predictions": "p.parquet"}, "only used by --teacher static"),
        ({"eval_every": 5, "collapse_check": False}, "needs --dev FILE or the collapse check"),
    ],
)
def test_distill_options_are_checked(fields: dict, message: str) -> None:
    with pytest.raises(AlsaceError, match=message):
        validate(DistillConfig(model="m", data="d", pairs="p", **fields))


def test_the_detector_fires_on_a_collapsed_tiny_model_and_the_guard_rolls_back(data_dir, finetuned) -> None:
    """No dev set: a model pushed onto one label is caught at its first check and step 0 is restored."""
    from alsace_cli.io.artifacts import load_dataset
    from alsace_cli.tasks import get_task
    from alsace_cli.tasks.models import load_model
    from alsace_cli.training.collapse import collapse_samples

    corpus = load_dataset(data_dir / "unlabeled.parquet")
    model, tokenizer = load_model(str(finetuned), "pair", corpus.labels)
    config = DistillConfig(collapse_sample=32, max_length=64)
    accelerator = SimpleNamespace(unwrap_model=lambda m: m, device=torch.device("cpu"))
    guard = Guard(
        GuardSettings.of(config),
        None,
        corpus=collapse_samples(corpus.frame, 32, "en", config.seed),
        task=get_task("pair"),
    )
    guard.setup(tokenizer, accelerator)
    log = TrainLog()
    assert guard.check(model, 0, log) is False
    before = {k: v.clone() for k, v in model.state_dict().items()}
    with torch.no_grad():
        model.classifier.bias.copy_(torch.tensor([0.0, 50.0, 0.0]))  # every input now says "neutral"
    assert guard.check(model, 5, log) is True
    checks = log.frame().dropna(subset=["collapse_tv"])
    assert checks["collapse_tv"].iloc[0] == 0.0 and checks["collapse_tv"].iloc[1] > 0.25
    assert guard.restore(model, 5) == 0
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())


def test_distill_stops_when_the_detector_fires(data_dir, finetuned, tmp_path, monkeypatch) -> None:
    """An end-to-end run whose teacher targets are one label: training stops at the first check after it."""
    from alsace_cli.stages.distill import distill
    from alsace_cli.training import teachers
    from tests.conftest import english_teacher_pairs

    english_teacher_pairs(data_dir, tmp_path, materialize=True)
    one_label = np.log(np.tile(np.array([[0.001, 0.998, 0.001]], dtype=np.float32), (24, 1)))
    monkeypatch.setattr(
        teachers, "static_targets", lambda predictions, data, corpus, rows, *a: one_label[: len(rows)]
    )
    out = distill(
        DistillConfig(
            model=str(finetuned),
            data=str(data_dir / "unlabeled.parquet"),
            pairs=str(tmp_path / "pairs.parquet"),
            out=str(tmp_path / "d"),
            teacher="static",
            predictions="unused",
            allow_other_corpus=True,
            max_steps=12,
            eval_every=3,
            learning_rate=5e-2,
            pairs_per_batch=8,
            collapse_sample=32,
            device="cpu",
        )
    )
    log = pd.read_parquet(out / "train_log.parquet")
    fired = log.dropna(subset=["collapse_tv"])
    assert fired["collapse_tv"].iloc[-1] > 0.25 and fired["step"].iloc[-1] < 12  # stopped early
    assert log["step"].max() == fired["step"].iloc[-1]
    # The decision is in the model's provenance and the log's metadata, not only on stderr.
    decision = json.loads((out / "alsace_provenance.json").read_text())["guard"]
    assert decision["collapsed"] is True and decision["last_step"] == fired["step"].iloc[-1]
    assert decision["kept_step"] in fired["step"].tolist()[:-1] and "collapse" in decision["rule"]
    assert read_meta(out / "train_log.parquet")["provenance"]["guard"] == decision


def run_detector(monkeypatch: pytest.MonkeyPatch, moved: list[int]) -> int:
    """Checks whose predicted labels move `moved[k]` of 100 balanced rows onto label 0 (TV = moved/100);
    returns the step the guard keeps."""

    def probs(n_moved: int) -> np.ndarray:
        labels = np.array([0] * 34 + [1] * 33 + [2] * 33)
        labels[np.flatnonzero(labels != 0)[:n_moved]] = 0
        return np.eye(3, dtype=np.float32)[labels]

    outputs = iter([probs(m) for m in moved for _ in ("all", "source")])
    monkeypatch.setattr("alsace_cli.training.guard.predict_probs", lambda *a, **k: next(outputs))
    accelerator = SimpleNamespace(unwrap_model=lambda m: m, device=torch.device("cpu"))
    corpus = {"all": pd.DataFrame(), "source": pd.DataFrame()}
    guard = Guard(GuardSettings(), None, corpus=corpus, task=None)
    guard.setup(None, accelerator)
    model, log = torch.nn.Linear(2, 2), TrainLog()
    for step, _ in enumerate(moved):
        with torch.no_grad():
            model.weight.fill_(float(step))
        fired = guard.check(model, step, log)
    assert fired  # every case below ends with the detector firing
    guard.restore(model, len(moved) - 1)
    return int(model.weight[0, 0].item())


def test_when_the_detector_fires_the_run_goes_back_to_a_check_well_inside_its_limits(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Limits: TV 0.25; "well inside" is half, 0.125. Step 2 (TV 0.17) was acceptable but already drifting,
    # as KL-live on XNLI at step 25 (TV 0.166, average accuracy down 4.7): the guard keeps step 1 (TV 0.05).
    assert run_detector(monkeypatch, [0, 5, 17, 40]) == 1
    assert run_detector(monkeypatch, [0, 17, 40]) == 0  # no check within half the limits but step 0
    assert run_detector(monkeypatch, [0, 5, 10, 40]) == 2  # TV 0.10: well inside, kept


def test_a_model_that_ends_on_one_label_is_collapsed_whatever_it_started_from(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Issue 35.3: a near-chance model already predicting label 0 for 76% of rows moves to 97%: TV 0.21 and
    an entropy shift under the limits, yet one label everywhere. One-hot outputs keep the entropy at 0."""

    def probs(n_zero: int) -> np.ndarray:
        labels = np.array(
            [0] * n_zero + [1] * ((100 - n_zero) // 2) + [2] * (100 - n_zero - (100 - n_zero) // 2)
        )
        return np.eye(3, dtype=np.float32)[labels]

    outputs = iter([probs(n) for n in (76, 97) for _ in ("all", "source")])
    monkeypatch.setattr("alsace_cli.training.guard.predict_probs", lambda *a, **k: next(outputs))
    guard = Guard(GuardSettings(), None, corpus={"all": pd.DataFrame(), "source": pd.DataFrame()}, task=None)
    guard.setup(None, SimpleNamespace(unwrap_model=lambda m: m, device=torch.device("cpu")))
    model, log = torch.nn.Linear(2, 2), TrainLog()
    assert not guard.check(model, 0, log)
    assert guard.check(model, 1, log) and guard.history[1].tv < 0.25  # fired, though TV alone would not


def test_the_gain_rule_keeps_the_fine_tuned_weights_unless_dev_shows_a_gain(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    start = rows(70)
    noise = rows(72)  # 2 more right of 99: p(better) = 0.25
    gain = rows(80)  # 10 more right, none worse: p = 1/1024
    assert run_guard(monkeypatch, [start, noise], rule="gain") == 0
    assert run_guard(monkeypatch, [start, gain, noise], rule="gain") == 1
    assert run_guard(monkeypatch, [start, noise, gain], rule="gain") == 2


def test_the_noninferior_rule_keeps_a_run_only_when_dev_bounds_its_drop(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    start, one_worse = rows(76), rows(75)  # one row of 99 lost, none gained: 1.01 points down
    # A 1-point margin cannot be shown with one changed row; a 5-point margin can (z ≈ 3.97).
    assert run_guard(monkeypatch, [start, one_worse], rule="noninferior", margin=1.0) == 0
    assert run_guard(monkeypatch, [start, one_worse], rule="noninferior", margin=5.0) == 1
    # Ten rows lost of 99 is not within 5 points.
    assert run_guard(monkeypatch, [start, rows(66)], rule="noninferior", margin=5.0) == 0


def test_what_a_small_dev_set_can_see_is_said_at_the_start(monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    from alsace_cli.method.paired_tests import detectable_drop

    # 0.5^5 = 0.031 < 0.05 ≤ 0.5^4; of 10 changed rows, 9 worse gives p = 11/1024, 8 worse 56/1024.
    assert detectable_drop(100, 0.05) == (5, pytest.approx(8.0))
    scores = iter([rows(70)])
    guard = Guard(GuardSettings(), fake_dev_set(monkeypatch, scores, ["en"] * 99))
    guard.setup(None, SimpleNamespace(unwrap_model=lambda m: m, device=torch.device("cpu")))
    guard.begin(torch.nn.Linear(2, 2), TrainLog())
    err = " ".join(capsys.readouterr().err.split())
    assert "99 en dev rows" in err and "from 5 more rows wrong than right" in err


def test_the_evidence_rules_need_a_dev_set() -> None:
    with pytest.raises(AlsaceError, match="--guard-rule gain needs --dev"):
        DistillConfig(guard_rule="gain").validate()


def run_multilingual(
    monkeypatch: pytest.MonkeyPatch, checks: list[dict[str, list[float]]], rule: str = "gain"
):
    """The guard over checks given as per-language row scores (English and German, 60 rows each)."""
    langs = [lang for lang in checks[0] for _ in checks[0][lang]]
    scores = iter([np.concatenate([check[lang] for lang in checks[0]]) for check in checks])
    guard = Guard(GuardSettings(guard_rule=rule), fake_dev_set(monkeypatch, scores, langs))
    guard.setup(None, SimpleNamespace(unwrap_model=lambda m: m, device=torch.device("cpu")))
    model, log = torch.nn.Linear(2, 2), TrainLog()
    for step in range(len(checks)):
        with torch.no_grad():
            model.weight.fill_(float(step))
        guard.check(model, step, log)
    guard.restore(model, len(checks) - 1)
    return int(model.weight[0, 0].item()), guard, log


def test_a_multilingual_dev_set_keeps_a_gain_outside_english(monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 34: the gain is in German; English dev alone could not see it, the pooled rows do."""
    step0 = {"en": rows(40, 60), "de": rows(20, 60)}
    gained = {"en": rows(40, 60), "de": rows(40, 60)}
    kept, guard, log = run_multilingual(monkeypatch, [step0, gained])
    assert kept == 1
    assert guard.decision["dev_by_lang"]["de"] == {
        "step0": pytest.approx(20 / 60),
        "kept": pytest.approx(40 / 60),
    }
    assert guard.decision["dev_multilingual"] and "2 languages (de, en)" in guard.decision["dev_judged_on"]
    assert log.frame()["dev_accuracy_de"].tolist() == pytest.approx([20 / 60, 40 / 60])


def test_a_check_whose_source_rows_are_significantly_worse_is_not_kept(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Pooled, step 1 gains 20 rows (p < 0.05); its English rows lost 10 with none gained (p = 0.001)."""
    step0 = {"en": rows(40, 60), "de": rows(10, 60)}
    step1 = {"en": rows(30, 60), "de": rows(40, 60)}
    kept, guard, _ = run_multilingual(monkeypatch, [step0, step1])
    assert kept == 0 and guard.history[1].p_better < 0.05 and guard.history[1].p_source_worse < 0.01
    assert not guard.history[1].acceptable


def test_an_english_only_dev_set_says_what_it_cannot_see(monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    guard = Guard(GuardSettings(), fake_dev_set(monkeypatch, iter([rows(70)]), ["en"] * 99))
    guard.setup(None, SimpleNamespace(unwrap_model=lambda m: m, device=torch.device("cpu")))
    guard.begin(torch.nn.Linear(2, 2), TrainLog())
    assert "cannot see gains or losses outside en" in " ".join(capsys.readouterr().err.split())


def test_label_free_agreement_reads_no_label() -> None:
    from alsace_cli.training.dev_set import _agreement

    ids = np.array(["a", "a", "a", "b", "b", "c"])
    pred = np.array([0, 0, 1, 2, 2, 1])  # id c is in one language: left out
    assert _agreement(ids, pred, pred) == pytest.approx(4 / 5)
    assert _agreement(ids, pred, np.array([1, 1, 1, 0, 0, 0])) == pytest.approx(1 / 5)
