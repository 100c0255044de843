#!/usr/bin/env bash
# The fair comparisons of README "Recurrent against convolutional, attention and feed-forward models":
# every family at about the same non-embedding parameters, the same seconds per run, two seeds, one BLAS
# thread per run. Usage: benchmarks/compare.sh copy|adding|ptb-char|japanese-vowels|sentiment|co2|sunspots|elnino (run two at
# once on two cores; the named data in $RNNLAB_DATA).
# Writes benchmarks/results/compare/<name>.{md,json,png}; the runs go to a temporary folder.
set -euo pipefail
cd "$(dirname "$0")/.."
export OPENBLAS_NUM_THREADS=1
name=$1
runs=$(mktemp -d)/$name
case $name in
    copy) flags=(--task copy --seq-len 100 --params 20000 --budget 120) ;;
    adding) flags=(--task adding --seq-len 200 --params 20000 --budget 120) ;;
    ptb-char) flags=(--data ptb-char --seq-len 128 --params 200000 --budget 240 --eval-every 500) ;;
    japanese-vowels) flags=(--task classify --data japanese-vowels --params 30000 --budget 30 --eval-every 20) ;;
    sentiment) flags=(--task classify --data sentiment --min-count 2 --params 100000 --budget 60 --eval-every 100) ;;
    # forecasting: each series' transform as benchmarks/forecast.py chose it for the LSTM on validation MASE
    co2) flags=(--task forecast --data co2 --log --window-norm last --params 5000 --budget 30 --eval-every 50) ;;
    sunspots) flags=(--task forecast --data sunspots --diff 1 --params 5000 --budget 30 --eval-every 50) ;;
    elnino) flags=(--task forecast --data elnino --params 5000 --budget 30 --eval-every 50) ;;
    *) echo "usage: $0 copy|adding|ptb-char|japanese-vowels|sentiment|co2|sunspots|elnino" >&2; exit 2 ;;
esac
out=benchmarks/results/compare/$name
rnnlab compare "${flags[@]}" --seeds 2 --out "$runs" --plot "$out.png" | tee "$out.md"
cp "$runs/results.json" "$out.json"
