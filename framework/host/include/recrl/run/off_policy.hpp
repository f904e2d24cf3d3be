#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <vector>

#include <Eigen/Core>

#include "recrl/core/algorithm.hpp"
#include "recrl/core/export.hpp"
#include "recrl/loader/registry.hpp"
#include "recrl/logs/log_reader.hpp"
#include "recrl/run/policy_file.hpp"
#include "recrl/run/recommend.hpp"
#include "recrl/stats/off_policy.hpp"

namespace recrl {

// A policy judged off-policy: a policy file, or its probabilities per log row (a CSV of
// p_0 .. p_{K-1}, from any tool).
struct OffPolicyTarget {
  enum class Kind { Policy, Probabilities };
  Kind kind = Kind::Policy;
  std::filesystem::path file;
  // A policy already in memory (recrl serve's models), read instead of `file`, which then only
  // names it.
  std::shared_ptr<const PolicyRecord> record = nullptr;
};

// `recrl ope`: target policies judged on a log (docs/logs.md, docs/ope.md).
struct OffPolicyRequest {
  std::filesystem::path log;
  logs::LogFormat log_format = logs::LogFormat::Recrl;
  std::vector<OffPolicyTarget> targets;  // each judged on the same log, reward model and resamples
  // Where to write the (single) target's probabilities per row (p_0 .. p_{K-1}), so that another
  // tool can judge the same target on the same log; an existing file only with `replace`.
  std::optional<std::filesystem::path> target_probs_out;
  bool replace = false;
  ActMode mode = ActMode::Greedy;  // which of the policy's modes is judged
  std::vector<stats::OpeEstimator> estimators;
  stats::OpeOptions options;
  int folds = 2;        // cross-fitting folds of the reward model
  double lambda = 1.0;  // its ridge regularisation
  std::uint64_t seed = 0;
  // Also compute the target's true value on the log's contexts from the truth file that
  // `recrl simulate` writes beside a log (LOG.truth.csv: each action's expected reward).
  bool validate = false;
};

struct OffPolicyReport {
  OffPolicyTarget target;
  std::vector<stats::OpeEstimate> estimates;
  stats::OpeDiagnostics diagnostics;
  // With validate: mean over rows of sum_a pi(a | x) q(x, a).
  std::optional<double> true_value;
};

// The reward model of DM and DR: a ridge regression of the reward on [context; 1] per action
// (toolkit::LinearArms), cross-fitted: rows are split into `folds` folds by index (row i in
// fold i mod folds), and each fold's predictions come from the model fitted on the others
// (folds = 1: fitted and predicted on all rows). Returns q^ [n_actions x rows].
RECRL_API Eigen::MatrixXd fit_reward_model(const logs::LogData& log, int n_actions, int folds,
                                           double lambda);

// The target policy's probabilities at the log's contexts [n_actions x rows]: the policy's
// features are found by name among the log's x.<feature> columns.
RECRL_API Eigen::MatrixXd policy_probabilities(const std::filesystem::path& policy,
                                               const plugin::PluginRegistry& registry,
                                               const logs::LogData& log, ActMode mode);
// The same for a policy already loaded (`name` in messages).
RECRL_API Eigen::MatrixXd policy_probabilities(Recommender& policy, const std::string& name,
                                               const logs::LogData& log, ActMode mode);

// One report per target, in order. The log is read once; the reward model is fitted once (per
// number of actions); every target's intervals come from the same resamples (the same seed).
RECRL_API std::vector<OffPolicyReport> evaluate_off_policy(const OffPolicyRequest& request,
                                                           const plugin::PluginRegistry& registry);

}  // namespace recrl
