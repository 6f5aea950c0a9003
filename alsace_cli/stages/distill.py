"""Stage 6, distill: cross-lingual self-distillation from teacher languages.

Loss: the mean over a batch of pairs of KL(P(x_teacher) ‖ P(x_student)), each distribution a softmax of
logits / temperature, times temperature² (so gradients keep their scale as the temperature changes).
Where the teacher distribution comes from (`--teacher`):
- `live` (default): the model being trained, run on the teacher side in eval mode (no dropout) without
  gradient. The target moves as the model moves.
- `static`: the fine-tuned model's own predictions from `predict` (`--predictions`), fixed for the whole run.
  The KL loss alone has a trivial minimum (one distribution for every input) that a moving teacher can
  drift into; fixed per-instance targets do not have it. It also saves the teacher forward pass.
- `mutual`: gradient through both sides, both in train mode, as the authors' code does.
- `epoch`: a frozen copy of the model, re-synced at the start of each pass over the pairs (SKD-QA's
  teacher); no gradient, eval mode.
- `ensemble`: every language of an instance learns one fixed target, the teacher languages' predictions
  combined with weights ŝ_t (or each teacher's confidence): stages/ensemble.py.
`--kl-weight` sets each pair's α in the mean of α · KL: a fixed number (default 1), or `map@k` / `mrr@k`
from the teacher's rank of the pair's label in its top `--kl-top-k` (the label is vote's pseudo-label,
`--pseudo-labels`); see alsace_cli/kl_weights.py. The log records the mean α and the share with α = 0.
`--ce-weight W --train FILE` adds W × cross-entropy on labeled (English) batches, another anchor.

Two ways to make noisy targets less harmful (both off by default, so the default is the paper's loss):
- `--sharpen S` divides the teacher's logits by S before its softmax (S < 1 sharpens): the student is pulled
  toward the teacher's decision, not toward its uncertainty.
- `--mask-pseudo-labels FILE` (vote's output): a pair counts in the loss only where the teacher side predicts
  the instance's pseudo-label; the loss is the mean over the pairs that count. With a weak model the
  teacher languages still disagree on many instances, and the disagreeing targets are mostly noise.

The guard (stages/guard.py): a paired sign test on `--dev` (labeled source-language data, which the
zero-shot setting allows) and a label-free collapse detector on a sample of `--data`, checked before the
first step, every `--eval-every` steps and after the last. The last step is kept unless the dev set shows
a significant drop from step 0 or the detector fires (training then stops); a shrinking "gap" cannot fool
either, since neither looks at the gap.
"""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pandas as pd

from alsace_cli import report
from alsace_cli.artifacts import Dataset, load_dataset, read_artifact, read_predictions
from alsace_cli.batching import shuffled_batches
from alsace_cli.checkpoints import Checkpointer, check_loss, interruptible
from alsace_cli.configs import DISTILL_TEACHERS, DistillConfig
from alsace_cli.distributed import processes
from alsace_cli.errors import AlsaceError
from alsace_cli.inference import with_resolved_precision
from alsace_cli.kl_weights import classification_kl_weight, parse_kl_weight
from alsace_cli.models import load_model, seed_everything
from alsace_cli.provenance import hash_path, make_provenance
from alsace_cli.stages.ensemble import ensemble_items
from alsace_cli.stages.finetune import check_training_outputs
from alsace_cli.stages.guard import Guard, collapse_samples
from alsace_cli.tasks import get_task, require_distillable
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


def pair_rows(dataset: Dataset, pairs: pd.DataFrame, pairs_path: Path,
              columns: tuple[str, ...] = ("student_lang", "teacher_lang"), keys: tuple[str, ...] = ("id", "lang"),
              shared: tuple[str, ...] = ("id",)) -> list[np.ndarray]:  # fmt: skip
    """Row positions in the dataset of each pair's sides (`columns`); every side must exist.

    A side is found by the pair's `shared` columns plus that side's column, matched against the dataset's
    `keys` (QA question-language pairs: id and context_lang, plus a question language, against id, lang
    and question_lang)."""
    frame = dataset.frame
    position = pd.Series(np.arange(len(frame)), index=pd.MultiIndex.from_frame(frame[list(keys)].astype(str)))
    sides = []
    for column in columns:
        wanted = pd.MultiIndex.from_arrays([pairs[c].astype(str) for c in (*shared, column)])
        found = position.reindex(wanted)
        if found.isna().any():
            row = int(found.isna().to_numpy().argmax())
            key = ", ".join(f"{c}={pairs[c].iloc[row]!r}" for c in (*shared, column))
            raise AlsaceError(f"{pairs_path}: row {row}: ({key}) is not in {dataset.path}")
        sides.append(found.to_numpy(dtype=np.int64))
    return sides


def static_targets(config: DistillConfig, data: Dataset, teacher_rows: np.ndarray) -> np.ndarray:
    """log P(y | x_teacher) from predict's artifact, one row per pair: the fixed targets of --teacher static."""
    predictions = read_predictions(config.predictions, data)
    check_made_from(predictions.meta, config.predictions, "--predictions", config.data, config.force)
    keys = pd.MultiIndex.from_frame(predictions.frame[["id", "lang"]].astype(str))
    wanted = pd.MultiIndex.from_frame(data.frame[["id", "lang"]].astype(str).iloc[teacher_rows])
    position = pd.Series(np.arange(len(keys)), index=keys).reindex(wanted)
    if position.isna().any():
        row = int(position.isna().to_numpy().argmax())
        raise AlsaceError(
            f"{config.predictions}: no prediction for (id={wanted[row][0]!r}, lang={wanted[row][1]!r}), "
            f"a teacher side of {config.pairs}; predict on {config.data} first"
        )
    probs = np.stack(predictions.frame["probs"].to_numpy())[position.to_numpy(dtype=np.int64)]
    return np.log(np.clip(probs.astype(np.float32), 1e-12, None))


def pair_pseudo_labels(path: str, data: Dataset, pairs: pd.DataFrame) -> np.ndarray:
    """The voted label of each pair's instance, for --mask-pseudo-labels."""
    votes = read_artifact(path, "pseudo_labels").frame
    by_id = pd.Series(votes["pseudo_label"].to_numpy(), index=votes["id"].astype(str))
    found = by_id.reindex(pairs["id"].astype(str))
    if found.isna().any():
        row = int(found.isna().to_numpy().argmax())
        raise AlsaceError(
            f"{path}: no pseudo-label for id {pairs['id'].iloc[row]!r} (row {row} of the pairs)"
        )
    labels = found.to_numpy(dtype=np.int64)
    if labels.min() < 0 or labels.max() >= len(data.labels):
        raise AlsaceError(f"{path}: column pseudo_label: values outside 0..{len(data.labels) - 1}")
    return labels


def kl_teacher_student(
    student_logits, teacher_logits, temperature: float, sharpen: float = 1.0, mask=None, weights=None
):
    """T² × mean over the pairs (those where mask is true) of α · KL(teacher ‖ student), and log P_student.

    `weights` holds each pair's α (map@k, mrr@k); without it α is 1 for every pair."""
    import torch.nn.functional as F

    log_student = F.log_softmax(student_logits.float() / temperature, dim=-1)
    log_teacher = F.log_softmax(teacher_logits.float() / (temperature * sharpen), dim=-1)
    # The sum over labels, averaged over pairs, is KL's definition (kl_div's plain "mean" is not).
    per_pair = F.kl_div(log_student, log_teacher, log_target=True, reduction="none").sum(-1)
    if weights is not None:
        per_pair = per_pair * weights
    kl = per_pair.mean() if mask is None else (per_pair * mask).sum() / mask.sum().clamp(min=1)
    return kl * temperature**2, log_student


TEACHERS = DISTILL_TEACHERS


def validate(config: DistillConfig) -> None:
    if config.teacher not in TEACHERS:
        raise AlsaceError(f"--teacher: unknown teacher {config.teacher!r} (use {', '.join(TEACHERS)})")
    if config.teacher == "static" and not config.predictions:
        raise AlsaceError("--teacher static needs --predictions FILE (predict's output on --data)")
    if config.teacher == "ensemble" and not (config.predictions and config.languages):
        raise AlsaceError(
            "--teacher ensemble needs --predictions FILE (predict's output on --data) and --languages FILE "
            "(select's output: the teachers and their ŝ)"
        )
    if config.predictions and config.teacher not in ("static", "ensemble"):
        raise AlsaceError("--predictions is only used by --teacher static or ensemble")
    if config.languages and config.teacher != "ensemble":
        raise AlsaceError("--languages is only used by --teacher ensemble")
    if config.eval_every < 0:
        raise AlsaceError("--eval-every must be zero (start and end only) or positive")
    if config.eval_every and not config.dev and not config.collapse_check:
        raise AlsaceError(
            "--eval-every needs --dev FILE or the collapse check (both off: there would be nothing to check)"
        )
    if config.temperature <= 0:
        raise AlsaceError("--temperature must be positive")
    if config.sharpen <= 0:
        raise AlsaceError("--sharpen must be positive (below 1 sharpens the teacher, 1 leaves it)")
    if config.ce_weight < 0:
        raise AlsaceError("--ce-weight must be zero or positive")
    if config.ce_weight > 0 and not config.train:
        raise AlsaceError("--ce-weight needs --train FILE (the labeled data the cross-entropy term uses)")
    kind, _ = parse_kl_weight(config.kl_weight)
    if kind != "fixed" and not config.pseudo_labels:
        raise AlsaceError(
            f"--kl-weight {kind} needs --pseudo-labels FILE (vote's output: the label it ranks)"
        )
    if config.pseudo_labels and kind == "fixed":
        raise AlsaceError("--pseudo-labels is only used by --kl-weight map@k or mrr@k")
    if config.train and config.ce_weight == 0:
        raise AlsaceError("--train is only used by the cross-entropy term: also pass --ce-weight > 0")


def check_made_from(meta: dict, path: str, option: str, data: str, force: bool) -> None:
    """Refuse an artifact whose provenance does not record --data's very bytes as its corpus (unless --force)."""
    if force:
        return
    recorded = ((meta.get("provenance") or {}).get("inputs") or {}).get("data") or {}
    if not recorded.get("sha256"):
        raise AlsaceError(
            f"{path}: its provenance names no corpus, so {option} cannot be checked against --data {data}; "
            "pass --force if you know they match"
        )
    if recorded["sha256"] != hash_path(data):
        raise AlsaceError(
            f"{path}: was made from {recorded.get('path')} (sha256 {recorded['sha256'][:12]}), not from --data "
            f"{data} (sha256 {hash_path(data)[:12]}); rerun that stage on --data, or pass --force"
        )


def distill(config: DistillConfig, overwrite: bool = False, resume: bool | str = False) -> Path:
    """Train; `resume` True continues from the checkpoint, "auto" does so if it matches this job."""
    import torch
    import torch.nn.functional as F

    from alsace_cli.streaming import open_dataset

    config = with_resolved_precision(config)
    if open_dataset(config.data).task == "qa":  # reads the metadata and one row
        from alsace_cli.stages.distill_qa import distill_qa

        return distill_qa(config, overwrite, resume)
    if not config.pairs:
        raise AlsaceError(
            "missing --pairs (make-pairs' output on --data; or `pairs` in the [distill] section)"
        )
    validate(config)
    check_training_outputs(config.out, {"--model": config.model, "--data": config.data, "--pairs": config.pairs,
                                        "--train": config.train, "--dev": config.dev,
                                        "--predictions": config.predictions, "--languages": config.languages,
                                        "--mask-pseudo-labels": config.mask_pseudo_labels}, overwrite, resume)  # fmt: skip
    seed_everything(config.seed)
    data = load_dataset(config.data)
    require_distillable(data.task, "distill", config.data)
    pairs_artifact = read_artifact(config.pairs, "pairs")
    check_made_from(pairs_artifact.meta, config.pairs, "--pairs", config.data, config.force)
    pairs = pairs_artifact.frame
    student_rows, teacher_rows = pair_rows(data, pairs, Path(config.pairs))
    targets = static_targets(config, data, teacher_rows) if config.teacher == "static" else None
    if config.teacher == "ensemble":  # one row per (instance, language) of the pairs, one fixed target per id
        pairs, targets = ensemble_items(config, data, pairs)
        (student_rows,) = pair_rows(data, pairs, Path(config.pairs), ("student_lang",))
    voted = pair_pseudo_labels(config.mask_pseudo_labels, data, pairs) if config.mask_pseudo_labels else None
    weight_kind, fixed_alpha = parse_kl_weight(config.kl_weight)
    ranked = pair_pseudo_labels(config.pseudo_labels, data, pairs) if config.pseudo_labels else None
    train = load_dataset(config.train, require_labels=True) if config.train else None
    dev = load_dataset(config.dev, require_labels=True) if config.dev else None
    for extra, path in ((train, config.train), (dev, config.dev)):
        if extra is not None and (extra.labels != data.labels or extra.task != data.task):
            raise AlsaceError(
                f"{path}: task or labels {extra.labels} differ from {config.data}'s {data.labels}"
            )
    task = get_task(data.task)
    accelerator = make_accelerator(config.device, config.precision, config.report_to, f"{config.out}.logs")
    procs = processes(config.device)
    report.set_main_process(procs.main)
    if procs.world > 1 and (config.teacher == "mutual" or train is not None):
        raise AlsaceError(
            "--teacher mutual and --ce-weight run two forward passes with gradient per step, which DDP does "
            "not take; across several processes use live, static, epoch or ensemble without --ce-weight"
        )
    start_tracking(accelerator, "distill", config)
    model, tokenizer = load_model(config.model, data.task, data.labels, max_length=config.max_length)
    if config.freeze_embeddings:  # as in finetune: the shared vocabulary stays where pre-training left it
        freeze_word_embeddings(model)
    total = steps_for(len(pairs), config.pairs_per_batch, config.epochs, config.max_steps)
    optimizer, scheduler = make_optimizer(
        model, config.learning_rate, config.weight_decay, config.warmup_ratio, total
    )
    model, optimizer, scheduler = accelerator.prepare(model, optimizer, scheduler)
    device = accelerator.device
    frame = data.frame
    batches = shuffled_batches(len(pairs), config.pairs_per_batch, total, config.seed)
    ce_batches = (
        shuffled_batches(len(train.frame), config.pairs_per_batch, total, config.seed + 1) if train else None
    )
    log, start = TrainLog(), 0
    sample = collapse_samples(frame, config) if config.collapse_check else None
    guard = Guard(config, dev, tokenizer, accelerator, corpus=sample, task=task)
    inputs = {"model": config.model, "data": config.data, "pairs": config.pairs, "train": config.train,
              "predictions": config.predictions, "languages": config.languages, "dev": config.dev,
              "mask_pseudo_labels": config.mask_pseudo_labels, "pseudo_labels": config.pseudo_labels}  # fmt: skip
    # --teacher epoch: a frozen copy of the model, re-synced at the start of each pass over the pairs.
    steps_per_epoch = max(1, -(-len(pairs) // config.pairs_per_batch))
    frozen = copy.deepcopy(accelerator.unwrap_model(model)).eval() if config.teacher == "epoch" else None
    if frozen is not None:
        frozen.requires_grad_(False)
    checkpoints = Checkpointer(accelerator, config.out, "distill", config, inputs)
    if resume is True or (resume == "auto" and checkpoints.matches()):
        start, log.rows, state = checkpoints.load()
        guard.load_state_dict(state["guard"])
        if frozen is not None:
            frozen.load_state_dict(state["teacher_state"])
        report.info(f"distill: resumed at step {start} of {total} from {report.esc(checkpoints.dir)}")
    else:
        guard.check(model, 0, log)
    with interruptible() as stop, report.progress("distill", total) as advance:
        advance(start)
        for step, batch in enumerate(batches[start:], start=start + 1):
            if frozen is not None and (step - 1) % steps_per_epoch == 0:
                frozen.load_state_dict(accelerator.unwrap_model(model).state_dict())
            index, weight = procs.training_shard(batch)  # this process's pairs of the step's batch
            if targets is not None:  # static or ensemble: fixed log-probabilities
                teacher_logits = torch.from_numpy(targets[index]).to(device)
            elif frozen is not None:
                teacher = task.encode(tokenizer, frame.iloc[teacher_rows[index]], config.max_length).to(
                    device
                )
                with torch.no_grad():
                    teacher_logits = frozen(**teacher).logits
            else:
                teacher = task.encode(tokenizer, frame.iloc[teacher_rows[index]], config.max_length)
                teacher = teacher.to(device)
                # mutual: both sides in train mode with gradient; live: a detached target without dropout.
                model.train(config.teacher == "mutual")
                with torch.set_grad_enabled(config.teacher == "mutual"):
                    teacher_logits = model(**teacher).logits
            # Without dropout the student's distribution is the one predict will see.
            model.train(config.student_dropout)
            student = task.encode(tokenizer, frame.iloc[student_rows[index]], config.max_length).to(device)
            student_logits = model(**student).logits
            mask = None
            if voted is not None:
                wanted = torch.from_numpy(voted[index]).to(device)
                mask = (teacher_logits.argmax(-1) == wanted).float()
            if weight_kind == "fixed":
                alpha = torch.full((len(index),), fixed_alpha, device=device)
            else:
                wanted_label = torch.from_numpy(ranked[index]).to(device)
                alpha = classification_kl_weight(weight_kind, teacher_logits.detach().float(), wanted_label,
                                                 config.kl_top_k)  # fmt: skip
            kl, log_student = kl_teacher_student(
                student_logits, teacher_logits, config.temperature, config.sharpen, mask, alpha
            )
            loss = kl
            ce_value = float("nan")
            if train is not None and ce_batches is not None:
                rows = train.frame.iloc[ce_batches[step - 1]]
                labeled = task.encode(tokenizer, rows, config.max_length).to(device)
                gold = torch.tensor(rows["label"].to_numpy(dtype=np.int64), device=device)
                ce = F.cross_entropy(model(**labeled).logits.float(), gold)
                loss = loss + config.ce_weight * ce
                ce_value = ce.item()
            check_loss(loss, step, pairs.index[index], "distill", checkpoints.dir)
            if procs.world > 1:
                if mask is not None:  # the batch's mean over kept pairs: this shard's share of the kept count
                    kept = accelerator.reduce(mask.sum().detach(), reduction="sum").clamp(min=1)
                    weight = float(mask.sum().item() * procs.world / kept.item()) if weight else 0.0
                accelerator.backward(loss * weight)
                loss = accelerator.reduce(loss.detach() * weight / procs.world, reduction="sum")
                kl = loss
            else:
                accelerator.backward(loss)
            accelerator.clip_grad_norm_(model.parameters(), config.max_grad_norm)
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad()
            with torch.no_grad():
                # Collapse shows as entropy drifting to a constant while agreement with the teacher nears 1.
                entropy = -(log_student.exp() * log_student).sum(-1).mean().item()
                agree = (student_logits.argmax(-1) == teacher_logits.argmax(-1)).float().mean().item()
            log.add(
                step=step,
                epoch=step * config.pairs_per_batch / len(pairs),
                loss=loss.item(),
                kl=kl.item(),
                ce=ce_value,
                lr=scheduler.get_last_lr()[0],
                student_entropy=entropy,
                teacher_agreement=agree,
                pairs_kept=float("nan") if mask is None else mask.mean().item(),
                alpha_mean=alpha.mean().item(),
                alpha_zero=(alpha == 0).float().mean().item(),
            )
            collapsed = False
            if config.eval_every and step % config.eval_every == 0 or step == total:
                collapsed = guard.check(model, step, log)
            advance(status=f"kl {kl.item():.4f}")
            track(accelerator, log.rows[-1])
            state = {
                "guard": guard.state_dict(),
                "teacher_state": None if frozen is None else frozen.state_dict(),
            }
            checkpoints.after_step(step, total, stop, log.rows, state)
            if collapsed:
                break
    model = accelerator.unwrap_model(model)
    guard.restore(model, total)
    out = Path(config.out)
    if accelerator.is_main_process:
        provenance = make_provenance("distill", config, inputs, config.seed)
        if guard.decision is not None:
            provenance["guard"] = guard.decision
        save_trained(model, tokenizer, out, data.labels, log, config, "distill", provenance)
    checkpoints.remove()
    accelerator.end_training()
    last = log.frame().dropna(subset=["kl"]).tail(max(1, total // 10))
    report.info(
        f"distill: {total} steps of {config.pairs_per_batch} pairs ({len(pairs)} pairs), "
        f"last-10% mean KL {last['kl'].mean():.4f}, student entropy {last['student_entropy'].mean():.3f} → {report.esc(out)}"
    )
    return out
