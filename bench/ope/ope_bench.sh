#!/usr/bin/env bash
# recrl ope on a 1,000,000-row log: all six estimators, the cross-fitted reward model and 1,000
# bootstrap resamples, on one thread and on every core; and, where Open Bandit Pipeline is
# installed (pip install obp==0.5.5), OBP on the same log and target (obp_ope.py).
#
#   bench/ope/ope_bench.sh [BUILD_DIR] [WORK_DIR]
#
# The log: a uniform random logger on the seed environment (recrl simulate, seed 7). The target:
# linucb fitted from another 100,000-row log of the same logger (recrl fit), judged greedy; its
# probabilities per row are written for OBP (--target-probs-out). Figures: bench/README.md.
set -euo pipefail
project="$(cd "$(dirname "$0")/../.." && pwd)"
build="$(cd "${1:-$project/build}" && pwd)"
work="${2:-$(mktemp -d)}"
recrl="$build/bin/recrl"
mkdir -p "$work"
cd "$work"

if [ ! -f big.csv ]; then
  "$recrl" run "$project/experiments/seed.yaml" --quiet --db logger.db --set seeds=[0] \
    --set train.timesteps=100 --set eval.episodes=10 --set output=logger \
    --set "algorithms=[{plugin: random}]" > /dev/null
  logger="$(ls logger/runs/*/policy.recrl)"
  "$recrl" simulate --policy "$logger" --episodes 1000000 --out big.csv --seed 7
  "$recrl" simulate --policy "$logger" --episodes 100000 --out train.csv --seed 8
  "$recrl" fit --log train.csv --algorithm linucb --out target.recrl
fi

# Wall seconds of a command (bash's own timer: no package needed).
seconds() {
  local TIMEFORMAT=%R
  { time "$@" > /dev/null 2>&1; } 2>&1
}
echo "recrl ope, 1,000,000 rows, six estimators, reward model, 1,000 resamples:"
for threads in 1 2; do
  for run in 1 2 3; do
    echo "  --threads $threads, run $run: $(seconds "$recrl" ope --log big.csv --policy target.recrl \
      --bootstrap 1000 --threads "$threads" --target-probs-out target_probs.csv --force) s"
  done
done
"$recrl" ope --log big.csv --policy target.recrl --bootstrap 1000 --validate

if python3 -c "import obp" 2> /dev/null; then
  echo "Open Bandit Pipeline $(python3 -c 'import obp; print(obp.__version__)') on the same log and target:"
  OMP_NUM_THREADS=1 python3 "$project/bench/ope/obp_ope.py" big.csv target_probs.csv
else
  echo "(Open Bandit Pipeline is not installed here: pip install obp==0.5.5 to time it beside)"
fi
