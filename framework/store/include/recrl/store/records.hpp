#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "recrl/core/export.hpp"

namespace recrl::store {

// Seconds since the Unix epoch (UTC), with sub-second precision. In SQL,
// datetime(started_at, 'unixepoch') shows it as text.
using Timestamp = double;

// pending: planned, not started · running: claimed by a process that heartbeats · finished:
// has its final metrics · failed: stopped with an error (redone by the next claim).
enum class RunStatus { pending, running, finished, failed };

RECRL_API std::string_view to_string(RunStatus status);

struct ExperimentRecord {
  std::string name;
  std::string file;           // the experiment file as the user named it
  std::string resolved_yaml;  // config.resolved.yaml's content
  Timestamp created_at = 0;   // set by the store
  Timestamp updated_at = 0;   // set by the store: the last record_experiment of this name
};

// An experiment with how many of its runs are in each status.
struct ExperimentSummary {
  ExperimentRecord experiment;
  int pending = 0;
  int running = 0;
  int finished = 0;
  int failed = 0;
};

// One point of a sweep: `assignments_json` maps each swept parameter path to its value, e.g.
// {"algorithms.0.params.learning_rate": 0.0003}; "{}" for an experiment without a sweep.
struct VariantRecord {
  std::string experiment;
  std::string label;
  std::string assignments_json = "{}";
};

// What the runner knows about a run before it starts. run_id is stable: derived by the runner
// from the resolved configuration, so the same run is recognised again tomorrow.
struct RunInfo {
  std::string run_id;
  std::string experiment;
  std::string variant;
  std::string algorithm;  // the algorithm's label in the experiment
  std::string plugin;
  std::string plugin_version;
  std::string env_plugin;
  std::string env_version;
  std::string reward_plugin;
  std::string reward_version;
  std::uint64_t seed = 0;
  std::string resolved_yaml;  // this run's configuration, resolved
};

struct RunRecord {
  RunInfo info;
  RunStatus status = RunStatus::pending;
  std::string host;           // of the process that claimed it last
  std::int64_t pid = 0;       // 0 when never claimed
  std::string recrl_version;  // of the process that claimed it last
  std::optional<Timestamp> started_at;
  std::optional<Timestamp> heartbeat_at;
  std::optional<Timestamp> finished_at;
  std::string error;  // why it failed; empty unless failed
  std::optional<std::filesystem::path> policy;
  std::optional<std::filesystem::path> checkpoint;
  int attempts = 0;  // how many times it was claimed
};

// One evaluation during training, as in curve.csv.
struct CurvePoint {
  std::int64_t env_steps = 0;
  double eval_mean = 0;
  double eval_std = 0;
  std::int64_t train_episodes = 0;          // training episodes ended since the last point
  std::optional<double> train_return_mean;  // their mean return; none when none ended
  double wall_s = 0;                        // since the run started
};

// Final metrics by name: eval_mean, eval_std, pct_oracle, env_steps, wall_s, train_s,
// steps_per_s (see metrics_of in run_metrics.hpp). Values are finite.
using Metrics = std::map<std::string, double>;

struct ActionCount {
  int action = 0;
  std::string label;  // e.g. "discount 15% email"; may be empty
  std::int64_t count = 0;
};

// The mean of one reward component per evaluation episode, e.g. {"targeting", 0.50}. An
// environment's counters are kept the same way, named env_counter_name(counter).
struct RewardComponentMean {
  std::string name;
  double mean = 0;
};

// "env.unsubscribes": how an environment counter is named beside the reward's components.
inline std::string env_counter_name(const std::string& counter) { return "env." + counter; }

// What a finished run leaves.
struct FinishedRun {
  Metrics metrics;
  std::filesystem::path policy;
  std::vector<ActionCount> action_counts;
  std::vector<RewardComponentMean> reward_components;  // in the reward's order
};

// Why claim_run decided as it did.
enum class ClaimReason {
  new_run,            // not in the store: run it
  planned,            // pending: run it
  retry_failed,       // failed before: run it again
  owner_died,         // running, but its process on this host is gone: take it over
  owner_silent,       // running, but its heartbeat is older than the stale limit: take it over
  already_finished,   // finished: skip it
  running_elsewhere,  // running in a live process with a fresh heartbeat: leave it
};

RECRL_API std::string_view to_string(ClaimReason reason);

struct Claim {
  bool run_it = false;
  ClaimReason reason = ClaimReason::new_run;
  // On a takeover or retry: the checkpoint the previous attempt left, to continue from.
  std::optional<std::filesystem::path> checkpoint;
  std::string previous_owner;  // "host:pid" of the previous attempt, if any
};

// One estimator's result in an off-policy evaluation.
struct OpeEstimateRecord {
  std::string estimator;  // ipw, snipw, dm, dr, sndr, switch-dr
  double value = 0;
  std::optional<double> ci_low, ci_high;  // none without bootstrap
};

// An off-policy evaluation of a target policy on a log, as `recrl ope --record` keeps it
// (docs/ope.md).
struct OpeRecord {
  // Derived from what was evaluated (experiment, label, target, log, settings): evaluating the
  // same again replaces the record instead of adding one.
  std::string evaluation_id;
  std::string experiment;             // shown with this experiment's results
  std::string label;                  // the target's name in tables
  std::string target;                 // the policy or target-probabilities file
  std::optional<std::string> run_id;  // when the target is a stored run's policy
  std::string log;                    // the log file
  std::string log_format;             // recrl, obd or vw
  std::int64_t rows = 0;
  std::string settings;  // "mode=greedy clip=inf bootstrap=1000 folds=2 seed=0"
  double confidence = 0.95;
  double effective_sample_size = 0, max_weight = 0, mean_weight = 0, zero_target_share = 0;
  std::optional<double> true_value;  // with --validate: from the simulator's truth
  Timestamp recorded_at = 0;         // set by the store
  std::vector<OpeEstimateRecord> estimates;
};

struct MergeSummary {
  int experiments_added = 0;
  int variants_added = 0;
  int runs_added = 0;     // finished runs new to this store
  int runs_replaced = 0;  // runs here that were unfinished (or finished earlier) and now are not
  int runs_kept = 0;      // finished runs both stores have, kept as they were here
  int evaluations_added = 0;  // off-policy evaluations new to this store or newer there
};

}  // namespace recrl::store
