"""run's verdict: gain only with an interval above 0 and English not significantly down; harm when the
interval is below 0 or English is significantly down; a rollback is said in words."""

from __future__ import annotations

from alsace_cli.method.verdict import verdict


def rows(difference: float, low: float, high: float, en: float = 0.0, p: float = 1.0) -> list[dict]:
    return [
        {
            "what": "language",
            "lang": "en",
            "difference": en,
            "ci_low": en - 1,
            "ci_high": en + 1,
            "gained": 0,
            "lost": 0,
            "p_mcnemar": p,
        },
        {"what": "average", "lang": None, "difference": difference, "ci_low": low, "ci_high": high},
    ]


GUARD = {"kept_step": 150, "last_step": 150, "reason": "the last step", "collapsed": False}


def test_gain_needs_the_interval_above_zero_and_english_not_significantly_down() -> None:
    assert verdict(rows(1.2, 0.3, 2.1), GUARD, "en")["verdict"] == "gain"
    assert verdict(rows(1.2, -0.1, 2.1), GUARD, "en")["verdict"] == "no measurable change"
    assert verdict(rows(1.2, 0.3, 2.1, en=-2.0, p=0.01), GUARD, "en")["verdict"] == "harm"
    assert verdict(rows(1.2, 0.3, 2.1, en=-2.0, p=0.2), GUARD, "en")["verdict"] == "gain"


def test_harm_when_the_interval_lies_below_zero() -> None:
    found = verdict(rows(-1.0, -1.8, -0.2), GUARD, "en")
    assert found["verdict"] == "harm" and "fine-tuned model is the one to use" in found["line"]


def test_a_rollback_is_explained() -> None:
    collapsed = {"kept_step": 0, "last_step": 75, "reason": "the collapse detector fired", "collapsed": True}
    found = verdict(rows(0.0, 0.0, 0.0), collapsed, "en")
    assert found["verdict"] == "no measurable change" and "collapse detector" in found["line"]
    quiet = {**collapsed, "collapsed": False, "reason": "no check was shown significantly better"}
    assert "no check was shown significantly better" in verdict([], quiet, "en")["line"]


def test_without_a_test_comparison_the_guard_dev_figures_speak() -> None:
    guard = {**GUARD, "dev_score_step0": 0.61, "dev_score_kept": 0.64}
    assert verdict([], guard, "en")["verdict"] == "gain"
    assert verdict([], {**GUARD, "dev_score_step0": None}, "en")["verdict"] == "no measurable change"
