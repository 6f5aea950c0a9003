"""The README.md model card of every model folder finetune and distill write, in the Hugging Face hub's
format (a YAML header, then prose), so a model pushed with `huggingface-cli upload` explains itself: its
base model, languages, task, the data it was trained on (with sha256), how it was made (the command, the
settings, the guard's decision) and, once `alsace run` has evaluated it, its metrics per language.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

CARD = "README.md"


def base_model(spec: str) -> str:
    """The model a run started from: a hub id as it is; an alsace model folder's own base model; another
    local folder's hub id where its config.json records one (`_name_or_path`), else its path."""
    import json

    provenance = Path(spec) / "alsace_provenance.json"
    if provenance.is_file():
        return json.loads(provenance.read_text()).get("base_model", spec)
    config = Path(spec) / "config.json"
    if config.is_file():
        named = str(json.loads(config.read_text(encoding="utf-8")).get("_name_or_path") or "")
        is_hub_id = named and not named.startswith((".", "/", "~")) and named.count("/") <= 1
        if is_hub_id and not Path(named).exists():
            return named
    return spec


def write_model_card(
    directory: Path, provenance: dict[str, Any], task: Any, languages: list[str], name: str
) -> None:
    import yaml

    inputs = provenance.get("inputs", {})
    header = {
        "base_model": provenance.get("base_model"),
        "language": sorted(languages),
        "library_name": "transformers",
        "pipeline_tag": task.pipeline_tag,
        "tags": ["alsace", "cross-lingual-transfer", task.name, provenance["stage"]],
        "datasets": [Path(record["path"]).name for name, record in inputs.items() if name != "model"],
    }
    guard = provenance.get("guard")
    lines = [
        "---",
        yaml.safe_dump(header, sort_keys=False, allow_unicode=True).rstrip(),
        "---",
        "",
        f"# {name}",
        "",
        f"A `{task.name}` model ({task.description}) made by alsace {provenance['versions'].get('alsace')} "
        f"(`{provenance['stage']}`) from `{provenance.get('base_model')}`.",
        "",
        f"- command: `{provenance.get('command')}`",
        f"- seed: {provenance.get('seed')}",
    ]
    lines += [
        f"- {name}: `{record['path']}` (sha256 {record['sha256'][:12]})" for name, record in inputs.items()
    ]
    if guard:
        lines.append(f"- the guard kept step {guard['kept_step']} of {guard['last_step']}: {guard['reason']}")
    lines += [
        "",
        "The resolved settings are in `alsace_config.toml`, the full provenance in "
        "`alsace_provenance.json`, the training log in `train_log.parquet`.",
        "",
    ]
    (directory / CARD).write_text("\n".join(lines), encoding="utf-8")


def add_results(directory: Path, rows: list[dict[str, Any]], metric: str, dataset: str) -> None:
    """Add (or replace) the card's `model-index` with one metric per language, in %: `rows` are eval's metrics
    as results.json holds them (fractions) for this model, each with `lang` (and `question_lang` for QA)."""
    import yaml

    path = directory / CARD
    if not path.is_file():
        return
    text = path.read_text(encoding="utf-8")
    _, header, body = text.split("---\n", 2)
    meta = yaml.safe_load(header)

    def name(row: dict[str, Any]) -> str:
        pair = f"{row['question_lang']}-{row['lang']}" if "question_lang" in row else row["lang"]
        return f"{metric} ({pair})"

    metrics = [
        {"type": metric, "value": round(100 * float(row[metric]), 2), "name": name(row)} for row in rows
    ]
    meta["model-index"] = [
        {
            "name": directory.name,
            "results": [
                {
                    "task": {"type": meta.get("pipeline_tag")},
                    "dataset": {"name": dataset, "type": dataset},
                    "metrics": metrics,
                }
            ],
        }
    ]
    path.write_text(
        "---\n" + yaml.safe_dump(meta, sort_keys=False, allow_unicode=True) + "---\n" + body, encoding="utf-8"
    )
