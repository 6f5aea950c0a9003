"""Stage 6 for extractive QA: self-knowledge distillation (SKD-QA, Carrino et al., 2023).

On a QA dataset with gold answers (typically `alsace cross-sample`'s output), for every window:
    L = α_ce · CE(gold) + α · T² · KL(P_teacher,T ‖ P_student,T)
- CE is the usual QA loss, the mean of the start and end cross-entropies (`--ce-weight`, the α_ce).
- KL is averaged over the start and end distributions. Each is a softmax over the window's context
  tokens and [CLS] only, so question, special and padding positions never enter it.
- The teacher is `--teacher epoch`: a frozen copy of the model, re-synced at the start of each pass
  (the paper's). `--teacher live` is the model itself in eval mode without gradient.
- α is `--kl-weight`: a fixed number, or map@k / mrr@k of the teacher's top `--kl-top-k` start and end
  positions against the gold ones (alsace_cli/kl_weights.py), per window.
The log records, per step, the loss, CE, KL, the mean α and the share of windows with α = 0. `--dev` (QA
data) makes the collapse guard keep the best dev F1. Options of the classification pairs
(`--predictions`, `--mask-pseudo-labels`, `--pseudo-labels`, `--train`) are refused here.

With `--pairs` (make-pairs --question-language-pairs): ALSACE on QA, no gold answer needed. Each pair is
one id's context asked in a teacher question language and in a student one; their windows are cut on the
same context tokens (tasks/qa_alignment.py), and the loss is the mean over window pairs of
T² · KL(P_teacher ‖ P_student), averaged over the start and end distributions, each a softmax over the
window's context tokens only (no [CLS]: there is no null answer to agree on). The teacher side is the
model itself (`live`) or the frozen copy (`epoch`); --ce-weight and map@k / mrr@k need gold answers and
are refused.
"""

from __future__ import annotations

import copy
from pathlib import Path

from alsace_cli import report
from alsace_cli.artifacts import load_dataset
from alsace_cli.batching import shuffled_batches
from alsace_cli.checkpoints import Checkpointer, check_loss, interruptible
from alsace_cli.configs import DistillConfig
from alsace_cli.distributed import processes
from alsace_cli.errors import AlsaceError
from alsace_cli.kl_weights import parse_kl_weight, qa_kl_weight
from alsace_cli.models import load_model, seed_everything
from alsace_cli.provenance import make_provenance
from alsace_cli.tasks import get_task
from alsace_cli.training import (
    TrainLog,
    freeze_word_embeddings,
    make_accelerator,
    make_optimizer,
    save_trained,
    start_tracking,
    steps_for,
    track,
)

QA_TEACHERS = ("epoch", "live")


def validate_qa(config: DistillConfig) -> None:
    if config.teacher not in QA_TEACHERS:
        raise AlsaceError(f"--teacher {config.teacher}: for QA use epoch (the paper's frozen copy) or live")
    if config.pairs and config.ce_weight > 0:
        raise AlsaceError(
            "--ce-weight: question-language pairs (--pairs) are zero-shot and have no gold answer to train on; "
            "leave --pairs out for CE + KL on answered data"
        )
    if config.pairs and parse_kl_weight(config.kl_weight)[0] != "fixed":
        raise AlsaceError(
            f"--kl-weight {config.kl_weight}: ranks gold positions, which --pairs data has none of"
        )
    for option, value in (("--predictions", config.predictions),
                          ("--mask-pseudo-labels", config.mask_pseudo_labels), ("--pseudo-labels", config.pseudo_labels),
                          ("--train", config.train)):  # fmt: skip
        if value:
            raise AlsaceError(
                f"{option}: not used by QA self-distillation, which trains on --data's own answers"
            )
    if config.sharpen != 1.0:
        raise AlsaceError("--sharpen: not implemented for QA self-distillation")
    parse_kl_weight(config.kl_weight)


def masked_log_softmax(logits, mask, temperature: float):
    import torch

    return torch.log_softmax((logits.float() / temperature).masked_fill(~mask, float("-inf")), dim=-1)


def span_kl(student, teacher, mask, temperature: float):
    """Per window: KL(P_teacher ‖ P_student) over the allowed positions (0 · log 0 taken as 0)."""
    import torch

    log_s, log_t = (
        masked_log_softmax(student, mask, temperature),
        masked_log_softmax(teacher, mask, temperature),
    )
    terms = torch.where(mask, log_t.exp() * (log_t - log_s), torch.zeros_like(log_s))
    return terms.sum(-1)


def question_pair_rows(config: DistillConfig, data) -> tuple:
    """Row positions in --data of each pair's teacher and student question (same id, same context)."""
    from alsace_cli.artifacts import read_artifact
    from alsace_cli.stages.distill import check_made_from, pair_rows

    artifact = read_artifact(config.pairs, "pairs")
    pairs = artifact.frame
    if "context_lang" not in pairs.columns:
        raise AlsaceError(
            f"{config.pairs}: no column 'context_lang': QA distillation needs make-pairs --question-language-pairs"
        )
    check_made_from(artifact.meta, config.pairs, "--pairs", config.data, config.force)
    teacher, student = pair_rows(data, pairs, Path(config.pairs), ("teacher_lang", "student_lang"),
                                 keys=("id", "lang", "question_lang"), shared=("id", "context_lang"))  # fmt: skip
    return teacher, student, len(pairs)


def aligned_kl(model, frozen, tokenizer, windows, index, config: DistillConfig, device):
    """T² · mean over window pairs of KL(teacher ‖ student), start and end averaged, on context tokens."""
    import torch

    from alsace_cli.tasks.qa_alignment import collate_aligned

    teacher, student, t_pos, s_pos, mask = collate_aligned(tokenizer, windows, index)
    teacher, student = teacher.to(device), student.to(device)
    t_pos, s_pos, mask = t_pos.to(device), s_pos.to(device), mask.to(device)
    with torch.no_grad():
        if frozen is None:
            model.eval()
        t_out = (model if frozen is None else frozen)(**teacher)
    model.train(config.student_dropout)
    s_out = model(**student)
    per_window = 0
    for name in ("start_logits", "end_logits"):
        s_logits = getattr(s_out, name).gather(1, s_pos)
        t_logits = getattr(t_out, name).gather(1, t_pos)
        per_window = per_window + span_kl(s_logits, t_logits, mask, config.temperature) / 2
    kl = per_window.mean() * config.temperature**2
    agree = (s_out.start_logits.gather(1, s_pos).masked_fill(~mask, float("-inf")).argmax(-1)
             == t_out.start_logits.gather(1, t_pos).masked_fill(~mask, float("-inf")).argmax(-1))  # fmt: skip
    return kl, agree.float().mean()


def distill_qa(config: DistillConfig, overwrite: bool = False, resume: bool | str = False) -> Path:
    import torch
    import torch.nn.functional as F

    from alsace_cli.stages.finetune import check_training_outputs
    from alsace_cli.stages.guard import Guard
    from alsace_cli.tasks.qa import doc_stride
    from alsace_cli.tasks.qa_alignment import aligned_windows

    validate_qa(config)
    paired = bool(config.pairs)
    inputs = {"--model": config.model, "--data": config.data, "--dev": config.dev, "--pairs": config.pairs}
    check_training_outputs(config.out, inputs, overwrite, resume)
    seed_everything(config.seed)
    data = load_dataset(config.data, require_labels=not paired)
    if paired:
        teacher_rows, student_rows, n_pairs = question_pair_rows(config, data)
    dev = load_dataset(config.dev, require_labels=True) if config.dev else None
    if dev is not None and dev.task != "qa":
        raise AlsaceError(f"{config.dev}: task {dev.task!r}; the guard of QA self-distillation needs QA data")
    task = get_task("qa")
    accelerator = make_accelerator(config.device, config.precision, config.report_to, f"{config.out}.logs")
    procs = processes(config.device)
    report.set_main_process(procs.main)

    def whole_batch(value):
        """The whole batch's mean of a per-shard mean, for the log (the value itself on one process)."""
        if procs.world == 1:
            return value
        return accelerator.reduce(value.detach() * weight / procs.world, reduction="sum")

    start_tracking(accelerator, "distill", config)
    model, tokenizer = load_model(config.model, "qa", [], max_length=config.max_length)
    if config.freeze_embeddings:
        freeze_word_embeddings(model)
    if paired:
        features = aligned_windows(tokenizer, data.frame, teacher_rows, student_rows, config.max_length,
                                   doc_stride(config))  # fmt: skip
    else:
        features = task.training_features(tokenizer, data.frame, config)
    total = steps_for(len(features), config.pairs_per_batch, config.epochs, config.max_steps)
    optimizer, scheduler = make_optimizer(
        model, config.learning_rate, config.weight_decay, config.warmup_ratio, total
    )
    model, optimizer, scheduler = accelerator.prepare(model, optimizer, scheduler)
    device = accelerator.device
    batches = shuffled_batches(len(features), config.pairs_per_batch, total, config.seed)
    steps_per_epoch = max(1, -(-len(features) // config.pairs_per_batch))
    kind, fixed_alpha = parse_kl_weight(config.kl_weight)
    frozen = copy.deepcopy(accelerator.unwrap_model(model)).eval() if config.teacher == "epoch" else None
    if frozen is not None:
        frozen.requires_grad_(False)
    log, start = TrainLog(), 0
    guard = Guard(config, dev, tokenizer, accelerator)  # no collapse detector: spans have no label histogram
    sources = {"model": config.model, "data": config.data, "dev": config.dev, "pairs": config.pairs or None}
    checkpoints = Checkpointer(accelerator, config.out, "distill", config, sources)
    if resume is True or (resume == "auto" and checkpoints.matches()):
        start, log.rows, state = checkpoints.load()
        guard.load_state_dict(state["guard"])
        if frozen is not None:
            frozen.load_state_dict(state["teacher_state"])
    else:
        guard.check(model, 0, log)
    with interruptible() as stop, report.progress("distill", total) as advance:

        def after_step(step: int, kl, ce=None) -> None:
            track(accelerator, log.rows[-1])
            if config.eval_every and step % config.eval_every == 0 or step == total:
                guard.check(model, step, log)
            advance(status=f"kl {kl.item():.4f}" + ("" if ce is None else f" ce {ce.item():.3f}"))
            state = {
                "guard": guard.state_dict(),
                "teacher_state": None if frozen is None else frozen.state_dict(),
            }
            checkpoints.after_step(step, total, stop, log.rows, state)

        advance(start)
        for step, batch_index in enumerate(batches[start:], start=start + 1):
            if frozen is not None and (step - 1) % steps_per_epoch == 0:
                frozen.load_state_dict(accelerator.unwrap_model(model).state_dict())
            index, weight = procs.training_shard(batch_index)  # this process's windows of the step's batch
            if paired:
                kl, agree = aligned_kl(model, frozen, tokenizer, features, index, config, device)
                loss = kl * fixed_alpha
                check_loss(loss, step, index, "distill", checkpoints.dir)
                accelerator.backward(loss * weight)
                loss = kl = whole_batch(loss)
                accelerator.clip_grad_norm_(model.parameters(), config.max_grad_norm)
                optimizer.step()
                scheduler.step()
                optimizer.zero_grad()
                log.add(step=step, epoch=step / steps_per_epoch, loss=loss.item(), kl=kl.item(), ce=float("nan"),
                        lr=scheduler.get_last_lr()[0], alpha_mean=fixed_alpha, alpha_zero=float(fixed_alpha == 0),
                        teacher_agreement=agree.item())  # fmt: skip
                after_step(step, kl)
                continue
            batch = features.collate(index, with_mask=True)
            mask = batch.pop("context_mask").to(device)
            gold_start, gold_end = (
                batch.pop("start_positions").to(device),
                batch.pop("end_positions").to(device),
            )
            batch = batch.to(device)
            with torch.no_grad():
                if frozen is not None:
                    teacher = frozen(**batch)
                else:
                    model.eval()
                    teacher = model(**batch)
            model.train(config.student_dropout)
            student = model(**batch)
            ce = (F.cross_entropy(student.start_logits.float(), gold_start)
                  + F.cross_entropy(student.end_logits.float(), gold_end)) / 2  # fmt: skip
            per_window = (span_kl(student.start_logits, teacher.start_logits, mask, config.temperature)
                          + span_kl(student.end_logits, teacher.end_logits, mask, config.temperature)) / 2  # fmt: skip
            if kind == "fixed":
                alpha = torch.full_like(per_window, fixed_alpha)
            else:
                alpha = qa_kl_weight(kind, teacher.start_logits.float(), teacher.end_logits.float(), gold_start, gold_end,
                                     config.kl_top_k, mask)  # fmt: skip
            kl = (alpha * per_window).mean() * config.temperature**2
            loss = config.ce_weight * ce + kl
            check_loss(loss, step, index, "distill", checkpoints.dir)
            accelerator.backward(loss * weight)
            loss, kl, ce = whole_batch(loss), whole_batch(kl), whole_batch(ce)
            accelerator.clip_grad_norm_(model.parameters(), config.max_grad_norm)
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad()
            log.add(step=step, epoch=step / steps_per_epoch, loss=loss.item(), kl=kl.item(), ce=ce.item(),
                    lr=scheduler.get_last_lr()[0], alpha_mean=alpha.mean().item(),
                    alpha_zero=(alpha == 0).float().mean().item())  # fmt: skip
            after_step(step, kl, ce)
    model = accelerator.unwrap_model(model)
    guard.restore(model, total)
    out = Path(config.out)
    if accelerator.is_main_process:
        provenance = make_provenance("distill", config, sources, config.seed)
        if guard.decision is not None:
            provenance["guard"] = guard.decision
        save_trained(model, tokenizer, out, [], log, config, "distill", provenance)
    checkpoints.remove()
    accelerator.end_training()
    last = log.frame().dropna(subset=["kl"]).tail(max(1, total // 10))
    if paired:
        report.info(
            f"distill (qa, question-language pairs): {total} steps of {config.pairs_per_batch} window pairs "
            f"({len(features)} window pairs of {n_pairs} pairs), last-10% mean KL {last['kl'].mean():.4f}, "
            f"start agreement {last['teacher_agreement'].mean():.3f} → {report.esc(out)}"
        )
        return out
    report.info(
        f"distill (qa): {total} steps of {config.pairs_per_batch} windows ({len(features)} windows of {len(data.frame)} "
        f"questions), last-10% mean KL {last['kl'].mean():.4f}, CE {last['ce'].mean():.4f}, "
        f"α {last['alpha_mean'].mean():.3f} → {report.esc(out)}"
    )
    return out
