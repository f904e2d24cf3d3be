#!/usr/bin/env bash
# The wall time of an experiment's runs over 1, 2 and 4 MPI ranks (recrl run --mpi, one run at a
# time per rank), its speedup and parallel efficiency T1 / (N * TN). Each count runs REPEAT
# times (default 3) and the median counts: a shared VM's speed drifts by a fifth between runs.
# bench/README.md has the figures of this machine.
#   bench/cluster/scaling.sh [EXPERIMENT.yaml] [RANKS...]   (default: experiments/seed.yaml 1 2 4)
# Ranks beyond the cores are oversubscribed: they share the cores, so their efficiency is at
# most cores / N.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
recrl=${RECRL:-$root/build/bin/recrl}
experiment=$(realpath "${1:-$root/experiments/seed.yaml}")
shift || true
ranks=("$@")
[ ${#ranks[@]} -eq 0 ] && ranks=(1 2 4)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
# Open MPI refuses root unless told (CI and this VM run as root). On one machine the ranks
# speak through shared memory: naming that transport spares MPI_Init the probing of the network
# ones (UCX), a quarter of a second per start on this VM. Set OMPI_MCA_* to choose otherwise.
# --bind-to none: pinned to one core (Open MPI's default for 2 ranks or fewer), a lone rank ran
# a fifth slower on this shared VM; unpinned, the kernel places each rank's threads.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_pml=${OMPI_MCA_pml:-ob1} OMPI_MCA_btl=${OMPI_MCA_btl:-self,vader}

echo "experiment: $experiment ($("$recrl" validate "$experiment" | sed 's/.*(//; s/)//'))"
echo "cores: $(nproc)"
echo
echo "| ranks | wall time, median (every run) in s | speedup | parallel efficiency |"
echo "|---:|---:|---:|---:|"
repeat=${REPEAT:-3}
t1=""
for n in "${ranks[@]}"; do
  times=()
  for ((i = 0; i < repeat; i++)); do
    rm -f "ranks-$n.db"*
    start=$(date +%s.%N)
    mpirun --oversubscribe --bind-to none -n "$n" "$recrl" run "$experiment" --mpi --db "ranks-$n.db" -q > /dev/null
    end=$(date +%s.%N)
    times+=("$(awk -v s="$start" -v e="$end" 'BEGIN { print e - s }')")
  done
  t=$(printf "%s\n" "${times[@]}" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
  # The first count is the reference: its rank-seconds are the work.
  [ -z "$t1" ] && t1=$(awk -v t="$t" -v n="$n" 'BEGIN { print t * n }')
  awk -v t="$t" -v n="$n" -v w="$t1" -v all="${times[*]}" \
    'BEGIN { printf "| %d | %.1f (%s) | %.2f | %.0f%% |\n", n, t, all, w / t, 100 * w / (n * t) }'
done
