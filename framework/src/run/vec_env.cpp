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
  const int max_steps = spec().max_episode_steps;
  for (int i = 0; i < size(); ++i) {
    const int action = actions[i];
    RECRL_ASSERT(action >= 0 && action < spec().action.size, "action out of range");
    const EnvStep outcome = envs_[i]->step(action, env_rngs_[i], final_obs_.col(i));
    if (!final_obs_.col(i).allFinite()) {
      check_finite_observation(final_obs_.col(i), spec(), "environment '" + spec().name + "'",
                               steps_ + i + 1);
    }
    ++episode_lengths_[i];
    const bool terminated = outcome.terminated;
    const bool truncated =
        !terminated && (outcome.truncated || (max_steps > 0 && episode_lengths_[i] >= max_steps));

    const Transition transition{obs_.col(i),    action,     final_obs_.col(i),
                                outcome.reward, terminated, truncated};
    const std::span<double> parts{parts_.data() + n_components_ * static_cast<std::size_t>(i),
                                  n_components_};
    const double reward = rewards_fn_[i]->compute(transition, reward_rngs_[i], parts);
    if (!std::isfinite(reward)) {
      throw NumericalError(
          fmt::format("reward '{}' returned {} at environment step {} (copy {}, action {})",
                      reward_name_, reward, steps_ + i + 1, i, action));
    }
    rewards_[i] = static_cast<Scalar>(reward);
    terminated_[i] = terminated ? 1 : 0;
    truncated_[i] = truncated ? 1 : 0;
    episode_returns_[i] += reward;

    if (terminated || truncated) {
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
