"""What the two QA benchmarks (qa_baseline.py, qa_distill.py) share: subsets that keep their metadata, and
the English training set (a seeded sample of SQuAD train-subset and TyDiQA-GoldP English train)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import pandas as pd
from steps import SHARED, Runner, options

ROOT = Path(__file__).resolve().parents[1]
QA = SHARED / "data" / "qa"
sys.path.insert(0, str(ROOT))

from alsace_cli.io.artifacts import dataset_meta, read_artifact, read_meta, write_artifact  # noqa: E402


def subset(src: Path, dst: Path, keep: Callable[[pd.DataFrame], pd.DataFrame]) -> None:
    """A subset of an imported dataset, its metadata kept and the selection recorded."""
    frame = read_artifact(src, "dataset").frame
    meta = read_meta(src)
    meta = dataset_meta("qa", [], meta.get("provenance")) | {
        "qa_format": meta.get("qa_format"),
        "subset_of": str(src),
    }
    write_artifact(keep(frame).reset_index(drop=True), dst, "dataset", meta)


def english_training(runner: Runner, alsace: Callable[..., object], train_rows: int, seed: int) -> Path:
    """<root>/train.parquet: `train_rows` questions drawn with `seed` from SQuAD and TyDiQA English, never
    XQuAD. The two sets number their questions independently: their ids are prefixed when they are joined."""
    root = runner.root
    squad, tydiqa, train = root / "squad.parquet", root / "tydiqa_en.parquet", root / "train.parquet"
    squad_json = QA / "squad_en/train-subset-v1.1.json"
    runner.step(
        "import squad",
        squad,
        lambda: alsace("data", "import", squad_json, *options(format="squad", lang="en", out=squad)),
    )
    tydiqa_json = QA / "tydiqa/train-en.json"
    runner.step(
        "import tydiqa",
        tydiqa,
        lambda: alsace(
            "data", "import", tydiqa_json, *options(format="tydiqa", renumber_ids=True, out=tydiqa)
        ),
    )

    def joined(frame: pd.DataFrame) -> pd.DataFrame:
        other = read_artifact(tydiqa, "dataset").frame
        both = pd.concat([frame.assign(id="squad-" + frame["id"]), other.assign(id="tydiqa-" + other["id"])])
        return both.sample(n=min(train_rows, len(both)), random_state=seed)

    return runner.step("sample train", train, lambda: subset(squad, train, joined))


def finetune(
    runner: Runner,
    alsace: Callable[..., object],
    model: str,
    steps: int,
    batch_size: int,
    length: dict,
    seed: int,
    **extra: object,
) -> Path:
    """<root>/ft: `model` fine-tuned on <root>/train.parquet (lr 5e-5, warmup 10%, on the CPU)."""
    ft = runner.root / "ft"
    settings = options(
        model=model,
        train=runner.root / "train.parquet",
        out=ft,
        max_steps=steps,
        batch_size=batch_size,
        lr="5e-5",
        warmup_ratio="0.1",
        **length,
        seed=seed,
        device="cpu",
        **extra,
    )
    return runner.step("finetune", ft, lambda: alsace("finetune", *settings))
