#!/usr/bin/env bash
# Runs one fuzz target for a bounded time from a seed corpus made of the repository's own
# fixtures (and, for the policy, store and checkpoint targets, files recrl writes on the spot).
#
# usage: run_fuzz.sh FUZZER NAME SECONDS PROJECT_DIR RECRL
#   FUZZER  the fuzz_<NAME> executable;  NAME  experiment, users_csv, user_string, policy_file,
#   store_open, checkpoint, log or serve_request;  SECONDS  how long (RECRL_FUZZ_SECONDS in the environment wins);
#   PROJECT_DIR  the source tree;
#   RECRL  the recrl executable of the same build (writes the policy and store seeds).
# Exit status 0 when nothing was found. A finding leaves crash-*/leak-*/timeout-* files in the
# work folder, which is kept and printed.
set -euo pipefail
fuzzer=$1 name=$2 seconds=${RECRL_FUZZ_SECONDS:-$3} project=$4 recrl=$5

work=$(mktemp -d "${TMPDIR:-/tmp}/recrl-fuzz-$name.XXXXXX")
seeds=$work/seeds
mkdir -p "$seeds" "$work/corpus"

case "$name" in
  experiment)
    cp "$project"/tests/config/fixtures/*.yaml "$project"/experiments/*.yaml "$seeds/" ;;
  users_csv)
    cp "$project"/tests/env/fixtures/*.csv "$seeds/" ;;
  serve_request)
    # A rank, a batch and a reward body, each behind the byte that picks its parser.
    ctx='"context":{"recency":12,"frequency":3,"monetary_value":250,"engagement_score":0.7,"discount_sensitive":1,"free_shipping_preferred":0,"email_opens":0.87,"sms_response":0.1,"push_response":0.2,"last_purchase_days":30}'
    printf '\x00{"eventId":"e-1",%s,"excludedActions":[0,"[reminder, 0%%, push]"],"explain":true}' "$ctx" > "$seeds/rank"
    printf '\x01{"requests":[{%s},{"eventId":"b",%s}]}' "$ctx" "$ctx" > "$seeds/batch"
    printf '\x02{"components":{"click":1,"revenue":12.5}}' > "$seeds/reward" ;;
  user_string)
    printf '%s' "recency=15,frequency=3,monetary_value=200,engagement_score=0.78,discount_sensitive=1,free_shipping_preferred=0,email_opens=0.87,sms_response=0.12,push_response=0.05,last_purchase_days=8" > "$seeds/user"
    printf '%s' "recency=1,frequency=0x1p3" > "$seeds/hex" ;;
  policy_file|store_open)
    # A tiny run of each kind of policy: PPO, DQN, the oracle, two bandits.
    (cd "$work" && "$recrl" run "$project/experiments/seed.yaml" --quiet --db seed.db \
       --set seeds=[0] --set train.timesteps=256 --set eval.episodes=4 --set output=out \
       --set "algorithms=[{plugin: oracle}, {plugin: ppo, n_envs: 2, params: {n_steps: 64, batch_size: 32, n_epochs: 1}}, {plugin: dqn, params: {buffer_size: 500, learning_starts: 64}}, {plugin: squarecb}, {plugin: lin_ts}]" \
       > "$work/seed-run.log" 2>&1) || { cat "$work/seed-run.log" >&2; exit 1; }
    if [[ $name == policy_file ]]; then
      for f in "$work"/out/runs/*/policy.recrl; do cp "$f" "$seeds/$(basename "$(dirname "$f")").recrl"; done
    else
      cp "$work/seed.db" "$seeds/seed.db"
    fi ;;
  log)
    # A log of a tiny squarecb run's policy, as recrl simulate writes it, and its probabilities.
    (cd "$work" && "$recrl" run "$project/experiments/seed.yaml" --quiet --db log.db \
       --set seeds=[0] --set train.timesteps=256 --set eval.episodes=4 --set output=out \
       --set "algorithms=[{plugin: squarecb}]" > "$work/seed-run.log" 2>&1 \
     && "$recrl" simulate --policy out/runs/*/policy.recrl --episodes 20 --out "$seeds/log.csv" \
       >> "$work/seed-run.log" 2>&1) || { cat "$work/seed-run.log" >&2; exit 1; }
    printf 'p_0,p_1\n0.5,0.5\n1,0\n0.25,0.75\n' > "$seeds/probs.csv"
    # The other formats: an Open Bandit Dataset file's rows and a --cb_adf example.
    printf ',timestamp,item_id,position,click,propensity_score,user_feature_0,%s\n%s\n' \
      'user-item_affinity_0,user-item_affinity_1' '0,2019-11-24,1,2,0,0.5,81ce,0.5,1.5' \
      > "$seeds/obd.csv"
    printf 'shared |U user=Tom age:30\n|A a=1\n0:-1:0.5 |A a=2\n\n' > "$seeds/log.vw" ;;
  checkpoint)
    RECRL_FUZZ_SEED_OUT="$seeds/seed.ckpt" "$fuzzer" > "$work/seed.log" 2>&1 \
      || { cat "$work/seed.log" >&2; exit 1; } ;;
  *) echo "run_fuzz.sh: unknown target '$name'" >&2; exit 2 ;;
esac

# recrl refuses parameters that would make a plugin hold more than this (a replay buffer, a
# network), so that an input within it stays under libFuzzer's 2 GiB and its 10 s.
export RECRL_MEMORY_LIMIT=${RECRL_MEMORY_LIMIT:-256M}
status=0
(cd "$work" && "$fuzzer" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
   -print_final_stats=1 corpus seeds) > "$work/fuzz.log" 2>&1 || status=$?
tail -n 15 "$work/fuzz.log"
if [[ $status -ne 0 ]]; then
  echo "fuzz_$name: FOUND something (exit $status); inputs and log kept in $work" >&2
  exit 1
fi
rm -rf "$work"
