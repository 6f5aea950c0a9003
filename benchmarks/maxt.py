"""Would a max-statistic correction have chosen differently from Holm's? A study of `--recipe auto`'s rule.

`auto`'s family is every check after step 0 of every candidate (3 candidates × 6 checks). Holm's correction
treats them as unrelated tests; but a candidate's checks are one model moving a little between them and
the candidates start from the same weights, so the checks rise and fall together and the family holds far
fewer independent tests than 18. Westfall and Young's single-step max-T reads that dependence off the dev
rows themselves:

- each check k of each candidate has, per dev id, D[id, k] = the sum over the id's rows (its languages) of
  score at k − score at step 0; its statistic is T_k = Σ D[·, k] / sqrt(Σ D[·, k]²);
- under "no check is better than step 0" a row's two outcomes are exchangeable, so flipping the sign of an
  id's changes (all its languages, every check of every candidate at once, which keeps their dependence)
  gives another draw of the family; each flip's largest statistic is max_k T*_k;
- a check's adjusted p is the share of flips whose largest statistic reaches its T_k (with the observed one
  counted), which controls the chance that any check is called better by luck, as Holm's does.

The choice is then `auto`'s own: a candidate qualifies when its kept check's adjusted p < α, and the best
dev score among those that qualify wins. Reads each candidate's `guard_dev.parquet` with every check's row
scores (`step<k>` columns: alsace from 2026-12-08 on) and prints both rules' choices side by side. It
changes no run: `auto` keeps Holm's rule until a study across benchmarks says otherwise (BENCHMARKS.md).

    python benchmarks/maxt.py benchmarks/runs/quality/xcopa/seed3/auto-full-bf16 [--flips 10000]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from alsace_cli.configs.recipes import AUTO_CANDIDATES  # noqa: E402
from alsace_cli.io.artifacts import read_artifact  # noqa: E402
from alsace_cli.stages.choose_recipe import choose  # noqa: E402


def id_changes(rows: pd.DataFrame) -> tuple[np.ndarray, list[int]]:
    """(D: ids × checks after step 0, the checks' steps) from one candidate's guard_dev rows."""
    steps = sorted(int(c[4:]) for c in rows if c.startswith("step") and c[4:].isdigit() and c != "step0")
    if not steps:
        raise SystemExit(
            "guard_dev.parquet holds no check but step 0's (made before alsace kept every check's rows)"
        )
    ids = rows["id"].astype(str)
    change = rows[[f"step{s}" for s in steps]].to_numpy(dtype=float) - rows[["step0"]].to_numpy(dtype=float)
    per_id = pd.DataFrame(change).groupby(ids.to_numpy(), sort=True).sum()
    return per_id.to_numpy(), steps


def maxt_adjusted(changes: np.ndarray, flips: int = 10000, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(single-step max-T adjusted p, the same permutation's unadjusted p) per check (columns of `changes`).
    A check's statistic is T_k = Σ D[·, k] / sqrt(Σ D[·, k]²), 0 where no id changed; a flip leaves the
    denominator as it is."""
    scale = np.sqrt((changes**2).sum(axis=0))
    signs = np.random.default_rng(seed).choice([-1.0, 1.0], size=(flips, changes.shape[0]))
    sums = np.vstack([changes.sum(axis=0), signs @ changes])  # the observed sums, then each flip's
    t = np.divide(sums, scale, out=np.zeros_like(sums), where=scale > 0)
    observed, drawn = t[0], t[1:]
    largest = drawn.max(axis=1)
    adjusted = (1 + (largest[:, None] >= observed[None, :]).sum(axis=0)) / (flips + 1)
    unadjusted = (1 + (drawn >= observed[None, :]).sum(axis=0)) / (flips + 1)
    return adjusted, unadjusted


def candidates_in(run: Path) -> dict[str, str]:
    """Each candidate's folder (distilled-NAME with a guard_dev.parquet) in `run`, in auto's order."""
    found = {
        p.parent.name.removeprefix("distilled-"): str(p.parent)
        for p in run.glob("distilled-*/guard_dev.parquet")
    }
    if not found:
        raise SystemExit(f"{run}: no distilled-*/guard_dev.parquet (an `auto` run's folder)")
    order = [n for n in AUTO_CANDIDATES if n in found] + sorted(set(found) - set(AUTO_CANDIDATES))
    return {name: found[name] for name in order}


def compare_rules(run: Path, alpha: float = 0.05, flips: int = 10000) -> list[dict]:
    """Per candidate: its kept step, dev change, Holm's p and max-T's p; and which one each rule keeps."""
    folders = candidates_in(run)
    _, holm = choose(folders, alpha)
    blocks, steps = [], []
    for name, folder in folders.items():
        rows = read_artifact(Path(folder) / "guard_dev.parquet", "guard_dev").frame
        changes, its_steps = id_changes(rows)
        blocks.append(changes)
        steps += [(name, s) for s in its_steps]
    if len({b.shape[0] for b in blocks}) != 1:
        raise SystemExit(f"{run}: the candidates' dev sets differ in their ids")
    adjusted, unadjusted = maxt_adjusted(np.hstack(blocks), flips)
    p_of = dict(zip(steps, adjusted, strict=True))
    raw_of = dict(zip(steps, unadjusted, strict=True))
    out = []
    for s in holm:
        kept = (s["recipe"], s["kept_step"])
        p = float(p_of.get(kept, 1.0))
        out.append(
            s
            | {
                "p_flip": float(raw_of.get(kept, 1.0)),
                "p_maxt": p,
                "qualifies_maxt": s["kept_step"] > 0 and p < alpha,
            }
        )
    return out


def winner(summaries: list[dict], qualifies: str) -> str:
    found = [s for s in summaries if s[qualifies]]
    best = max(found, key=lambda s: s["dev_kept"], default=None)  # max keeps the first of equals, as auto
    return "the fine-tuned model" if best is None else f"{best['recipe']} (step {best['kept_step']})"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("run", type=Path, help="an auto run's folder (distilled-NAME/ for each candidate)")
    parser.add_argument("--alpha", type=float, default=0.05)
    parser.add_argument("--flips", type=int, default=10000)
    args = parser.parse_args()
    summaries = compare_rules(args.run, args.alpha, args.flips)
    checks = sum(s["checks"] for s in summaries)
    print(f"{args.run}: {checks} checks, {args.flips} sign flips of the dev ids")
    print("| candidate (kept step) | dev change [95% CI] | sign test p | Holm p | flip p | max-T p |")
    print("|---|---|---|---|---|---|")
    for s in summaries:
        print(
            f"| `{s['recipe']}` ({s['kept_step']}) | {s['change_points']:+.2f} [{s['ci_low']:+.2f}, {s['ci_high']:+.2f}] "
            f"| {s['p_better']:.3g} | {s['p_holm']:.3g} | {s['p_flip']:.3g} | {s['p_maxt']:.3g} |"
        )
    print(
        f"Holm keeps {winner(summaries, 'qualifies')}; max-T would keep {winner(summaries, 'qualifies_maxt')}"
    )


if __name__ == "__main__":
    main()
