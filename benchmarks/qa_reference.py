"""Reference answers from transformers' question-answering pipeline (transformers 4.x, which still has it).

    REFERENCE_PYTHON benchmarks/qa_reference.py MODEL_DIR QUESTIONS.parquet OUT.json MAX_LENGTH DOC_STRIDE

Run by benchmarks/qa_baseline.py under an interpreter with transformers<5; it imports nothing from alsace.
Writes, for align_to_words False and True, each question's answer text and start, and questions/s.
"""

from __future__ import annotations

import json
import sys
import time

import pandas as pd
import torch
from transformers import AutoModelForQuestionAnswering, AutoTokenizer, pipeline

BATCH_SIZE = 32


def main() -> None:
    model_dir, questions, out, max_length, stride = sys.argv[1:6]
    torch.set_grad_enabled(False)
    frame = pd.read_parquet(questions)
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModelForQuestionAnswering.from_pretrained(model_dir)
    qa = pipeline("question-answering", model=model, tokenizer=tokenizer, device=-1)
    inputs = [
        {"question": q.lstrip(), "context": c}
        for q, c in zip(frame["question"], frame["context"], strict=True)
    ]
    result = {"batch_size": BATCH_SIZE, "transformers": __import__("transformers").__version__}
    for align in (False, True):
        seconds = []
        for _ in range(3 if not align else 1):  # timed: the median of 3 runs (align False, the one compared)
            start = time.perf_counter()
            answers = qa(
                inputs,
                max_seq_len=int(max_length),
                doc_stride=int(stride),
                max_answer_len=30,
                align_to_words=align,
                batch_size=BATCH_SIZE,
            )
            seconds.append(time.perf_counter() - start)
        answers = answers if isinstance(answers, list) else [answers]
        result[f"align_to_words_{str(align).lower()}"] = {
            "questions_per_s": len(inputs) / sorted(seconds)[len(seconds) // 2],
            "seconds": seconds,
            "answers": [
                {"answer": a["answer"], "start": int(a["start"]), "score": float(a["score"])} for a in answers
            ],
        }
    with open(out, "w") as handle:
        json.dump(result, handle)


if __name__ == "__main__":
    main()
