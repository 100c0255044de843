#!/usr/bin/env bash
# zaremba-small for one epoch on ptb-word, rnnlab and PyTorch from the same initial weights, several seeds.
#   bash benchmarks/one_epoch_vs_torch.sh DATA_DIR OUT_DIR [SEEDS...]
set -euo pipefail
data=$1; out=$2; shift 2
mkdir -p "$out"
for seed in "${@:-1 2 3}"; do
  rm -rf "$out/rnnlab-seed$seed"
  OPENBLAS_NUM_THREADS=1 rnnlab train --preset zaremba-small --data-dir "$data" --epochs 1 --seed "$seed" \
    --out "$out/rnnlab-seed$seed" --sample-length 0 --log-every 500
  OPENBLAS_NUM_THREADS=1 python benchmarks/torch_lm_reference.py --preset zaremba-small --epochs 1 --seed "$seed" \
    --data-dir "$data" --threads 1 --same-init --json-out "$out/torch-seed$seed.json"
done
