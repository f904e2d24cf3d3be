#!/usr/bin/env bash
# Load benchmark of recrl serve (bench/README.md): trains a PPO and a linucb policy on the seed
# environment, serves each on loopback and drives it with wrk (2 threads, 16 connections, 10 s)
# for rank, rank with an explanation, and reward; and for the floors: an HTTP responder that does
# nothing (recrl_null_responder), then recrl's GET /v1/health (no body, log or model), under the
# same load. Prints one table of throughput and latency.
#   bench/serve/serve_bench.sh [BUILD_DIR]     (installs Debian's wrk when it is missing)
# RECRL_BENCH_RUNS=N runs each load N times, a row each (this VM's speed swings by 20-30%).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
build=${1:-$here/../../build}
recrl=$build/bin/recrl
duration=${RECRL_BENCH_SECONDS:-10}
runs=${RECRL_BENCH_RUNS:-1}
port=${RECRL_BENCH_PORT:-18090}
if ! command -v wrk >/dev/null; then
  echo "serve_bench: installing wrk (Debian's package)" >&2
  sudo=()
  [ "$(id -u)" -ne 0 ] && sudo=(sudo)
  "${sudo[@]}" apt-get install -y -qq wrk >/dev/null ||
    { "${sudo[@]}" apt-get update -qq && "${sudo[@]}" apt-get install -y -qq wrk >/dev/null; } ||
    { echo "serve_bench: needs wrk (apt-get install wrk)" >&2; exit 2; }
fi
for program in "$recrl" "$build/bin/recrl_null_responder"; do
  [ -x "$program" ] || { echo "serve_bench: no $program: build first (cmake --build $build)" >&2; exit 2; }
done

work=$(mktemp -d)
server=""
cleanup() {
  [ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
cd "$work"
"$recrl" run "$here/policies.yaml" --db bench.db -q >/dev/null

context='"context":{"recency":12,"frequency":3,"monetary_value":250,"engagement_score":0.7,"discount_sensitive":1,"free_shipping_preferred":0,"email_opens":0.87,"sms_response":0.1,"push_response":0.2,"last_purchase_days":30}'

start_server() {  # POLICY DB (a new file each: removing a server's log of a few GB costs this
  # VM's disk tens of seconds of slow writes, as it gives their blocks back to the host)
  "$recrl" serve --policy "$1" --port "$port" --db "$2" --reward-window 3600 >server.log 2>&1 &
  server=$!
  for _ in $(seq 100); do
    curl -sf "http://127.0.0.1:$port/v1/health" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "serve_bench: the server did not start:" >&2
  cat server.log >&2
  exit 1
}

stop_server() {
  kill "$server"
  wait "$server" || true
  server=""
}

row() {  # NAME SCRIPT [ENV...]
  local name=$1 script=$2
  shift 2
  local out rps p50 p99 p999 errors
  for _ in $(seq "$runs"); do
    out=$(env "$@" wrk -t2 -c16 -d"${duration}s" -s "$here/$script" "http://127.0.0.1:$port" | tail -5)
    rps=$(awk '/^requests\/s/ {print $2}' <<<"$out")
    p50=$(awk '/^p50 / {print $2}' <<<"$out")
    p99=$(awk '/^p99 / {print $2}' <<<"$out")
    p999=$(awk '/^p99.9 / {print $2}' <<<"$out")
    errors=$(awk '/^errors/ {print $2 + $4}' <<<"$out")
    printf "| %s | %s | %s | %s | %s | %s |\n" "$name" "$rps" "$p50" "$p99" "$p999" "$errors"
  done
}

echo "| load (wrk -t2 -c16 -d${duration}s) | requests/s | p50 ms | p99 ms | p99.9 ms | errors |"
echo "|---|---:|---:|---:|---:|---:|"
"$build/bin/recrl_null_responder" "$port" &
server=$!
sleep 0.5
row "a responder that does nothing" health.lua
stop_server
for algorithm in ppo linucb; do
  start_server "results/runs/${algorithm}__s0/policy.recrl" "serve-$algorithm.db"
  if [ "$algorithm" = ppo ]; then row "recrl health" health.lua; fi
  row "$algorithm rank" rank.lua
  row "$algorithm rank + explain" rank.lua "RECRL_BENCH_BODY={$context,\"explain\":true}"
  # Rewards for decisions ranked beforehand (ids b-0 ..), one batch request at a time.
  for chunk in $(seq 0 19); do
    python3 - "$chunk" "$context" <<'PY' >batch.json
import sys
chunk, context = int(sys.argv[1]), sys.argv[2]
items = ",".join('{"eventId":"b-%d",%s}' % (chunk * 1000 + i, context) for i in range(1000))
print('{"requests":[%s]}' % items)
PY
    curl -sf -XPOST "http://127.0.0.1:$port/v1/rank:batch" -H 'Content-Type: application/json' \
      --data-binary @batch.json >/dev/null
  done
  row "$algorithm reward" reward.lua RECRL_BENCH_EVENTS=20000
  stop_server
  # The server removed its WAL (a GiB) as it stopped: let the disk settle before the next rows.
  if [ "$algorithm" = ppo ]; then sleep 40; fi
done
