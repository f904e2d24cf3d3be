#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "recrl/core/export.hpp"
#include "recrl/stats/bootstrap.hpp"
#include "recrl/stats/comparison.hpp"
#include "recrl/store/result_store.hpp"

namespace recrl::store {

// A final metric `recrl compare` can compare runs by.
struct ComparedMetric {
  std::string name;         // as stored and as given to --metric: "eval_mean"
  std::string description;  // for the table's heading
  int decimals = 4;         // digits a table shows of it
};

// eval_mean, pct_oracle, steps_per_s, wall_s, env_steps.
RECRL_API std::span<const ComparedMetric> compared_metrics();
// The prefix of a reward component as a metric: "reward/targeting".
inline constexpr std::string_view kRewardComponentPrefix = "reward/";
// The prefix of an environment counter as a metric: "env/unsubscribes".
inline constexpr std::string_view kEnvCounterPrefix = "env/";
// The metric named `name`: one of compared_metrics(), reward/<component> or env/<counter> (its
// mean per evaluation episode). Throws ConfigError naming the accepted names when there is none.
RECRL_API ComparedMetric compared_metric(std::string_view name);

// The fixed seed of every bootstrap in a comparison table, so that the same store gives the
// same table, intervals included, every time.
inline constexpr std::uint64_t kComparisonBootstrapSeed = 20211129;

struct ComparisonOptions {
  std::string metric = "eval_mean";
  stats::BootstrapOptions bootstrap;  // confidence and resamples of every interval and verdict
  std::uint64_t bootstrap_seed = kComparisonBootstrapSeed;
};

// One (experiment, variant, algorithm label) over its finished runs that have the metric.
struct ComparisonRow {
  std::string experiment;
  std::string variant;    // empty outside a sweep
  std::string algorithm;  // the label in the experiment
  std::string plugin;
  std::vector<double> values;  // one per run (seed), in seed order
  double mean = 0;
  std::optional<double> std;  // sample std; none for one run
  double median = 0;
  stats::ConfidenceInterval mean_interval;  // the mean with its stratified bootstrap interval
  stats::ConfidenceInterval iqm;            // the IQM with its stratified bootstrap interval
  // Each reward component's mean per evaluation episode, averaged over the row's finished
  // runs that have it, in the reward's order.
  std::vector<RewardComponentMean> components;
};

// Two rows that differ in exactly one of experiment, variant and algorithm, compared by the
// probability that a run of one beats a run of the other (docs/statistics.md).
struct RECRL_API ComparisonPair {
  std::size_t first = 0;  // row indices
  std::size_t second = 0;
  std::string context;  // what the two rows share, e.g. "seed [channel=0.2]"; may be empty
  stats::Comparison comparison;

  // "seed: ppo ~ a2c: not distinguishable at 95% (P = 0.55 [0.30, 0.80])".
  std::string str() const;
};

// An off-policy evaluation shown with the comparison (`recrl ope --record` or `--run`): its
// estimates, beside the simulated final eval_mean of the run it judged, where it judged one.
struct OffPolicyRow {
  OpeRecord evaluation;
  std::optional<double> simulated;
};

struct ComparisonTable {
  ComparedMetric metric;
  ComparisonOptions options;
  std::vector<ComparisonRow> rows;
  std::vector<ComparisonPair> pairs;
  // Groups of finished runs left out because none of their runs has the metric (pct_oracle
  // where the environment has no oracle), one line each.
  std::vector<std::string> omitted;
  // The compared experiments' off-policy evaluations, by experiment, label and time.
  std::vector<OffPolicyRow> off_policy;
};

// The comparison of the finished runs of `experiments` (every experiment in the store when
// empty), one row per (experiment, variant, algorithm) in the order the experiments are given
// and, within one, by variant and algorithm. Pairs: every two rows of one experiment and
// variant; the same algorithm in two variants of one experiment; the same algorithm and
// variant in two experiments. An experiment that only has off-policy evaluations (recorded under
// a name of the user's) is compared too. Throws ConfigError naming the store's experiments for
// an unknown experiment, and for an unknown metric or a bad confidence.
RECRL_API ComparisonTable build_comparison(const ResultStore& store,
                                           const std::vector<std::string>& experiments,
                                           const ComparisonOptions& options = {});

}  // namespace recrl::store
