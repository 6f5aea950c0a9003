#!/usr/bin/env bash
# A small real-model run on XNLI, on a CPU: multilingual-e5-small built offline by ../shared/tools,
# English training from 8,000 TaxiNLI pairs (1 epoch), 100 XNLI dev instances (labels dropped) as the unlabeled corpus,
# 200 XNLI test instances as the test set, all 15 languages. Prints the gap report.
# Not a quality benchmark (benchmarks/quality.py is): it shows the pipeline on a real model and real data.
# Usage: benchmarks/xnli_small.sh [RUN_DIR]     (about 30 minutes on 2 CPU cores)
set -euo pipefail
cd "$(dirname "$0")/.."
shared=../shared
data="$PWD/benchmarks/data/xnli_small"  # absolute: a run file's paths are read relative to its own folder
run_dir="$(realpath -m "${1:-benchmarks/runs/xnli_small}")"
langs=(ar bg de el en es fr hi ru sw th tr ur vi zh)
labels=entailment,neutral,contradiction
model=$("$shared/tools/build-me5-small" "${ME5_DIR:-$HOME/.cache/alsace-bench/me5-small}" 2>/dev/null)
mkdir -p "$data"
alsace data import "$shared/data/taxinli/taxinli10k.tsv" --lang en --text-a-column prem --labels $labels \
  --limit 8000 --out "$data/train_en.parquet"
alsace data import $(printf "$shared/data/xnli/dev-%s.tsv " "${langs[@]}") --labels $labels --drop-labels \
  --limit 100 --out "$data/unlabeled.parquet"
alsace data import $(printf "$shared/data/xnli/test-%s.tsv " "${langs[@]}") --labels $labels \
  --limit 200 --out "$data/test.parquet"
cat > "$data/run.toml" <<TOML
[run]
dir = "$run_dir"
model = "$model"
train = "$data/train_en.parquet"
unlabeled = "$data/unlabeled.parquet"
test = "$data/test.parquet"
seed = 42

[finetune]
learning_rate = 5e-5
epochs = 1
batch_size = 32
max_length = 80
freeze_embeddings = true

[predict]
max_length = 80

[distill]
learning_rate = 1e-6
max_steps = 100
pairs_per_batch = 16
max_length = 80

[eval]
max_length = 80
TOML
time alsace run --config "$data/run.toml"
