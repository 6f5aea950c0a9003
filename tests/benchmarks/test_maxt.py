"""benchmarks/maxt.py: the max-T correction pays for dependent checks only as much as they are independent,
controls the chance of any false call, and reads an auto run's files."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from alsace_cli.io.artifacts import write_artifact
from alsace_cli.method.paired_tests import sign_test_worse

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

from maxt import compare_rules, maxt_adjusted  # noqa: E402


def test_copies_of_one_check_cost_nothing_and_unrelated_checks_cost_their_number() -> None:
    rng = np.random.default_rng(1)
    one = np.zeros((200, 1))
    one[:30], one[30:44] = 1.0, -1.0  # 30 ids better, 14 worse: T = 2.41, p about 0.01 alone
    adjusted, unadjusted = maxt_adjusted(np.hstack([one] * 6), flips=20000)
    assert np.allclose(adjusted, unadjusted) and 0.004 < unadjusted[0] < 0.02  # six copies: one test
    unrelated = rng.permuted(np.hstack([one] * 6), axis=0)  # the same check, its ids shuffled: independent
    unrelated[:, 0] = one[:, 0]
    adjusted, unadjusted = maxt_adjusted(unrelated, flips=20000)
    assert (adjusted >= unadjusted).all()
    # Six independent tests: Šidák's 1 − (1 − p)^6, 5.8 p here; Holm (Bonferroni for the smallest) says 6 p.
    assert 5 < adjusted[0] / unadjusted[0] < 6.5


def test_with_no_check_better_it_rarely_calls_any_better() -> None:
    """200 families of 18 correlated null checks: the share with any adjusted p < 0.05 stays near 0.05."""
    rng = np.random.default_rng(7)
    false_calls = 0
    for _ in range(200):
        drift = rng.choice([-1.0, 0.0, 1.0], size=(100, 1), p=[0.1, 0.8, 0.1])
        noise = rng.choice([-1.0, 0.0, 1.0], size=(100, 18), p=[0.05, 0.9, 0.05])
        adjusted, _ = maxt_adjusted(np.clip(drift + noise, -1, 1), flips=500, seed=int(rng.integers(1 << 30)))
        false_calls += adjusted.min() < 0.05
    assert 2 <= false_calls <= 20  # 0.01-0.10 of 200


def candidate(root: Path, name: str, checks: dict[int, np.ndarray], kept_step: int) -> None:
    """A candidate's folder as the guard leaves it: 300 dev rows (100 ids × 3 languages) scored at step 0 and
    at each check, the train log's sign-test p-values, and the kept step."""
    directory = root / f"distilled-{name}"
    directory.mkdir()
    step0 = np.zeros(300)
    guard = {"kept_step": kept_step, "dev_judged_on": "300 dev rows in 3 languages", "dev_score_step0": 0.0}
    (directory / "alsace_provenance.json").write_text(json.dumps({"guard": guard}))
    p = [sign_test_worse(scores, step0)[2] for scores in checks.values()]
    log = pd.DataFrame(
        {"step": [0, *checks], "epoch": 0.0, "loss": 0.0, "lr": 0.0, "dev_p_better": [None, *p]}
    )
    write_artifact(log, directory / "train_log.parquet", "train_log")
    rows = pd.DataFrame(
        {"id": [str(i % 100) for i in range(300)], "lang": np.repeat(["en", "de", "fr"], 100)}
    )
    rows["step0"] = step0
    for step, scores in checks.items():
        rows[f"step{step}"] = scores
    rows["kept"] = checks[kept_step] if kept_step else step0
    write_artifact(rows, directory / "guard_dev.parquet", "guard_dev")


def test_a_gain_seen_at_every_check_survives_max_t_where_holm_divides_it_by_eighteen(tmp_path: Path) -> None:
    gain = np.zeros(300)
    gain[:12] = 1.0  # 12 rows right that were wrong at step 0: sign test p = 2^-12 at every check
    for name in ("static", "static-ce", "ensemble-conf"):
        candidate(
            tmp_path,
            name,
            {step: gain for step in (25, 50, 75, 100, 125, 150)},
            150 if name == "static" else 0,
        )
    found = {s["recipe"]: s for s in compare_rules(tmp_path, flips=2000)}
    assert found["static"]["p_better"] < 3e-4 and found["static"]["qualifies"]  # strong enough for both rules
    assert found["static"]["p_maxt"] < 0.01 and found["static"]["qualifies_maxt"]
    assert not found["static-ce"]["qualifies_maxt"]  # kept step 0: nothing to call better
    weak = gain.copy()
    weak[12:17] = -1.0  # 12 better, 5 worse: p ≈ 0.07 alone, Holm over 18 ≈ 1
    for name in ("static", "static-ce", "ensemble-conf"):
        (tmp_path / "w").mkdir(exist_ok=True)
        candidate(tmp_path / "w", name, {step: weak for step in (25, 50, 75, 100, 125, 150)}, 150)
    found = {s["recipe"]: s for s in compare_rules(tmp_path / "w", flips=2000)}
    assert found["static"]["p_holm"] == 1.0 and not found["static"]["qualifies"]
    assert abs(found["static"]["p_maxt"] - found["static"]["p_flip"]) < 1e-9  # 18 copies: no price
