"""Two CPU processes (gloo, launched by torchrun, which accelerate reads as `accelerate launch` sets up) give
what one process gives: finetune, predict, distill and eval on a tiny model without dropout, and translate."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.conftest import LANGS, pair_rows, write_dataset

ROOT = Path(__file__).resolve().parents[2]


def alsace(processes: int, *args: object) -> None:
    """`python -m alsace_cli ...` in one process, or under torchrun with `processes` processes, in fp32: under
    bf16 (auto's choice on CPUs that compute it) a row's batch neighbours change its rounding."""
    args = (*args, "--precision", "fp32")
    launch = (
        [sys.executable, "-m", "alsace_cli"]
        if processes == 1
        else [
            sys.executable,
            "-m",
            "torch.distributed.run",
            "--standalone",
            f"--nproc_per_node={processes}",
            "-m",
            "alsace_cli",
        ]
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    result = subprocess.run([*launch, *map(str, args)], env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from alsace_cli.io.artifacts import write_artifact
    from alsace_cli.stages.pairs import PairsConfig, make_pairs
    from alsace_cli.stages.tiny_model import build_tiny_model

    w = tmp_path_factory.mktemp("multiprocess")
    write_dataset(pair_rows(["en"], 23, labeled=True), w / "train.parquet")
    # 7 ids × 3 languages = 21 rows: shards of 11 and 10, an uneven last batch everywhere.
    write_dataset(pair_rows(LANGS[:3], 7, labeled=False, offset=100), w / "unlabeled.parquet")
    write_dataset(pair_rows(LANGS[:3], 7, labeled=True, offset=200), w / "test.parquet")
    texts = [
        t
        for f in ("train", "unlabeled", "test")
        for c in ("text_a", "text_b")
        for t in pd.read_parquet(w / f"{f}.parquet")[c]
    ]
    build_tiny_model(w / "base", texts, seed=0, dropout=0.0)  # no random masks: the runs can agree exactly
    languages = pd.DataFrame(
        {
            "lang": LANGS[:3],
            "n": 7,
            "avg_confidence": 0.5,
            "score": [0.5, 0.3, 0.2],
            "role": ["teacher", "teacher", "student"],
        }
    )
    write_artifact(languages, w / "languages.parquet", "languages", {})
    make_pairs(
        PairsConfig(
            data=str(w / "unlabeled.parquet"),
            languages=str(w / "languages.parquet"),
            out=str(w / "pairs.parquet"),
        )
    )
    alsace(
        1,
        "finetune",
        "--model",
        w / "base",
        "--train",
        w / "train.parquet",
        "--out",
        w / "teacher",
        "--max-steps",
        6,
        "--batch-size",
        5,
        "--lr",
        "3e-3",
        "--seed",
        7,
        "--device",
        "cpu",
    )
    alsace(
        1,
        "predict",
        "--model",
        w / "teacher",
        "--data",
        w / "unlabeled.parquet",
        "--out",
        w / "teacher.parquet",
        "--device",
        "cpu",
    )
    for n in (1, 2):
        alsace(
            n,
            "finetune",
            "--model",
            w / "base",
            "--train",
            w / "train.parquet",
            "--out",
            w / f"ft{n}",
            "--max-steps",
            3,
            "--batch-size",
            5,
            "--lr",
            "1e-3",
            "--device",
            "cpu",
        )
        alsace(
            n,
            "predict",
            "--model",
            w / f"ft{n}",
            "--data",
            w / "unlabeled.parquet",
            "--out",
            w / f"pred{n}.parquet",
            "--batch-size",
            4,
            "--device",
            "cpu",
        )
        # The targets come from another model (teacher.parquet), so the gradients carry signal: toward its own
        # predictions a student starts at KL 0, where the gradients are float noise that Adam scales up to a
        # full step, and no two summation orders agree there.
        alsace(
            n,
            "distill",
            "--model",
            w / f"ft{n}",
            "--data",
            w / "unlabeled.parquet",
            "--pairs",
            w / "pairs.parquet",
            "--out",
            w / f"dist{n}",
            "--max-steps",
            3,
            "--pairs-per-batch",
            7,
            "--lr",
            "1e-3",
            "--teacher",
            "static",
            "--predictions",
            w / "teacher.parquet",
            "--no-collapse-check",
            "--device",
            "cpu",
        )
        alsace(
            n,
            "eval",
            "--model",
            w / f"dist{n}",
            "--data",
            w / "test.parquet",
            "--out",
            w / f"metrics{n}.parquet",
            "--predictions-out",
            w / f"test_pred{n}.parquet",
            "--batch-size",
            4,
            "--device",
            "cpu",
        )
    from alsace_cli.stages.tiny_model import build_tiny_translator

    build_tiny_translator(w / "mt", texts, "nllb", seed=0)
    for n in (1, 2):  # 23 English rows × 2 fields in batches of 4: 12 batches, an uneven share per process
        alsace(
            n,
            "translate",
            "--model",
            w / "mt",
            "--data",
            w / "train.parquet",
            "--target-languages",
            "de,sw",
            "--out",
            w / f"translated{n}.parquet",
            "--batch-size",
            4,
            "--num-beams",
            2,
            "--max-new-tokens",
            10,
            "--device",
            "cpu",
        )
    return w


def test_two_processes_translate_what_one_process_translates(runs: Path) -> None:
    one, two = pd.read_parquet(runs / "translated1.parquet"), pd.read_parquet(runs / "translated2.parquet")
    assert len(one) == 3 * 23 and one.equals(two)  # every row once, in order, the same texts


def test_two_processes_write_each_prediction_once_in_the_input_order(runs: Path) -> None:
    one, two = pd.read_parquet(runs / "pred1.parquet"), pd.read_parquet(runs / "pred2.parquet")
    data = pd.read_parquet(runs / "unlabeled.parquet")
    assert len(two) == len(data) == 21
    assert two[["id", "lang"]].equals(data[["id", "lang"]])  # no row twice, none missing, the input's order
    assert np.abs(np.stack(one["probs"]) - np.stack(two["probs"])).max() < 1e-5
    assert (one["pred"] == two["pred"]).all()


def test_two_processes_train_what_one_process_trains(runs: Path) -> None:
    from safetensors.numpy import load_file

    for name in ("ft", "dist"):
        a, b = (
            load_file(runs / f"{name}1" / "model.safetensors"),
            load_file(runs / f"{name}2" / "model.safetensors"),
        )
        assert max(float(np.abs(a[k] - b[k]).max()) for k in a) < 1e-5, name
    log1 = pd.read_parquet(runs / "dist1" / "train_log.parquet").dropna(subset=["kl"])
    log2 = pd.read_parquet(runs / "dist2" / "train_log.parquet").dropna(subset=["kl"])
    assert log1["loss"].to_numpy() == pytest.approx(
        log2["loss"].to_numpy(), abs=1e-5
    )  # the whole batch's loss


def test_two_processes_give_the_same_metrics(runs: Path) -> None:
    one, two = pd.read_parquet(runs / "metrics1.parquet"), pd.read_parquet(runs / "metrics2.parquet")
    assert one[["lang", "n", "accuracy"]].equals(two[["lang", "n", "accuracy"]])
    p1, p2 = pd.read_parquet(runs / "test_pred1.parquet"), pd.read_parquet(runs / "test_pred2.parquet")
    assert p1[["id", "lang"]].equals(p2[["id", "lang"]])
    assert np.abs(np.stack(p1["probs"]) - np.stack(p2["probs"])).max() < 1e-5


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def two_nodes(*args: object) -> None:
    """`python -m alsace_cli ...` as 2 nodes × 1 process on this machine: two torchrun launchers, node ranks 0
    and 1, meeting at a localhost rendezvous (static: node 0's address and port)."""
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    launchers = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "torch.distributed.run",
                "--nnodes=2",
                "--nproc_per_node=1",
                f"--node_rank={rank}",
                "--master_addr=127.0.0.1",
                f"--master_port={port}",
                "-m",
                "alsace_cli",
                *map(str, args),
                "--precision",
                "fp32",
            ],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for rank in (0, 1)
    ]
    for launcher in launchers:
        _, stderr = launcher.communicate(timeout=300)
        assert launcher.returncode == 0, stderr[-3000:]


def test_two_nodes_give_what_one_process_gives(runs: Path) -> None:
    from safetensors.numpy import load_file

    w = runs
    two_nodes(
        "finetune",
        "--model",
        w / "base",
        "--train",
        w / "train.parquet",
        "--out",
        w / "ft-nodes",
        "--max-steps",
        3,
        "--batch-size",
        5,
        "--lr",
        "1e-3",
        "--device",
        "cpu",
    )
    two_nodes(
        "predict",
        "--model",
        w / "ft1",
        "--data",
        w / "unlabeled.parquet",
        "--out",
        w / "pred-nodes.parquet",
        "--batch-size",
        4,
        "--device",
        "cpu",
    )
    one, nodes = load_file(w / "ft1" / "model.safetensors"), load_file(w / "ft-nodes" / "model.safetensors")
    assert max(float(np.abs(one[k] - nodes[k]).max()) for k in one) < 1e-5
    p1, p2 = pd.read_parquet(w / "pred1.parquet"), pd.read_parquet(w / "pred-nodes.parquet")
    assert p2[["id", "lang"]].equals(p1[["id", "lang"]])  # every row once, in the input's order
    assert np.abs(np.stack(p1["probs"]) - np.stack(p2["probs"])).max() < 1e-5
