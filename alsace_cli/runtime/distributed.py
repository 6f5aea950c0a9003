"""Several processes, one result: rows sharded across processes, results gathered in the input's order.

Under `accelerate launch` (or torchrun, which accelerate reads the same way) every process runs the same
command. Each reads the same inputs; of every chunk of rows (predict, eval) or every batch of training
items (finetune, distill) process r takes the strided shard r, r + W, r + 2W, ... of W processes. Predictions
are gathered once per chunk to every process, put back in the chunk's row order (no row twice, none
missing, an uneven last shard included), and only the main process writes artifacts and prints.
With one process everything here is the identity.

Training: a global batch of n items is split so process r holds n_r of them; its mean loss is scaled by
n_r · W / n, so that DDP's average of the W gradients is the gradient of the mean over the whole batch, as
one process would compute it. A process whose shard is empty (a batch smaller than W) runs the batch's
first item with weight 0, because every process must take part in the gradient all-reduce.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from alsace_cli.runtime.devices import pick_device


@dataclass(frozen=True)
class Processes:
    rank: int = 0
    world: int = 1

    @property
    def main(self) -> bool:
        return self.rank == 0

    def shard(self, n: int) -> np.ndarray:
        """Positions 0..n-1 of this process's strided shard."""
        return np.arange(self.rank, n, self.world)

    def gather_frame(self, part: pd.DataFrame | None, n: int) -> pd.DataFrame:
        """Every process's rows of one chunk (its `shard(n)` positions, in order), as the chunk's n rows."""
        if self.world == 1:
            assert part is not None
            return part
        from accelerate.utils import gather_object

        parts = gather_object([(self.rank, part)])
        frames = []
        for rank, frame in sorted(parts, key=lambda item: item[0]):
            if frame is not None and len(frame):
                frames.append(frame.reset_index(drop=True).assign(_position=np.arange(rank, n, self.world)))
        merged = pd.concat(frames, ignore_index=True).sort_values("_position", kind="stable")
        if len(merged) != n or not (merged["_position"].to_numpy() == np.arange(n)).all():
            raise RuntimeError(
                f"gathered {len(merged)} rows for a chunk of {n}: a shard is missing or doubled"
            )
        return merged.drop(columns="_position").reset_index(drop=True)

    def gather_array(self, part: np.ndarray, n: int) -> np.ndarray:
        """As gather_frame, for an array whose first axis is this process's shard."""
        if self.world == 1:
            return part
        frame = pd.DataFrame({"row": list(part)}) if len(part) else None
        merged = self.gather_frame(frame, n)
        return np.stack(merged["row"].to_numpy()) if n else part

    def merge(self, part: dict, n: int) -> dict:
        """Every process's {position: value} as one mapping of positions 0..n-1 (each given exactly once)."""
        if self.world == 1:
            merged = part
        else:
            from accelerate.utils import gather_object

            merged = {}
            for piece in gather_object([part]):
                merged.update(piece)
        if sorted(merged) != list(range(n)):
            raise RuntimeError(f"gathered {len(merged)} positions for {n}: a shard is missing or doubled")
        return merged

    def barrier(self) -> None:
        """Wait until every process gets here (nothing with one process)."""
        if self.world > 1:
            from accelerate import PartialState

            PartialState().wait_for_everyone()

    def training_shard(self, index: Any) -> tuple[np.ndarray, float]:
        """This process's items of a global batch and the weight n_r · W / n of its mean loss."""
        index = np.asarray(index)
        if self.world == 1:
            return index, 1.0
        mine = index[self.rank :: self.world]
        if len(mine) == 0:
            return index[:1], 0.0
        return mine, len(mine) * self.world / len(index)


def processes(device: str = "auto") -> Processes:
    """This process's place among those `accelerate launch` / torchrun started (one process otherwise)."""
    import os

    if int(os.environ.get("WORLD_SIZE", "1")) <= 1:
        return Processes()
    from accelerate import PartialState

    state = PartialState(cpu=device == "cpu")
    return Processes(state.process_index, state.num_processes)


def process_device(device: str) -> Any:
    """The device of this process: its own GPU under a multi-GPU launch, else what --device picks."""
    import os

    if int(os.environ.get("WORLD_SIZE", "1")) > 1 and device != "cpu":
        from accelerate import PartialState

        return PartialState().device
    return pick_device(device)
