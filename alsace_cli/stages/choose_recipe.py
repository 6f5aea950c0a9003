"""`--recipe auto`'s last step: of the candidates distilled from one fine-tuned model, keep the one the dev
set shows best, or the fine-tuned model when none is shown better.

Each candidate's guard (training/guard.py) kept one checkpoint, having looked at several: the best of many
noisy checks is often noise, so the test corrects for all of them. The family is every check after step 0
of every candidate, each a one-sided sign test of "better than step 0" on the dev rows (the train logs'
`dev_p_better`). Holm's step-down correction over that family controls the chance that any check is called
better by luck at the guard's α. A candidate qualifies when its kept checkpoint survives the correction;
the winner is the qualifying candidate with the best dev score at its kept step (ties: the earlier in the
candidate list). The winner's model, or the fine-tuned model when none qualifies, is copied to the run's
`distilled/` with the choice in its provenance (`auto`) and in `recipe_choice.json` beside it.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pandas as pd

from alsace_cli.errors import AlsaceError
from alsace_cli.io.artifacts import read_artifact
from alsace_cli.io.atomic import atomic_dir
from alsace_cli.method.paired_tests import holm_adjusted, mean_difference_interval
from alsace_cli.runtime import report

PROVENANCE = "alsace_provenance.json"


def _candidate(name: str, directory: Path) -> dict[str, Any]:
    """A distilled candidate's guard decision, its checks' p-values and its dev rows."""
    guard = json.loads((directory / PROVENANCE).read_text(encoding="utf-8")).get("guard") or {}
    if not guard.get("dev_judged_on"):
        raise AlsaceError(f"{directory}: --recipe auto needs [run] dev (its guard kept no dev scores)")
    log = read_artifact(directory / "train_log.parquet", "train_log").frame
    checks = log[log["dev_p_better"].notna() & (log["step"] > 0)] if "dev_p_better" in log else log.iloc[:0]
    rows = read_artifact(directory / "guard_dev.parquet", "guard_dev").frame
    return {
        "name": name,
        "dir": str(directory),
        "kept_step": int(guard["kept_step"]),
        "checks": {int(s): float(p) for s, p in zip(checks["step"], checks["dev_p_better"], strict=True)},
        "rows": rows,
        "guard": guard,
    }


def choose(candidates: dict[str, str], alpha: float) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """(the winner or None, every candidate's summary), by the rule in the module docstring."""
    found = [_candidate(name, Path(directory)) for name, directory in candidates.items()]
    family = [(c["name"], step, p) for c in found for step, p in sorted(c["checks"].items())]
    adjusted = dict(
        zip([(name, step) for name, step, _ in family], holm_adjusted([p for *_, p in family]), strict=True)
    )
    summaries = []
    for c in found:
        rows = c["rows"]
        difference = (rows["kept"] - rows["step0"]).to_numpy(dtype=float)
        ids = rows["id"].astype(str).to_numpy()  # resampled with all their languages, as eval's intervals are
        low, high = mean_difference_interval(ids, difference)
        p_adjusted = adjusted.get((c["name"], c["kept_step"]), 1.0) if c["kept_step"] > 0 else 1.0
        summaries.append(
            {
                "recipe": c["name"],
                "kept_step": c["kept_step"],
                "checks": len(c["checks"]),
                "dev_step0": float(rows["step0"].mean()),
                "dev_kept": float(rows["kept"].mean()),
                "change_points": 100 * float(difference.mean()),
                "ci_low": low,
                "ci_high": high,
                "p_better": c["checks"].get(c["kept_step"], 1.0),
                "p_holm": p_adjusted,
                "qualifies": c["kept_step"] > 0 and p_adjusted < alpha,
                "dir": c["dir"],
            }
        )
    qualifying = [s for s in summaries if s["qualifies"]]
    winner = max(qualifying, key=lambda s: s["dev_kept"], default=None)  # max keeps the first of equals
    return winner, summaries


def why(winner: dict[str, Any] | None, summaries: list[dict[str, Any]], alpha: float) -> str:
    family = sum(s["checks"] for s in summaries)
    if winner is None:
        return (
            f"no candidate's kept checkpoint was better than the fine-tuned model on dev after Holm's "
            f"correction for {family} checks at α = {alpha:g}: the fine-tuned weights"
        )
    others = [s["recipe"] for s in summaries if s["qualifies"] and s is not winner]
    rivals = f"; {', '.join(others)} also qualified with a lower dev score" if others else ""
    return (
        f"{winner['recipe']} (step {winner['kept_step']}): dev {winner['dev_step0']:.4f} → {winner['dev_kept']:.4f}, "
        f"{winner['change_points']:+.2f} points [{winner['ci_low']:+.2f}, {winner['ci_high']:+.2f}], Holm p = "
        f"{winner['p_holm']:.3g} over {family} checks{rivals}"
    )


def choose_recipe(candidates: dict[str, str], finetuned: str, out: str, alpha: float) -> dict[str, Any]:
    """Copy the chosen model to `out` and record the choice; returns it (results.json's `auto`)."""
    winner, summaries = choose(candidates, alpha)
    reason = why(winner, summaries, alpha)
    source = Path(winner["dir"] if winner else finetuned)
    provenance = json.loads((source / PROVENANCE).read_text(encoding="utf-8"))
    if winner is None:
        first = json.loads((Path(next(iter(candidates.values()))) / PROVENANCE).read_text(encoding="utf-8"))[
            "guard"
        ]  # what the verdict reads: the fine-tuned weights, kept for a reason it can print
        provenance["guard"] = {
            **first,
            "kept_step": 0,
            "reason": "--recipe auto: " + reason,
            "rule": "auto",
            "dev_score_kept": first["dev_score_step0"],
            "dev_by_lang": {
                lang: {"step0": v["step0"], "kept": v["step0"]} for lang, v in first["dev_by_lang"].items()
            },
            "collapsed": False,
        }
    choice = {
        "chosen": winner["recipe"] if winner else None,
        "alpha": alpha,
        "reason": reason,
        "candidates": [{k: v for k, v in s.items() if k != "dir"} for s in summaries],
    }
    provenance["auto"] = choice
    with atomic_dir(Path(out)) as tmp:
        shutil.copytree(source, tmp, dirs_exist_ok=True, ignore=shutil.ignore_patterns(".*"))
        (tmp / PROVENANCE).write_text(
            json.dumps(provenance, indent=2, sort_keys=True, default=str), encoding="utf-8"
        )
        (tmp / "recipe_choice.json").write_text(json.dumps(choice, indent=2), encoding="utf-8")
    report.info(report.esc(f"recipe auto: {reason}"))
    report.console.print(report.table("recipe auto: the candidates on dev", _table(summaries)))
    return choice


def _table(summaries: list[dict[str, Any]]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "recipe": s["recipe"],
                "kept step": s["kept_step"],
                "dev": f"{100 * s['dev_kept']:.2f}",
                "change": f"{s['change_points']:+.2f} [{s['ci_low']:+.2f}, {s['ci_high']:+.2f}]",
                "Holm p": f"{s['p_holm']:.3g}",
                "qualifies": "yes" if s["qualifies"] else "no",
            }
            for s in summaries
        ]
    )


def recorded_choice(model_dir: str) -> dict[str, Any] | None:
    try:
        return json.loads((Path(model_dir) / PROVENANCE).read_text(encoding="utf-8")).get("auto")
    except (OSError, json.JSONDecodeError):
        return None
