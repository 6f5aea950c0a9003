"""Where one `auto` candidate's distill time goes: a short run under cProfile, split into training steps,
guard checks (dev rows and the collapse detector) and model loading.

    python benchmarks/quality.py --bench xcopa --seeds 3 --rows baseline      # the fine-tuned model first
    python benchmarks/profile_candidate.py --bench xcopa --seed 3 --recipe static --steps 25

The candidate runs as auto_dev.py runs it (its recipe's [distill], the bench's full dev set, bf16), for
`--steps` steps with a check at step 0 and every 25 steps, into a temporary folder that is then removed.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from auto_dev import candidate_config  # noqa: E402
from quality import BENCHES  # noqa: E402

from alsace_cli.stages.run_settings import auto_distill_sections  # noqa: E402

# (label, the function whose cumulative time it is, as cProfile names it: file suffix and name)
PARTS = [
    ("training steps", "training/trainer.py", "_step"),
    ("  forward (loss_step)", "objectives/label_pairs.py", "loss_step"),
    ("    cross-entropy term", "objectives/label_pairs.py", "_with_cross_entropy"),
    ("    encoding rows", "tasks/multiple_choice.py", "encode"),
    ("  backward", "accelerate/accelerator.py", "backward"),
    ("  optimizer step", "accelerate/optimizer.py", "step"),
    ("  gradient clipping", "accelerate/accelerator.py", "clip_grad_norm_"),
    ("guard checks", "training/guard.py", "check"),
    ("  dev rows", "training/guard.py", "_measure_dev"),
    ("  collapse detector", "training/guard.py", "_measure_collapse"),
    ("loading the model", "tasks/models.py", "load_model"),
]


def config(bench_name: str, seed: int, recipe: str, steps: int, out: Path):
    """The candidate as auto_dev.py runs it on the bench's full dev set, cut to `steps` steps."""
    bench, root = BENCHES[bench_name](), ROOT / "benchmarks/runs/quality" / bench_name
    settings = dict(auto_distill_sections({})[recipe]) | {"max_steps": steps, "eval_every": 25}
    data = root / "data"
    return candidate_config(
        bench, root / f"seed{seed}", data, data / "tune.parquet", out, "bf16", seed, settings
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--bench", default="xcopa", choices=sorted(BENCHES))
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--recipe", default="static", choices=sorted(auto_distill_sections({})))
    parser.add_argument("--steps", type=int, default=25)
    args = parser.parse_args()
    from alsace_cli.stages.distill import distill

    with tempfile.TemporaryDirectory() as folder:
        run = config(args.bench, args.seed, args.recipe, args.steps, Path(folder) / "out")
        profile, start = cProfile.Profile(), time.perf_counter()
        profile.runcall(distill, run)
        total = time.perf_counter() - start
    stats = pstats.Stats(profile).stats
    print(f"{args.bench} seed {args.seed}, {args.recipe}, {args.steps} steps: {total:.1f} s in all")
    for label, suffix, name in PARTS:
        found = [
            (v[1], v[3]) for (file, _, func), v in stats.items() if file.endswith(suffix) and func == name
        ]
        calls, seconds = (sum(c for c, _ in found), sum(t for _, t in found)) if found else (0, 0.0)
        print(f"{label:24} {seconds:7.1f} s  ({calls} calls, {seconds / max(calls, 1):.3f} s each)")


if __name__ == "__main__":
    main()
