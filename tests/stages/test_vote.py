from __future__ import annotations

from alsace_cli.method.voting import vote_frame
from tests.conftest import predictions_frame


def test_majority_wins_over_probability_mass() -> None:
    preds = predictions_frame(
        [("a", "en", [0.6, 0.4, 0.0]), ("a", "de", [0.6, 0.4, 0.0]), ("a", "fr", [0.01, 0.99, 0.0])]
    )
    out = vote_frame(preds, 3).set_index("id")
    # label 1 has more summed probability (1.79 vs 1.21), but label 0 has two votes of three
    assert out.loc["a", "pseudo_label"] == 0
    assert out.loc["a", "votes"] == 2 and out.loc["a", "n_langs"] == 3
    assert abs(out.loc["a", "agreement"] - 2 / 3) < 1e-12
    assert not out.loc["a", "tie"]


def test_tie_broken_by_summed_probability() -> None:
    preds = predictions_frame(
        [
            ("a", "en", [0.5, 0.3, 0.2]),
            ("a", "de", [0.1, 0.8, 0.1]),
            ("a", "fr", [0.4, 0.35, 0.25]),
            ("a", "ru", [0.2, 0.7, 0.1]),
        ]
    )
    out = vote_frame(preds, 3).set_index("id")
    # two votes each for 0 and 1; summed: label 0 = 1.2, label 1 = 2.15
    assert out.loc["a", "pseudo_label"] == 1
    assert out.loc["a", "tie"]
    assert out.loc["a", "votes"] == 2


def test_exact_tie_goes_to_lowest_label_index() -> None:
    preds = predictions_frame([("a", "en", [0.0, 0.6, 0.4]), ("a", "de", [0.0, 0.4, 0.6])])
    # labels 1 and 2: one vote each, summed probability 1.0 each
    out = vote_frame(preds, 3).set_index("id")
    assert out.loc["a", "pseudo_label"] == 1
    assert out.loc["a", "tie"]


def test_one_language_and_missing_languages() -> None:
    preds = predictions_frame(
        [("a", "en", [0.1, 0.2, 0.7]), ("b", "en", [0.9, 0.05, 0.05]), ("b", "de", [0.8, 0.1, 0.1])]
    )
    out = vote_frame(preds, 3).set_index("id")
    assert (
        out.loc["a", "pseudo_label"] == 2
        and out.loc["a", "n_langs"] == 1
        and out.loc["a", "agreement"] == 1.0
    )
    assert out.loc["b", "pseudo_label"] == 0 and out.loc["b", "n_langs"] == 2
    assert list(out.index) == ["a", "b"]  # order of first appearance


def test_a_vote_on_ids_no_two_languages_share_is_refused(tmp_path) -> None:
    """Issue 35.4: `vote` said "60 instances" and select failed later."""
    from alsace_cli.io.artifacts import write_artifact
    from tests.cli.helpers import invoke
    from tests.conftest import predictions_frame

    frame = predictions_frame(
        [(f"{lang}{i}", lang, [0.7, 0.2, 0.1]) for lang in ("en", "de") for i in range(3)]
    )
    write_artifact(frame, tmp_path / "p.parquet", "predictions", {"labels": ["a", "b", "c"], "task": "pair"})
    result = invoke("vote", "--predictions", tmp_path / "p.parquet", "--out", tmp_path / "v.parquet")
    assert result.exit_code == 2 and "no id has predictions in two languages" in result.stderr
    assert not (tmp_path / "v.parquet").exists()
    missing = invoke("eval", "--data", tmp_path / "p.parquet")
    assert (
        missing.exit_code == 2 and "missing --model " in missing.stderr
    )  # the flag, not the field (--models)
