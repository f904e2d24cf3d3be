#include "recrl/run/vec_env.hpp"

#include <algorithm>
#include <cmath>
#include <istream>
#include <ostream>

#include <fmt/format.h>

#include "recrl/core/errors.hpp"
#include "recrl/toolkit/binary_io.hpp"

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
  if (envs_.front()->has_action_masks()) {
    const auto mask_size = static_cast<std::size_t>(spec().action.size) * n;
    allowed_.assign(mask_size, 1);
    final_allowed_.assign(mask_size, 1);
  }
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
  for (int i = 0; i < size(); ++i) update_masks(i, true);
}

namespace {

std::span<std::uint8_t> mask_column(std::vector<std::uint8_t>& mask, int n_actions, int i) {
  return {mask.data() + static_cast<std::size_t>(n_actions) * i,
          static_cast<std::size_t>(n_actions)};
}

}  // namespace

void VecEnv::update_masks(int i, bool reset) {
  if (allowed_.empty()) return;
  const int k = spec().action.size;
  if (reset) fill_allowed_actions(*envs_[i], obs_.col(i), mask_column(allowed_, k, i));
  fill_allowed_actions(*envs_[i], final_obs_.col(i), mask_column(final_allowed_, k, i));
  if (!reset) {
    const auto from = mask_column(final_allowed_, k, i);
    std::copy(from.begin(), from.end(), mask_column(allowed_, k, i).begin());
  }
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
    if (!allowed_.empty()) {
      check_allowed(spec(), mask_column(allowed_, spec().action.size, i), action, "training",
                    steps_ + i + 1);
    }
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
    update_masks(i, outcome.terminated || outcome.truncated);
  }
  steps_ += size();
}

namespace {
constexpr char kVecEnvTag[] = "recrl.vec_env.1";
}  // namespace

bool VecEnv::supports_checkpoints() const {
  for (const auto& env : envs_) {
    if (!env->supports_checkpoints()) return false;
  }
  return true;
}

void VecEnv::save_state(std::ostream& out) const {
  using toolkit::write_values;
  toolkit::write_tag(out, kVecEnvTag);
  toolkit::write_pod<std::int64_t>(out, size());
  toolkit::write_pod<std::int64_t>(out, steps_);
  for (int i = 0; i < size(); ++i) {
    env_rngs_[i].save(out);
    reward_rngs_[i].save(out);
    envs_[i]->save_state(out);
  }
  toolkit::write_array(out, obs_);
  toolkit::write_array(out, final_obs_);
  toolkit::write_array(out, rewards_);
  write_values(out, terminated_.data(), terminated_.size());
  write_values(out, truncated_.data(), truncated_.size());
  write_values(out, parts_.data(), parts_.size());
  write_values(out, episode_returns_.data(), episode_returns_.size());
  write_values(out, episode_lengths_.data(), episode_lengths_.size());
  write_values(out, finished_returns_.data(), finished_returns_.size());
}

void VecEnv::load_state(std::istream& in) {
  using toolkit::read_values;
  toolkit::expect_tag(in, kVecEnvTag);
  const auto copies = toolkit::read_pod<std::int64_t>(in, kVecEnvTag);
  if (copies != size()) {
    throw DataError(SourceLocation{}, fmt::format("{}: saved with {} environment copies, this run "
                                                  "has {}",
                                                  kVecEnvTag, copies, size()));
  }
  steps_ = toolkit::read_pod<std::int64_t>(in, kVecEnvTag);
  for (int i = 0; i < size(); ++i) {
    env_rngs_[i].load(in);
    reward_rngs_[i].load(in);
    envs_[i]->load_state(in);
  }
  toolkit::read_array(in, obs_, kVecEnvTag);
  toolkit::read_array(in, final_obs_, kVecEnvTag);
  toolkit::read_array(in, rewards_, kVecEnvTag);
  read_values(in, terminated_.data(), terminated_.size(), kVecEnvTag);
  read_values(in, truncated_.data(), truncated_.size(), kVecEnvTag);
  read_values(in, parts_.data(), parts_.size(), kVecEnvTag);
  read_values(in, episode_returns_.data(), episode_returns_.size(), kVecEnvTag);
  read_values(in, episode_lengths_.data(), episode_lengths_.size(), kVecEnvTag);
  const auto finished = toolkit::read_pod<std::uint64_t>(in, kVecEnvTag);
  if (finished > static_cast<std::uint64_t>(size())) {
    throw DataError(SourceLocation{}, std::string(kVecEnvTag) + ": damaged episode list");
  }
  for (int i = 0; i < size(); ++i) {
    update_masks(i, true);  // a mask is a function of the observation
  }
  finished_returns_.assign(finished, 0.0);
  in.read(reinterpret_cast<char*>(finished_returns_.data()),
          static_cast<std::streamsize>(sizeof(double) * finished));
  if (!in)
    throw DataError(SourceLocation{}, std::string(kVecEnvTag) + ": the saved state ends early");
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

void fill_allowed_actions(const Environment& env, ConstVectorRef obs,
                          std::span<std::uint8_t> allowed) {
  env.allowed_actions(obs, allowed);
  for (const std::uint8_t a : allowed) {
    if (a != 0) return;
  }
  throw PluginError(
      fmt::format("environment '{}' allowed no action for an observation: its "
                  "masks must leave at least one (docs/masks.md)",
                  env.spec().name));
}

void check_allowed(const EnvSpec& spec, std::span<const std::uint8_t> allowed, int action,
                   const char* phase, std::int64_t step) {
  if (allowed.empty() || allowed[static_cast<std::size_t>(action)] != 0) return;
  const std::string label = action < static_cast<int>(spec.action.labels.size())
                                ? spec.action.labels[static_cast<std::size_t>(action)]
                                : std::to_string(action);
  throw PluginError(
      fmt::format("the algorithm chose action {} {} at {} step {}, which "
                  "environment '{}' does not allow there (docs/masks.md)",
                  action, label, phase, step, spec.name));
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
