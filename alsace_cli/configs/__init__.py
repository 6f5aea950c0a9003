"""Every stage's typed config: the one place where each setting's default, help line and valid range live,
and how a config is resolved (defaults < a TOML file's section < flags), checked and saved.

The CLI's options, their `--help`, the TOML config sections and the checks on values all read these
dataclasses, so a default is never written twice. Stdlib only (and tomli-w): `alsace --help` imports this
without pulling in pandas or torch.
"""

from alsace_cli.configs.fields import DEVICES_HELP, PRECISION_HELP, PRECISIONS, REQUIRED, setting
from alsace_cli.configs.resolve import (
    check_value,
    config_path_for,
    flag_name,
    load_toml,
    resolve,
    to_toml_dict,
)
from alsace_cli.configs.stages import (
    SELECT_STRATEGIES,
    CrossSampleConfig,
    EvalConfig,
    ImportConfig,
    PairsConfig,
    PredictConfig,
    QADecoding,
    RunConfig,
    SelectConfig,
    VoteConfig,
)
from alsace_cli.configs.training import (
    DISTILL_TEACHERS,
    KL_WEIGHTS,
    SELF_TRAIN_LANGUAGES,
    DistillConfig,
    FinetuneConfig,
    SelfTrainConfig,
    parse_kl_weight,
)

__all__ = [
    "DEVICES_HELP",
    "DISTILL_TEACHERS",
    "KL_WEIGHTS",
    "PRECISIONS",
    "PRECISION_HELP",
    "REQUIRED",
    "SELECT_STRATEGIES",
    "SELF_TRAIN_LANGUAGES",
    "CrossSampleConfig",
    "DistillConfig",
    "EvalConfig",
    "FinetuneConfig",
    "ImportConfig",
    "PairsConfig",
    "PredictConfig",
    "QADecoding",
    "RunConfig",
    "SelectConfig",
    "SelfTrainConfig",
    "VoteConfig",
    "check_value",
    "config_path_for",
    "flag_name",
    "load_toml",
    "parse_kl_weight",
    "resolve",
    "setting",
    "to_toml_dict",
]
