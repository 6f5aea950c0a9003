from __future__ import annotations

import pandas as pd

from alsace_cli.stages.selftrain import pseudo_labeled
from tests.conftest import predictions_frame


def test_keeps_the_most_confident_half_per_language_labeled_by_its_own_prediction() -> None:
    frame = pd.DataFrame(
        {
            "id": ["a", "b", "c", "d"] * 2,
            "lang": ["en"] * 4 + ["sw"] * 4,
            "text_a": list("abcdefgh"),
            "text_b": "x",
        }
    )
    preds = predictions_frame(
        [
            ("a", "en", [0.9, 0.1]),
            ("b", "en", [0.4, 0.6]),
            ("c", "en", [0.2, 0.8]),
            ("d", "en", [0.55, 0.45]),
            ("a", "sw", [0.3, 0.7]),
            ("b", "sw", [0.5, 0.5]),
            ("c", "sw", [0.6, 0.4]),
            ("d", "sw", [0.99, 0.01]),
        ]
    )
    english = pseudo_labeled(frame, preds, ["en"], 0.5)
    assert english[["id", "lang", "label"]].values.tolist() == [["a", "en", 0], ["c", "en", 1]]
    everyone = pseudo_labeled(frame, preds, None, 0.5)
    assert everyone[["id", "lang", "label"]].values.tolist() == [
        ["a", "en", 0],
        ["c", "en", 1],
        ["a", "sw", 1],
        ["d", "sw", 0],
    ]
