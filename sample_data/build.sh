#!/usr/bin/env bash
# Rebuilds the sample Parquet datasets from the hand-written TSV files in source/ with `alsace data import`.
# Topic classification (task `single`, labels sport, food, weather); row i of every language is the same item.
set -euo pipefail
cd "$(dirname "$0")"
labels=sport,food,weather
langs=(en de fr ru zh ar)
alsace data import source/train-en.tsv --task single --labels $labels --out train_en.parquet
alsace data import $(printf "source/unlabeled-%s.tsv " "${langs[@]}") --task single --labels $labels --out unlabeled.parquet
alsace data import $(printf "source/test-%s.tsv " "${langs[@]}") --task single --labels $labels --out test.parquet
