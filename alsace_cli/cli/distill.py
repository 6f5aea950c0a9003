"""`alsace distill`: cross-lingual self-distillation from the teacher languages."""

from __future__ import annotations

from typing import Annotated

import typer

from alsace_cli.cli.common import (
    ConfigOption,
    DeviceOption,
    JsonOption,
    PrecisionOption,
    handle_errors,
    resolve_config,
)


@handle_errors
def distill_command(
    model: Annotated[str | None, typer.Option(help="The fine-tuned model directory.")] = None,
    data: Annotated[
        str | None, typer.Option(help="Unlabeled parallel corpus (Parquet) the pairs refer to.")
    ] = None,
    pairs: Annotated[str | None, typer.Option(help="pairs.parquet from make-pairs.")] = None,
    out: Annotated[str | None, typer.Option(help="Output model directory.")] = None,
    learning_rate: Annotated[float | None, typer.Option("--learning-rate", "--lr")] = None,
    epochs: Annotated[float | None, typer.Option(help="Passes over the pairs.")] = None,
    max_steps: Annotated[
        int | None, typer.Option("--max-steps", "--steps", help="Steps (overrides --epochs).")
    ] = None,
    pairs_per_batch: Annotated[int | None, typer.Option()] = None,
    max_length: Annotated[int | None, typer.Option()] = None,
    temperature: Annotated[
        float | None, typer.Option(help="Softmax temperature of both sides; loss scaled by T².")
    ] = None,
    sharpen: Annotated[
        float | None,
        typer.Option(help="Divide the teacher's logits by S too (S < 1 sharpens its distribution)."),
    ] = None,
    mask_pseudo_labels: Annotated[
        str | None,
        typer.Option(
            help="vote's output: only pairs whose teacher side predicts the voted label count in the loss."
        ),
    ] = None,
    teacher: Annotated[
        str | None,
        typer.Option(
            help="Teacher distribution: live (the model, detached, eval mode; default), static (fixed, "
            "from --predictions), mutual (gradient through both sides, the authors' code)."
        ),
    ] = None,
    predictions: Annotated[
        str | None, typer.Option(help="predict's output on --data: the targets of --teacher static.")
    ] = None,
    student_dropout: Annotated[
        bool | None,
        typer.Option("--student-dropout/--no-student-dropout", help="Dropout on the student side."),
    ] = None,
    freeze_embeddings: Annotated[
        bool | None,
        typer.Option("--freeze-embeddings/--no-freeze-embeddings", help="Keep the word embeddings fixed."),
    ] = None,
    dev: Annotated[
        str | None,
        typer.Option(
            help="Labeled source-language dev set: the collapse guard keeps the best checkpoint on it."
        ),
    ] = None,
    eval_every: Annotated[
        int | None, typer.Option(help="Guard check every N steps (and at start and end).")
    ] = None,
    ce_weight: Annotated[
        float | None, typer.Option(help="Weight of an English cross-entropy term (needs --train).")
    ] = None,
    train: Annotated[str | None, typer.Option(help="Labeled data for the --ce-weight term.")] = None,
    warmup_ratio: Annotated[float | None, typer.Option()] = None,
    weight_decay: Annotated[float | None, typer.Option()] = None,
    seed: Annotated[int | None, typer.Option()] = None,
    device: DeviceOption = None,
    precision: PrecisionOption = None,
    config: ConfigOption = None,
    json: JsonOption = False,
) -> None:
    """Stage 6: minimise KL(P_teacher ‖ P_student) over the pairs; writes a model directory and its log."""
    from alsace_cli.report import print_json
    from alsace_cli.stages.distill import DistillConfig, distill

    cfg = resolve_config(
        DistillConfig, "distill", config, ("model", "data", "pairs"),
        model=model, data=data, pairs=pairs, out=out, learning_rate=learning_rate, epochs=epochs,
        max_steps=max_steps, pairs_per_batch=pairs_per_batch, max_length=max_length, temperature=temperature,
        sharpen=sharpen, mask_pseudo_labels=mask_pseudo_labels, teacher=teacher, predictions=predictions, student_dropout=student_dropout, freeze_embeddings=freeze_embeddings,
        dev=dev, eval_every=eval_every, ce_weight=ce_weight, train=train, warmup_ratio=warmup_ratio, weight_decay=weight_decay,
        seed=seed, device=device, precision=precision,
    )  # fmt: skip
    path = distill(cfg)
    if json:
        print_json({"model": str(path), "train_log": str(path / "train_log.parquet")})
