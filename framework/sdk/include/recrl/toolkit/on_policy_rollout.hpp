#pragma once

#include <cstdint>
#include <iosfwd>
#include <vector>

#include <Eigen/Core>

#include "recrl/core/algorithm.hpp"
#include "recrl/core/export.hpp"
#include "recrl/core/types.hpp"
#include "recrl/toolkit/actor_critic_policy.hpp"
#include "recrl/toolkit/rollout_buffer.hpp"

namespace recrl::toolkit {

// SB3's OnPolicyAlgorithm.collect_rollouts around a RolloutBuffer: each step is stored with the
// values and log-probabilities that act() computed, time-limit truncations are bootstrapped
// (reward += gamma V(final observation), SB3 issue #633; not episodes that terminated at the
// limit), episode starts are tracked, and a full rollout gets its GAE advantages with the
// value of the observation after its last step.
class RECRL_API OnPolicyRollout {
 public:
  OnPolicyRollout(Eigen::Index n_steps, Eigen::Index n_envs, Eigen::Index obs_dim, double gamma,
                  double gae_lambda);

  // Where act() writes log pi(action | obs) and V(obs) of the actions it sampled, [1 x n_envs].
  Matrix& pending_log_probs() { return pending_log_probs_; }
  Matrix& pending_values() { return pending_values_; }

  // Records the step that followed the last act(); true when the rollout is full and its
  // advantages and returns are computed (then update, and reset the buffer).
  bool add(const StepBatch& batch, ActorCriticPolicy& policy);

  RolloutBuffer& buffer() { return buffer_; }
  const RolloutBuffer& buffer() const { return buffer_; }

  // The buffer and what add() carries from one step to the next, for training checkpoints.
  void save_state(std::ostream& out) const;
  void load_state(std::istream& in);

 private:
  Eigen::Index n_envs_;
  RolloutBuffer buffer_;
  Matrix pending_log_probs_;                  // [1 x n_envs]
  Matrix pending_values_;                     // [1 x n_envs]
  std::vector<std::uint8_t> episode_starts_;  // [n_envs] SB3's _last_episode_starts
  std::vector<std::uint8_t> dones_;           // [n_envs] terminated or truncated, last step
  Matrix last_values_;                        // [1 x n_envs] V(next_obs) after a full rollout
};

// (A - mean) / (std + 1e-8) over the first n advantages of a [1 x B] row, with torch's unbiased
// std; one advantage is left as it is (SB3 skips normalising a minibatch of one, issue #325).
// (The row and a count rather than a Ref: Eigen sums a block of the row in packets, and a Ref
// element by element, in another order.)
RECRL_API void normalize_advantages(Matrix& advantages, Eigen::Index n);

// SB3's explained_variance(values, returns) over a full rollout: 1 - Var[returns - values] /
// Var[returns] (population variances, in double as numpy accumulates); NaN where Var[returns]
// is 0.
RECRL_API double explained_variance(const RolloutBuffer& buffer);

}  // namespace recrl::toolkit
