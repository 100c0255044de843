#!/bin/bash
# What `rnnlab forecast --data NAME` gives with no other flags (the network's transform chosen on
# validation, seed 1), on each named series: bash benchmarks/forecast_defaults.sh [NAME...]
# Writes benchmarks/results/forecast/defaults/NAME.json (the --json table) and NAME-transforms.json;
# with ENSEMBLE=K set, `--ensemble K` too, into results/forecast/defaults-ensemble-K/.
# m1-yearly needs `rnnlab data download m1-yearly` (or RNNLAB_DATA pointing at a folder holding m1/).
set -euo pipefail
results="$(dirname "$0")/results/forecast/defaults${ENSEMBLE:+-ensemble-$ENSEMBLE}"
runs="$(mktemp -d)"
mkdir -p "$results"
export OPENBLAS_NUM_THREADS=1
names=("$@")
[ ${#names[@]} -eq 0 ] && names=(sunspots nile co2 elnino gdp m1-yearly)
for n in "${names[@]}"; do
  start=$(date +%s)
  rnnlab forecast --data "$n" ${ENSEMBLE:+--ensemble $ENSEMBLE} --out "$runs/$n" --json > "$results/$n.json" 2> "$runs/$n.log"
  cp "$runs/$n/transforms.json" "$results/$n-transforms.json"
  echo "$n: $(( $(date +%s) - start )) s, transform $(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['chosen'])" "$results/$n-transforms.json")"
done
rm -rf "$runs"
