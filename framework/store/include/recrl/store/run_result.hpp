#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "recrl/store/records.hpp"

namespace recrl {

// One trained (algorithm, seed) pair, evaluated on the held-out episodes.
struct RunResult {
  std::string run_id;   // stable: derived from the run's resolved configuration
  std::string variant;  // the sweep point ("" without a sweep)
  std::string label;    // the algorithm's label in the experiment
  std::string plugin;
  std::string plugin_version;
  std::uint64_t seed = 0;
  double eval_mean = 0;              // mean return over the held-out episodes
  double eval_std = 0;               // std of the return over those episodes
  std::optional<double> pct_oracle;  // 100 * eval_mean / oracle mean, where there is an oracle
  std::int64_t env_steps = 0;        // training environment steps
  double wall_s = 0;                 // the whole run: training and evaluations
  double train_s = 0;                // training only
  double steps_per_s = 0;            // env_steps / train_s
  // Where the time went: environment steps (with the normaliser), act(), observe()+update(),
  // evaluations. Their sum is a little less than wall_s (bookkeeping, files).
  double env_s = 0;
  double act_s = 0;
  double update_s = 0;
  double eval_s = 0;
  double update_flops = 0;       // sum of the updates' perf/update_flops metric; 0 if not reported
  std::filesystem::path policy;  // the saved policy file
  std::filesystem::path curve;   // the learning curve (CSV)
  std::vector<std::int64_t> action_counts;  // final evaluation: how often each action was chosen
  // Final evaluation: each reward component's mean per episode, in the reward's order (empty
  // for a reward without components).
  std::vector<store::RewardComponentMean> reward_components;
};

struct ExperimentResult {
  std::string experiment;
  std::filesystem::path output;
  std::string env;  // plugin names, for the table's caption
  std::string reward;
  std::int64_t eval_episodes = 0;
  std::uint64_t eval_seed = 0;
  std::optional<double> oracle_mean;  // the oracle's mean return on the held-out episodes
                                      // (of the first variant, where a sweep has several)
  std::vector<std::string> action_labels;
  std::vector<std::string> reward_components;  // the reward's component names, in its order
  std::vector<RunResult> runs;
};

}  // namespace recrl
