"""The one table of stages: the CLI app, `alsace run` and the output checks all read it.

Each entry names its command (and TOML section), its config dataclass (every option comes from its
fields), the function that runs it and the one that shows its result, both as "module:function" so this
table stays below the code it names and `alsace --help` imports nothing heavy.
"""

from __future__ import annotations

from dataclasses import dataclass

from alsace_cli.configs.stages import (
    CrossSampleConfig,
    EvalConfig,
    ImportConfig,
    InfoConfig,
    PairsConfig,
    PredictConfig,
    RunConfig,
    SelectConfig,
    TinyModelConfig,
    VerifyConfig,
    VoteConfig,
)
from alsace_cli.configs.training import DistillConfig, FinetuneConfig, SelfTrainConfig
from alsace_cli.configs.translate import TranslateConfig


@dataclass(frozen=True)
class Stage:
    name: str  # the command; its TOML section (a sub-command's is "group command")
    config: type
    run: str  # "module:function" called with the resolved config (and overwrite, resume)
    show: str  # "module:function" called with the result, the config and whether --json was asked
    help: str
    required: tuple[str, ...] = ()
    pipeline: bool = False  # one of the stages `alsace run` runs (its section is allowed in a run file)
    resume: bool = False  # has --resume
    overwrite: bool = True  # has --overwrite
    config_file: bool = True  # has --config FILE (its [name] section)
    options: tuple[str, ...] | None = None  # the config fields given as options (None: all)
    pipeline_file: bool = False  # `run`: --config is the pipeline file, the options override its [run]
    # How `alsace run` plans the stage: the fields that are its inputs (their hashes fingerprint the step)
    # and what it writes in the run directory.
    reads: tuple[str, ...] = ()
    run_out: str = ""


STAGES: tuple[Stage, ...] = (
    Stage(
        "finetune",
        FinetuneConfig,
        "alsace_cli.stages.finetune:finetune",
        "alsace_cli.cli.show:model",
        "Stage 1: fine-tune MODEL on labeled data; writes a model directory with train_log.parquet.",
        ("model", "train"),
        pipeline=True,
        resume=True,
        reads=("model", "train", "dev"),
        run_out="finetuned",
    ),
    Stage(
        "predict",
        PredictConfig,
        "alsace_cli.stages.predict:predict",
        "alsace_cli.cli.show:predictions",
        "Stage 2: P(y | x) for every (id, lang) → predictions.parquet (id, lang, probs, pred, confidence).",
        ("model", "data"),
        pipeline=True,
        reads=("model", "data"),
        run_out="predictions.parquet",
    ),
    Stage(
        "vote",
        VoteConfig,
        "alsace_cli.stages.vote:vote",
        "alsace_cli.cli.show:votes",
        "Stage 3: majority vote over languages; ties go to the highest summed probability, then the lowest index.",
        ("predictions",),
        pipeline=True,
        reads=("predictions",),
        run_out="pseudo_labels.parquet",
    ),
    Stage(
        "select",
        SelectConfig,
        "alsace_cli.stages.select:select",
        "alsace_cli.cli.show:languages",
        "Stage 4: s_t = mean P(pseudo-label) (QA: mean best-span probability), ŝ = softmax(s); teachers: ŝ_t ≥ threshold.",
        ("predictions",),
        pipeline=True,
        reads=("predictions", "pseudo_labels"),
        run_out="languages.parquet",
    ),
    Stage(
        "make-pairs",
        PairsConfig,
        "alsace_cli.stages.pairs:make_pairs",
        "alsace_cli.cli.show:pairs",
        "Stage 5: who teaches whom; never student-student unless asked. By default the file is a pairing rule (a "
        "row per language: role, teaches, learns) that distill draws pairs of one instance from; with "
        "--materialize, every (id, student_lang, teacher_lang) pair as a row.",
        ("data", "languages"),
        pipeline=True,
        reads=("data", "languages"),
        run_out="pairs.parquet",
    ),
    Stage(
        "distill",
        DistillConfig,
        "alsace_cli.stages.distill:distill",
        "alsace_cli.cli.show:model",
        "Stage 6: minimise KL(P_teacher ‖ P_student) over the pairs; writes a model directory and its log.",
        ("model", "data"),
        pipeline=True,
        resume=True,
        reads=("model", "data", "pairs", "train", "predictions", "languages", "dev", "mask_pseudo_labels"),
        run_out="distilled",
    ),
    Stage(
        "eval",
        EvalConfig,
        "alsace_cli.stages.evaluate:evaluate",
        "alsace_cli.cli.show:metrics",
        "Stage 7: metrics.parquet (model, lang, n, accuracy, gap) and the gap report.",
        ("models", "data", "out"),  # --out: a default would write into whatever folder the shell is in
        pipeline=True,
        reads=("models", "data", "languages"),
        run_out="metrics.parquet",
    ),
    Stage(
        "self-train",
        SelfTrainConfig,
        "alsace_cli.stages.selftrain:self_train",
        "alsace_cli.cli.show:self_trained",
        "Baseline: fine-tune further on the model's own most confident predictions on the unlabeled corpus.",
        ("model", "predictions", "data"),
    ),
    Stage(
        "cross-sample",
        CrossSampleConfig,
        "alsace_cli.stages.cross_sample:cross_sample",
        "alsace_cli.cli.show:sampled",
        "QA: for each id, the source plus N drawn languages, and every question × context language pair.",
        ("data",),
    ),
    Stage(
        "run",
        RunConfig,
        "alsace_cli.stages.run:run_pipeline",
        "alsace_cli.cli.show:pipeline",
        "Run finetune → predict → vote → select → make-pairs → distill → eval; skip stages already up to date. "
        "A stage interrupted earlier (Ctrl-C, SIGTERM) resumes from its checkpoint.",
        overwrite=False,
        config_file=False,
        options=(
            "dir",
            "model",
            "revision",
            "trust_remote_code",
            "recipe",
            "device",
            "seed",
            "force",
            "print_config",
        ),
        pipeline_file=True,
    ),
    Stage(
        "translate",
        TranslateConfig,
        "alsace_cli.stages.translate:translate",
        "alsace_cli.cli.show:translated",
        "Machine-translate a dataset: English rows into --target-languages (a parallel corpus; translate-train), "
        "or with --reverse every language into English (translate-test); checks each output, chrF with --reference.",
        ("model", "data"),
        reads=("data", "model"),
    ),
    Stage(
        "tiny-model",
        TinyModelConfig,
        "alsace_cli.stages.tiny_model:tiny_model",
        "alsace_cli.cli.show:nothing",
        "Build a tiny random model locally (no download): BERT, a masked LM, or an MT model; for smoke runs and tests.",
        ("out", "data"),
        config_file=False,
    ),
    Stage(
        "verify",
        VerifyConfig,
        "alsace_cli.stages.verify:verify_run",
        "alsace_cli.cli.show:verdicts",
        "Recompute every input hash the artifacts' provenance records; exit 1 if any artifact is stale.",
        ("run_dir",),
        overwrite=False,
        config_file=False,
    ),
    Stage(
        "data import",
        ImportConfig,
        "alsace_cli.data.importer:import_data",
        "alsace_cli.cli.show:imported",
        "Convert XTREME TSV, CSV/TSV/JSONL/Parquet, SQuAD/MLQA/TyDiQA JSON files or a Hugging Face dataset "
        "(--hf) into one long-format dataset.",
        ("out",),
        config_file=False,
    ),
    Stage(
        "data info",
        InfoConfig,
        "alsace_cli.data.info:info",
        "alsace_cli.cli.show:info",
        "Languages, rows, label balance, and how many ids are present in every language.",
        ("path",),
        overwrite=False,
        config_file=False,
    ),
)

GROUPS = {"data": "Import datasets into alsace's Parquet format and inspect them."}
PIPELINE = tuple(stage.name for stage in STAGES if stage.pipeline)
# The sections a TOML file written by alsace may hold: a run file's, and each stage's saved config.
SECTIONS = frozenset({"run", *PIPELINE, *(stage.name for stage in STAGES if stage.config_file)})


def stage(name: str) -> Stage:
    return next(s for s in STAGES if s.name == name)


# The sections a run file may hold, each with its config: [run], each pipeline stage's, and [translate]
# (the stage that makes the corpus from source-language text, when the run file names an MT model).
RUN_SECTIONS: dict[str, type] = {
    "run": stage("run").config,
    **{s.name: s.config for s in STAGES if s.pipeline},
    "translate": stage("translate").config,
}
