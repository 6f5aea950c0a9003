"""`alsace distill`: cross-lingual self-distillation from the teacher languages."""

from __future__ import annotations

from pathlib import Path

import typer

from alsace_cli.cli.common import (
    config_from,
    config_option,
    handle_errors,
    json_option,
    opt,
    overwrite_option,
    resume_option,
)
from alsace_cli.configs import DistillConfig as C


@handle_errors
def distill_command(
    ctx: typer.Context,
    model: str = opt(C, "model"),
    data: str = opt(C, "data"),
    pairs: str = opt(C, "pairs"),
    out: str = opt(C, "out"),
    learning_rate: float = opt(C, "learning_rate", "--learning-rate", "--lr"),
    epochs: float = opt(C, "epochs"),
    max_steps: int = opt(C, "max_steps", "--max-steps", "--steps"),
    pairs_per_batch: int = opt(C, "pairs_per_batch"),
    max_length: int = opt(C, "max_length"),
    doc_stride: int = opt(C, "doc_stride"),
    temperature: float = opt(C, "temperature"),
    sharpen: float = opt(C, "sharpen"),
    mask_pseudo_labels: str = opt(C, "mask_pseudo_labels"),
    teacher: str = opt(C, "teacher"),
    predictions: str = opt(C, "predictions"),
    languages: str = opt(C, "languages"),
    ensemble_weights: str = opt(C, "ensemble_weights"),
    kl_weight: str = opt(C, "kl_weight"),
    kl_top_k: int = opt(C, "kl_top_k"),
    pseudo_labels: str = opt(C, "pseudo_labels"),
    student_dropout: bool = opt(C, "student_dropout", "--student-dropout/--no-student-dropout"),
    freeze_embeddings: bool = opt(C, "freeze_embeddings", "--freeze-embeddings/--no-freeze-embeddings"),
    dev: str = opt(C, "dev"),
    eval_every: int = opt(C, "eval_every"),
    eval_batch_size: int = opt(C, "eval_batch_size"),
    guard_rule: str = opt(C, "guard_rule"),
    guard_alpha: float = opt(C, "guard_alpha"),
    collapse_check: bool = opt(C, "collapse_check", "--collapse-check/--no-collapse-check"),
    collapse_sample: int = opt(C, "collapse_sample"),
    source_lang: str = opt(C, "source_lang"),
    collapse_tv: float = opt(C, "collapse_tv"),
    collapse_entropy: float = opt(C, "collapse_entropy"),
    ce_weight: float = opt(C, "ce_weight"),
    train: str = opt(C, "train"),
    warmup_ratio: float = opt(C, "warmup_ratio"),
    weight_decay: float = opt(C, "weight_decay"),
    max_grad_norm: float = opt(C, "max_grad_norm"),
    save_every: int = opt(C, "save_every"),
    report_to: str = opt(C, "report_to"),
    force: bool = opt(C, "force", "--force"),
    seed: int = opt(C, "seed"),
    device: str = opt(C, "device"),
    precision: str = opt(C, "precision"),
    overwrite: bool = overwrite_option(),
    resume: bool = resume_option(),
    config: Path = config_option(),
    json: bool = json_option(),
) -> None:
    """Stage 6: minimise KL(P_teacher ‖ P_student) over the pairs; writes a model directory and its log."""
    from alsace_cli.report import print_json
    from alsace_cli.stages.distill import distill

    cfg = config_from(ctx, C, "distill", ("model", "data"))  # pairs: for classification (checked there)
    path = distill(cfg, overwrite=overwrite, resume=resume)
    if json:
        print_json({"model": str(path), "train_log": str(path / "train_log.parquet")})
