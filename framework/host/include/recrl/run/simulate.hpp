#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>

#include "recrl/core/export.hpp"
#include "recrl/run/recommend.hpp"

namespace recrl {

struct SimulateOptions {
  std::int64_t episodes = 0;
  std::uint64_t seed = 0;
  std::filesystem::path out;  // the log (docs/logs.md)
  bool replace = false;       // --force: replace an existing log (and truth file)
};

struct SimulateSummary {
  std::int64_t rows = 0;
  double mean_reward = 0;  // of the logged rewards
  // Where the environment is a contextual bandit and the reward has an expected value: the
  // truth file (decision_id, q_0..q_{K-1}: each action's expected reward in that context) and
  // the logging policy's true value, the mean over rows of sum_a p(a | x) q(x, a).
  std::optional<std::filesystem::path> truth_file;
  std::optional<double> policy_value;
};

// The truth file beside a log: LOG.csv -> LOG.truth.csv.
RECRL_API std::filesystem::path truth_file_for(const std::filesystem::path& log);

// Runs `episodes` episodes of the policy on its own environment and reward, acting as it does
// while training (Explore mode, its action probabilities as propensities), and writes one log
// row per decision. Random streams: the environment, reward and algorithm streams of a
// training run of seed `seed` on one environment copy, so the same seed gives the same log.
RECRL_API SimulateSummary simulate(Recommender& policy, const SimulateOptions& options);

}  // namespace recrl
