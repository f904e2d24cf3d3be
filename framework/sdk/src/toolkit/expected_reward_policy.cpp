#include "recrl/toolkit/expected_reward_policy.hpp"

#include <string>

#include "recrl/core/errors.hpp"
#include "recrl/toolkit/action_mask.hpp"
#include "recrl/toolkit/expected_reward.hpp"

namespace recrl::toolkit {

namespace {

const RewardFunction& reward_with_expected_values(const PluginContext& ctx,
                                                  const std::string& plugin) {
  if (ctx.env == nullptr || ctx.reward == nullptr)
    throw ConfigError(ctx.where, ctx.key_path, plugin + " needs the environment and the reward");
  if (ctx.env->action.kind != Space::Kind::Discrete)
    throw ConfigError(
        ctx.where, ctx.key_path,
        plugin + " needs discrete actions; environment '" + ctx.env->name + "' does not have them");
  const Vector probe = Vector::Zero(ctx.env->observation.size);
  if (!ctx.reward->expected(Transition{probe, 0, probe, 0.0, true, false}))
    throw ConfigError(ctx.where, ctx.key_path,
                      plugin + " needs a reward that gives its noiseless expected value");
  return *ctx.reward;
}

}  // namespace

ExpectedRewardPolicy::ExpectedRewardPolicy(const PluginContext& ctx, const std::string& plugin)
    : reward_(reward_with_expected_values(ctx, plugin)) {
  spec_ = *ctx.env;
}

int ExpectedRewardPolicy::best(const ObsBatch& obs, Eigen::Index j) const {
  return best_action(spec_, reward_, obs.raw.col(j),
                     AllowedActions{obs.allowed, spec_.action.size, j});
}

void ExpectedRewardPolicy::act(const ObsBatch& obs, ActMode, Rng&, std::span<int> actions) {
  for (Eigen::Index j = 0; j < obs.raw.cols(); ++j)
    actions[static_cast<std::size_t>(j)] = best(obs, j);
}

bool ExpectedRewardPolicy::action_probabilities(const ObsBatch& obs, ActMode, Matrix& probs) const {
  probs = Matrix::Zero(spec_.action.size, obs.raw.cols());
  for (Eigen::Index j = 0; j < obs.raw.cols(); ++j) probs(best(obs, j), j) = 1;
  return true;
}

bool ExpectedRewardPolicy::action_scores(const ObsBatch& obs, Matrix& scores) const {
  scores.resize(spec_.action.size, obs.raw.cols());
  for (Eigen::Index j = 0; j < obs.raw.cols(); ++j) {
    for (int a = 0; a < spec_.action.size; ++a) {
      const Transition t{obs.raw.col(j), a, obs.raw.col(j), 0.0, true, false};
      scores(a, j) = static_cast<Scalar>(reward_.expected(t).value_or(0.0));
    }
  }
  return true;
}

}  // namespace recrl::toolkit
