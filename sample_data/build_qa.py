"""Builds the QA sample: a tiny parallel extractive-QA set about fictional towns, written from hand-made
templates in English, German, Spanish and Chinese, in SQuAD JSON (MLQA's file naming for the test set:
every question language over every context language), then imported with `alsace data import`.

    python sample_data/build_qa.py        # rewrites sample_data/qa/*.json and the two Parquet files

Train: 12 towns × 5 questions in English (60). Test: 8 other towns × 5 questions × 4 context languages ×
4 question languages (640). Unlabeled: 8 more towns, laid out as the test set, without answers (640): the
parallel corpus `alsace run --config sample_data/qa.toml` distils on. Its figures are a smoke run of the QA
path, not a measurement.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

HERE = Path(__file__).resolve().parent
TOWNS = [
    "Arlen",
    "Brevik",
    "Caldor",
    "Dunmore",
    "Elstow",
    "Farrow",
    "Galen",
    "Harwick",
    "Istra",
    "Jorvik",
    "Kelby",
    "Lunden",
    "Marrow",
    "Norby",
    "Oskel",
    "Pellin",
    "Quarry",
    "Rosk",
    "Sandel",
    "Tornby",
    "Ulvik",
    "Varne",
    "Wendel",
    "Yarrow",
    "Zelle",
    "Aberlin",
    "Brisk",
    "Corvel",
]
RIVERS = ["Ossa", "Vell", "Maren", "Tilde", "Avon", "Skern"]
FOUNDERS = ["Anna Berg", "Jon Halvor", "Maria Stein", "Peter Lund", "Elsa Moor", "Karl Dahl", "Ida Falk"]
BUILDINGS = {
    "en": ["the old mill", "the clock tower", "the stone bridge", "the red church"],
    "de": ["die alte Mühle", "der Uhrturm", "die Steinbrücke", "die rote Kirche"],
    "es": ["el viejo molino", "la torre del reloj", "el puente de piedra", "la iglesia roja"],
    "zh": ["老磨坊", "钟楼", "石桥", "红教堂"],
}
CONTEXT = {
    "en": "{town} is a small town on the river {river}. It was founded in {year} by {founder}. Today about "
    "{people} people live there, and its best-known building is {building}.",
    "de": "{town} ist eine kleine Stadt am Fluss {river}. Sie wurde {year} von {founder} gegründet. Heute leben "
    "dort etwa {people} Menschen, und ihr bekanntestes Gebäude ist {building}.",
    "es": "{town} es un pueblo pequeño a orillas del río {river}. Fue fundado en {year} por {founder}. Hoy "
    "viven allí unas {people} personas, y su edificio más conocido es {building}.",
    "zh": "{town}是{river}河畔的一个小镇。它由{founder}于{year}年建立。如今约有{people}人居住在那里，最著名的建筑是{building}。",
}
QUESTIONS = {  # (question template, which slot answers it)
    "en": [
        ("When was {town} founded?", "year"),
        ("Who founded {town}?", "founder"),
        ("On which river is {town}?", "river"),
        ("What is the best-known building of {town}?", "building"),
        ("How many people live in {town}?", "people"),
    ],
    "de": [
        ("Wann wurde {town} gegründet?", "year"),
        ("Wer gründete {town}?", "founder"),
        ("An welchem Fluss liegt {town}?", "river"),
        ("Was ist das bekannteste Gebäude von {town}?", "building"),
        ("Wie viele Menschen leben in {town}?", "people"),
    ],
    "es": [
        ("¿Cuándo fue fundado {town}?", "year"),
        ("¿Quién fundó {town}?", "founder"),
        ("¿A orillas de qué río está {town}?", "river"),
        ("¿Cuál es el edificio más conocido de {town}?", "building"),
        ("¿Cuántas personas viven en {town}?", "people"),
    ],
    "zh": [
        ("{town}是哪一年建立的？", "year"),
        ("谁建立了{town}？", "founder"),
        ("{town}位于哪条河畔？", "river"),
        ("{town}最著名的建筑是什么？", "building"),
        ("{town}有多少人居住？", "people"),
    ],
}
LANGS = ["en", "de", "es", "zh"]


def facts(index: int, lang: str) -> dict[str, str]:
    return {
        "town": TOWNS[index],
        "river": RIVERS[index % len(RIVERS)],
        "founder": FOUNDERS[index % len(FOUNDERS)],
        "year": str(1201 + 37 * index),
        "people": str(1200 + 431 * index),
        "building": BUILDINGS[lang][index % 4],
    }


def squad(towns: range, context_lang: str, question_lang: str) -> dict:
    paragraphs = []
    for index in towns:
        slots = facts(index, context_lang)
        context = CONTEXT[context_lang].format(**slots)
        qas = []
        for number, (template, slot) in enumerate(QUESTIONS[question_lang]):
            answer = slots[slot]
            assert context.count(answer) == 1, (context, answer)
            qas.append(
                {
                    "id": f"town{index:02d}-q{number}",
                    "question": template.format(**facts(index, question_lang)),
                    "answers": [{"text": answer, "answer_start": context.index(answer)}],
                }
            )
        paragraphs.append({"context": context, "qas": qas})
    return {"version": "1.0", "data": [{"title": "towns", "paragraphs": paragraphs}]}


def main() -> None:
    out = HERE / "qa"
    out.mkdir(exist_ok=True)
    (out / "train-en.json").write_text(
        json.dumps(squad(range(0, 12), "en", "en"), ensure_ascii=False, indent=1)
    )
    files: dict[str, list[str]] = {"test": [], "unlabeled": []}
    for split, towns in (("test", range(12, 20)), ("unlabeled", range(20, 28))):
        for context_lang in LANGS:
            for question_lang in LANGS:
                name = f"qa/{split}-context-{context_lang}-question-{question_lang}.json"
                (HERE / name).write_text(
                    json.dumps(squad(towns, context_lang, question_lang), ensure_ascii=False, indent=1)
                )
                files[split].append(name)  # relative paths, so the provenance does not name this machine
    for target in ("qa_train_en.parquet", "qa_test.parquet", "qa_unlabeled.parquet"):
        (HERE / target).unlink(missing_ok=True)
    run = ["alsace", "data", "import"]
    subprocess.run(
        [*run, "qa/train-en.json", "--format", "squad", "--out", "qa_train_en.parquet"], check=True, cwd=HERE
    )
    subprocess.run(
        [*run, *files["test"], "--format", "mlqa", "--out", "qa_test.parquet"], check=True, cwd=HERE
    )
    subprocess.run(
        [*run, *files["unlabeled"], "--format", "mlqa", "--drop-labels", "--out", "qa_unlabeled.parquet"],
        check=True,
        cwd=HERE,
    )


if __name__ == "__main__":
    main()
