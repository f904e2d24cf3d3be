#include "recrl/run/off_policy.hpp"

#include <fmt/format.h>

#include "recrl/core/errors.hpp"
#include "recrl/logs/log_writer.hpp"
#include "recrl/run/recommend.hpp"
#include "recrl/run/simulate.hpp"
#include "recrl/toolkit/linear_arms.hpp"

namespace recrl {

Eigen::MatrixXd fit_reward_model(const logs::LogData& log, int n_actions, int folds,
                                 double lambda) {
  RECRL_ASSERT(folds >= 1, "fit_reward_model: folds >= 1");
  const auto n = static_cast<Eigen::Index>(log.rows());
  Eigen::MatrixXd q_hat(n_actions, n);
  for (int fold = 0; fold < folds; ++fold) {
    toolkit::LinearArms arms(n_actions, log.contexts.rows(), lambda);
    for (Eigen::Index i = 0; i < n; ++i) {
      if (folds > 1 && i % folds == fold) continue;
      arms.set_context(log.contexts.col(i));
      arms.accumulate(log.action[static_cast<std::size_t>(i)],
                      log.reward[static_cast<std::size_t>(i)]);
    }
    arms.solve();
    for (Eigen::Index i = 0; i < n; ++i) {
      if (folds > 1 && i % folds != fold) continue;
      arms.set_context(log.contexts.col(i));
      for (int a = 0; a < n_actions; ++a) q_hat(a, i) = arms.mean(a);
    }
  }
  return q_hat;
}

Eigen::MatrixXd policy_probabilities(const std::filesystem::path& policy,
                                     const plugin::PluginRegistry& registry,
                                     const logs::LogData& log, ActMode mode) {
  Recommender target(policy, registry);
  return policy_probabilities(target, policy.string(), log, mode);
}

Eigen::MatrixXd policy_probabilities(Recommender& target, const std::string& name,
                                     const logs::LogData& log, ActMode mode) {
  const EnvSpec& spec = target.spec();
  // The policy's features, in its order, from the log's columns.
  std::vector<Eigen::Index> rows;
  for (const std::string& feature : spec.observation.labels) {
    const auto found = std::find(log.features.begin(), log.features.end(), feature);
    if (found == log.features.end()) {
      throw DataError({name, 0, 0},
                      fmt::format("the policy reads feature '{}', which the log has no x.{} "
                                  "column for (its features: {})",
                                  feature, feature, fmt::join(log.features, ", ")));
    }
    rows.push_back(found - log.features.begin());
  }
  const auto n = static_cast<Eigen::Index>(log.rows());
  Eigen::MatrixXd probs(spec.action.size, n);
  constexpr Eigen::Index kBatch = 1024;
  Matrix raw, seen, batch_probs;
  std::vector<std::uint8_t> allowed;
  for (Eigen::Index start = 0; start < n; start += kBatch) {
    const Eigen::Index count = std::min(kBatch, n - start);
    raw.resize(static_cast<Eigen::Index>(rows.size()), count);
    for (std::size_t f = 0; f < rows.size(); ++f) {
      raw.row(static_cast<Eigen::Index>(f)) = log.contexts.row(rows[f]).segment(start, count);
    }
    target.algorithm_view(raw, seen);
    // The target plays by its environment's rules on the logged customers (docs/masks.md).
    target.allowed_actions(raw, allowed);
    if (!target.algorithm().action_probabilities(ObsBatch{seen, raw, allowed}, mode, batch_probs)) {
      throw ConfigError(
          fmt::format("algorithm '{}' reports no action probabilities: it cannot "
                      "be judged off-policy by recrl (give --target-probs)",
                      target.record().algorithm.plugin));
    }
    probs.middleCols(start, count) = batch_probs.cast<double>();
  }
  return probs;
}

std::vector<OffPolicyReport> evaluate_off_policy(const OffPolicyRequest& request,
                                                 const plugin::PluginRegistry& registry) {
  RECRL_ASSERT(!request.targets.empty(), "evaluate_off_policy: no target");
  RECRL_ASSERT(!request.target_probs_out || request.targets.size() == 1,
               "evaluate_off_policy: --target-probs-out takes one target");
  if (request.target_probs_out) {
    logs::check_output_file(*request.target_probs_out, request.replace, "--target-probs-out");
  }
  const logs::LogData log = logs::read_log(request.log, request.log_format);
  bool model = false;
  for (const auto e : request.estimators) model = model || stats::needs_reward_model(e);
  // Fitted (and the truth read) once for the targets' number of actions.
  Eigen::MatrixXd q_hat, truth;
  std::vector<OffPolicyReport> reports;
  for (const OffPolicyTarget& t : request.targets) {
    Eigen::MatrixXd target;
    if (t.kind == OffPolicyTarget::Kind::Probabilities) {
      target = logs::read_target_probabilities(t.file, log.rows());
    } else if (t.record) {
      Recommender policy(*t.record, t.file.string(), registry);
      target = policy_probabilities(policy, t.file.string(), log, request.mode);
    } else {
      target = policy_probabilities(t.file, registry, log, request.mode);
    }
    const auto n_actions = static_cast<int>(target.rows());
    if (log.max_action >= n_actions) {
      throw DataError({request.log.string(), 0, 0},
                      fmt::format("the log has action {}, {} knows {} actions (0 to {})",
                                  log.max_action, t.file.string(), n_actions, n_actions - 1));
    }
    if (request.target_probs_out) {
      logs::write_target_probabilities(*request.target_probs_out, target);
    }
    if (model && q_hat.rows() != n_actions) {
      q_hat = fit_reward_model(log, n_actions, request.folds, request.lambda);
    }
    const stats::OpeData data{log.action, log.reward, log.propensity, &target,
                              model ? &q_hat : nullptr};
    Rng rng(derive_seed(request.seed, Stream::User, 0));
    OffPolicyReport report;
    report.target = t;
    report.estimates = stats::estimate(request.estimators, data, request.options, rng);
    report.diagnostics = stats::diagnose(data);
    if (request.validate) {
      if (truth.rows() != n_actions) {
        truth = logs::read_expected_rewards(truth_file_for(request.log), log.rows(), n_actions);
      }
      report.true_value = (target.array() * truth.array()).colwise().sum().mean();
    }
    reports.push_back(std::move(report));
  }
  return reports;
}

}  // namespace recrl
