"""distill's self-distillation options on classification pairs: the epoch teacher and per-pair KL weights."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import torch

from alsace_cli.errors import AlsaceError
from alsace_cli.stages.distill import DistillConfig, distill


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory, data_dir: Path, finetuned: Path) -> Path:
    from alsace_cli.stages.pairs import PairsConfig, make_pairs
    from alsace_cli.stages.predict import PredictConfig, predict
    from alsace_cli.stages.select import SelectConfig, select
    from alsace_cli.stages.vote import VoteConfig, vote

    w = tmp_path_factory.mktemp("skd")
    unlabeled = str(data_dir / "unlabeled.parquet")
    predict(PredictConfig(model=str(finetuned), data=unlabeled, out=str(w / "p.parquet"), device="cpu"))
    vote(VoteConfig(predictions=str(w / "p.parquet"), out=str(w / "v.parquet")))
    select(
        SelectConfig(
            predictions=str(w / "p.parquet"), pseudo_labels=str(w / "v.parquet"), out=str(w / "l.parquet")
        )
    )
    make_pairs(
        PairsConfig(
            data=unlabeled, languages=str(w / "l.parquet"), out=str(w / "pairs.parquet"), materialize=True
        )
    )
    return w


def _config(made: Path, data_dir: Path, finetuned: Path, out: str, **settings) -> DistillConfig:
    return DistillConfig(
        model=str(finetuned),
        data=str(data_dir / "unlabeled.parquet"),
        pairs=str(made / "pairs.parquet"),
        out=str(made / out),
        pairs_per_batch=4,
        device="cpu",
        **settings,
    )


def _log(path: Path) -> pd.DataFrame:
    return pd.read_parquet(path / "train_log.parquet").dropna(subset=["kl"]).reset_index(drop=True)


def test_epoch_teacher_is_resynced_once_per_pass_over_the_pairs(
    made: Path, data_dir: Path, finetuned: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    n_pairs = len(pd.read_parquet(made / "pairs.parquet"))
    per_epoch = n_pairs // 4  # batches in a pass: the short last batch is dropped
    syncs = []
    original = torch.nn.Module.load_state_dict

    def counting(self, *args, **kwargs):
        syncs.append(1)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(torch.nn.Module, "load_state_dict", counting)
    distill(
        _config(
            made,
            data_dir,
            finetuned,
            "epoch",
            teacher="epoch",
            max_steps=2 * per_epoch + 1,
            learning_rate=1e-3,
        )
    )
    assert len(syncs) == 3  # at steps 1, per_epoch + 1 and 2 · per_epoch + 1


def test_epoch_teacher_starts_as_the_live_one_then_stays_frozen(
    made: Path, data_dir: Path, finetuned: Path
) -> None:
    live = _log(
        distill(_config(made, data_dir, finetuned, "live", teacher="live", max_steps=3, learning_rate=1e-2))
    )
    epoch = _log(
        distill(_config(made, data_dir, finetuned, "ep", teacher="epoch", max_steps=3, learning_rate=1e-2))
    )
    assert epoch["kl"].iloc[0] == pytest.approx(
        live["kl"].iloc[0], abs=1e-6
    )  # same model, same targets at step 1
    assert epoch["kl"].iloc[2] != pytest.approx(
        live["kl"].iloc[2], abs=1e-6
    )  # the live target has moved since


def test_map_at_1_weights_are_the_pairs_whose_teacher_predicts_the_vote(
    made: Path, data_dir: Path, finetuned: Path
) -> None:
    weighted = _log(
        distill(
            _config(
                made,
                data_dir,
                finetuned,
                "map1",
                kl_weight="map@k",
                kl_top_k=1,
                pseudo_labels=str(made / "v.parquet"),
                max_steps=2,
            )
        )
    )
    masked = _log(
        distill(
            _config(
                made, data_dir, finetuned, "mask", mask_pseudo_labels=str(made / "v.parquet"), max_steps=2
            )
        )
    )
    # With k = 1, α is 1 where the teacher's top label is the pseudo-label and 0 elsewhere: the mask's share.
    assert weighted["alpha_mean"].iloc[0] == pytest.approx(masked["pairs_kept"].iloc[0])
    assert weighted["alpha_zero"].iloc[0] == pytest.approx(1 - masked["pairs_kept"].iloc[0])
    every = _log(
        distill(
            _config(
                made,
                data_dir,
                finetuned,
                "map3",
                kl_weight="map@k",
                kl_top_k=3,
                pseudo_labels=str(made / "v.parquet"),
                max_steps=1,
            )
        )
    )
    assert every["alpha_zero"].iloc[0] == 0.0  # with 3 labels the pseudo-label is always in the top 3
    fixed = _log(distill(_config(made, data_dir, finetuned, "fixed", max_steps=1)))
    assert fixed["alpha_mean"].iloc[0] == 1.0 and fixed["alpha_zero"].iloc[0] == 0.0


def test_kl_weight_options_are_checked(made: Path, data_dir: Path, finetuned: Path) -> None:
    with pytest.raises(AlsaceError, match="--kl-weight map@k needs --pseudo-labels"):
        distill(_config(made, data_dir, finetuned, "x1", kl_weight="map@k", max_steps=1))
    with pytest.raises(AlsaceError, match="--kl-weight: expected a number, map@k or mrr@k"):
        distill(_config(made, data_dir, finetuned, "x2", kl_weight="ndcg", max_steps=1))
    with pytest.raises(AlsaceError, match="--pseudo-labels is only used by --kl-weight"):
        distill(_config(made, data_dir, finetuned, "x3", pseudo_labels=str(made / "v.parquet"), max_steps=1))
