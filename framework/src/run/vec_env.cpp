#include "recrl/run/vec_env.hpp"

#include <cmath>

#include <fmt/format.h>

#include "recrl/core/errors.hpp"

namespace recrl {

VecEnv::VecEnv(std::vector<std::shared_ptr<Environment>> envs,
               std::vector<std::shared_ptr<RewardFunction>> rewards, std::string reward_name,
               std::uint64_t seed)
    : envs_(std::move(envs)),
      rewards_fn_(std::move(rewards)),
      reward_name_(std::move(reward_name)) {
  RECRL_ASSERT(!envs_.empty() && envs_.size() == rewards_fn_.size(),
               "a VecEnv needs one reward object per environment copy");
  const int n = size();
  const int dim = spec().observation.size;
  for (int i = 0; i < n; ++i) {
    env_rngs_.emplace_back(derive_seed(seed, Stream::TrainEnv, static_cast<std::uint64_t>(i)));
    reward_rngs_.emplace_back(
        derive_seed(seed, Stream::TrainReward, static_cast<std::uint64_t>(i)));
  }
  obs_ = Matrix::Zero(dim, n);
  final_obs_ = Matrix::Zero(dim, n);
  rewards_ = Vector::Zero(n);
  terminated_.assign(n, 0);
  truncated_.assign(n, 0);
  n_components_ = rewards_fn_.front()->components().size();
  parts_.assign(n_components_ * static_cast<std::size_t>(n), 0.0);
  episode_returns_.assign(n, 0.0);
  episode_lengths_.assign(n, 0);
  finished_returns_.reserve(n);
}

void VecEnv::reset() {
  for (int i = 0; i < size(); ++i) {
    envs_[i]->reset(env_rngs_[i], obs_.col(i));
    check_finite_observation(obs_.col(i), spec(), "environment '" + spec().name + "'", steps_);
    episode_returns_[i] = 0.0;
    episode_lengths_[i] = 0;
  }
  final_obs_ = obs_;
}

std::span<const double> VecEnv::components(int i) const {
  return {parts_.data() + n_components_ * static_cast<std::size_t>(i), n_components_};
}

void VecEnv::step(std::span<const int> actions) {
  RECRL_ASSERT(static_cast<int>(actions.size()) == size(), "one action per environment copy");
  finished_returns_.clear();
  for (int i = 0; i < size(); ++i) {
    const int action = actions[i];
    RECRL_ASSERT(action >= 0 && action < spec().action.size, "action out of range");
    ++episode_lengths_[i];
    const std::span<double> parts{parts_.data() + n_components_ * static_cast<std::size_t>(i),
                                  n_components_};
    const RewardedStep outcome = rewarded_step(
        *envs_[i], *rewards_fn_[i], env_rngs_[i], reward_rngs_[i], action, obs_.col(i),
        final_obs_.col(i), episode_lengths_[i], parts, reward_name_, "training", steps_ + i + 1);
    rewards_[i] = static_cast<Scalar>(outcome.reward);
    terminated_[i] = outcome.terminated ? 1 : 0;
    truncated_[i] = outcome.truncated ? 1 : 0;
    episode_returns_[i] += outcome.reward;

    if (outcome.terminated || outcome.truncated) {
      finished_returns_.push_back(episode_returns_[i]);
      episode_returns_[i] = 0.0;
      episode_lengths_[i] = 0;
      envs_[i]->reset(env_rngs_[i], obs_.col(i));
      if (!obs_.col(i).allFinite()) {
        check_finite_observation(obs_.col(i), spec(), "environment '" + spec().name + "'",
                                 steps_ + i + 1);
      }
    } else {
      obs_.col(i) = final_obs_.col(i);
    }
  }
  steps_ += size();
}

RewardedStep rewarded_step(Environment& env, RewardFunction& reward, Rng& env_rng, Rng& reward_rng,
                           int action, ConstVectorRef obs, VectorRef next_obs, int episode_length,
                           std::span<double> parts, const std::string& reward_name,
                           const char* phase, std::int64_t step) {
  const EnvSpec& spec = env.spec();
  const EnvStep moved = env.step(action, env_rng, next_obs);
  if (!next_obs.allFinite()) {
    check_finite_observation(next_obs, spec, fmt::format("environment '{}' ({})", spec.name, phase),
                             step);
  }
  const int max_steps = spec.max_episode_steps;
  RewardedStep out{
      0.0, moved.terminated,
      !moved.terminated && (moved.truncated || (max_steps > 0 && episode_length >= max_steps))};
  const Transition transition{obs, action, next_obs, moved.reward, out.terminated, out.truncated};
  out.reward = reward.compute(transition, reward_rng, parts);
  if (!std::isfinite(out.reward)) {
    throw NumericalError(fmt::format("reward '{}' returned {} at {} step {} (action {})",
                                     reward_name, out.reward, phase, step, action));
  }
  return out;
}

void check_finite_observation(ConstVectorRef obs, const EnvSpec& spec, const std::string& who,
                              std::int64_t step) {
  for (Eigen::Index f = 0; f < obs.size(); ++f) {
    if (std::isfinite(obs[f])) continue;
    const std::string feature = f < static_cast<Eigen::Index>(spec.observation.labels.size())
                                    ? spec.observation.labels[f]
                                    : "#" + std::to_string(f);
    throw NumericalError(
        fmt::format("{} produced a non-finite observation at environment step {}: "
                    "feature '{}' = {}",
                    who, step, feature, obs[f]));
  }
}

}  // namespace recrl
