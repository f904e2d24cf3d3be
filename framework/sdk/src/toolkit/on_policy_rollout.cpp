#include "recrl/toolkit/on_policy_rollout.hpp"

#include <cmath>
#include <istream>
#include <ostream>

#include "recrl/core/errors.hpp"
#include "recrl/toolkit/binary_io.hpp"

namespace recrl::toolkit {

namespace {

constexpr char kStateTag[] = "recrl.on_policy_rollout.1";

}  // namespace

OnPolicyRollout::OnPolicyRollout(Eigen::Index n_steps, Eigen::Index n_envs, Eigen::Index obs_dim,
                                 double gamma, double gae_lambda)
    : n_envs_(n_envs),
      buffer_(n_steps, n_envs, obs_dim, gamma, gae_lambda),
      pending_log_probs_(1, n_envs),
      pending_values_(1, n_envs),
      episode_starts_(static_cast<std::size_t>(n_envs), 1),  // SB3: np.ones at the start
      dones_(static_cast<std::size_t>(n_envs), 0),
      last_values_(1, n_envs) {}

bool OnPolicyRollout::add(const StepBatch& batch, ActorCriticPolicy& policy) {
  RECRL_ASSERT(batch.obs.cols() == n_envs_, "an on-policy step covers every environment copy");
  buffer_.add(batch.obs, batch.actions, batch.rewards, episode_starts_, pending_values_,
              pending_log_probs_, batch.allowed);
  bool any_truncated = false;
  for (Eigen::Index e = 0; e < n_envs_; ++e)
    any_truncated |= batch.truncated[e] && !batch.terminated[e];
  if (any_truncated) {
    const auto terminal_values = policy.values(batch.final_obs);
    for (Eigen::Index e = 0; e < n_envs_; ++e) {
      if (batch.truncated[e] && !batch.terminated[e])
        buffer_.add_truncation_bootstrap(e, terminal_values(0, e));
    }
  }
  for (std::size_t e = 0; e < dones_.size(); ++e) {
    dones_[e] = (batch.terminated[e] != 0 || batch.truncated[e] != 0) ? 1 : 0;
    episode_starts_[e] = dones_[e];
  }
  if (!buffer_.full()) return false;
  last_values_ = policy.values(batch.next_obs);
  buffer_.compute_returns_and_advantage(last_values_, dones_);
  return true;
}

void OnPolicyRollout::save_state(std::ostream& out) const {
  write_tag(out, kStateTag);
  buffer_.save_state(out);
  // What add() reads from the act() before it: saved so that a checkpoint taken between an act()
  // and its add() would still be whole (the runner takes them after observe()).
  write_array(out, pending_values_);
  write_array(out, pending_log_probs_);
  write_values(out, episode_starts_.data(), episode_starts_.size());
  write_values(out, dones_.data(), dones_.size());
  write_array(out, last_values_);
}

void OnPolicyRollout::load_state(std::istream& in) {
  expect_tag(in, kStateTag);
  buffer_.load_state(in);
  read_array(in, pending_values_, kStateTag);
  read_array(in, pending_log_probs_, kStateTag);
  read_values(in, episode_starts_.data(), episode_starts_.size(), kStateTag);
  read_values(in, dones_.data(), dones_.size(), kStateTag);
  read_array(in, last_values_, kStateTag);
}

void normalize_advantages(Matrix& advantages, Eigen::Index n) {
  if (n < 2) return;
  auto adv = advantages.leftCols(n);
  const float mean = adv.mean();
  const float var = (adv.array() - mean).square().sum() / static_cast<float>(n - 1);
  adv.array() = (adv.array() - mean) / (std::sqrt(var) + 1e-8f);
}

double explained_variance(const RolloutBuffer& buffer) {
  const auto returns = buffer.returns().array().cast<double>();
  const auto residual = (buffer.returns() - buffer.values()).array().cast<double>();
  const double var_returns = (returns - returns.mean()).square().mean();
  const double var_residual = (residual - residual.mean()).square().mean();
  return var_returns == 0.0 ? std::nan("") : 1.0 - var_residual / var_returns;
}

}  // namespace recrl::toolkit
