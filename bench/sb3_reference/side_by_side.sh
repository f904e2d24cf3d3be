#!/bin/bash
# Side-by-side speed of recrl and the PyTorch references of Stable-Baselines3 (this folder), on
# one core: for each algorithm, `recrl bench --only ALGO`, then the reference, then recrl
# again; the ratio is recrl's mean of the two over the reference. A shared machine's speed
# drifts, so each reference run is bracketed by recrl's and the rounds are repeated.
#   usage: bench/sb3_reference/side_by_side.sh [ROUNDS [CORE [ALGO...]]]   (default 3, 1, ppo a2c dqn)
# Needs a build (build/bin/recrl) and Debian's python3-torch and python3-numpy.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
rounds=${1:-3}
core=${2:-1}
shift $(( $# < 2 ? $# : 2 ))
algos=${*:-ppo a2c dqn}
recrl=${RECRL:-$root/build/bin/recrl}
python=/usr/bin/python3

# Both sides do the same work: SB3's learn(100_000) completes its last rollout, 7 x 2048 x 8
# steps for PPO, so recrl trains as many; A2C's rollouts (5 x 8) and DQN's steps divide 100,000.
timesteps() { [ "$1" = ppo ] && echo 114688 || echo 100000; }

recrl_speed() {  # steps/s of recrl bench's row for $1
  taskset -c "$core" "$recrl" bench --only "$1" --timesteps "$(timesteps "$1")" -q |
    awk -F'|' -v a="$1" '$2 == " " a " " { gsub(/ /, "", $4); print $4 }'
}

reference_speed() {  # steps/s the PyTorch reference prints for $1
  local script=(on_policy_torch.py --algo "$1" --n-envs 8)
  [ "$1" = dqn ] && script=(dqn_torch.py --eval-every 0)
  taskset -c "$core" "$python" "$here/${script[0]}" "${script[@]:1}" --vecnorm \
    --total-timesteps "$(timesteps "$1")" --eval-episodes 1000 |
    grep -o '[0-9,]* steps/s' | tail -n 1 | tr -d ', steps/'
}

printf '| round | algorithm | recrl before | reference | recrl after | ratio |\n|---|---|---:|---:|---:|---:|\n'
results=$(mktemp)
trap 'rm -f "$results"' EXIT
for round in $(seq "$rounds"); do
  for algo in $algos; do
    before=$(recrl_speed "$algo")
    reference=$(reference_speed "$algo")
    after=$(recrl_speed "$algo")
    ratio=$(awk -v b="$before" -v r="$reference" -v a="$after" 'BEGIN { printf "%.1f", (b + a) / 2 / r }')
    printf '| %s | %s | %s | %s | %s | %s |\n' "$round" "$algo" "$before" "$reference" "$after" "$ratio"
    echo "$algo $ratio" >>"$results"
  done
done
echo
for algo in $algos; do
  awk -v a="$algo" '$1 == a { print $2 }' "$results" | sort -n | awk -v a="$algo" '
    { r[++n] = $1 }
    END { m = n % 2 ? r[(n + 1) / 2] : (r[n / 2] + r[n / 2 + 1]) / 2
          printf "%s: median ratio %.1f over %d rounds (%.1f - %.1f)\n", a, m, n, r[1], r[n] }'
done
