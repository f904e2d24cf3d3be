#pragma once

#include <cstdint>
#include <iosfwd>
#include <span>
#include <vector>

#include <Eigen/Core>

#include "recrl/core/algorithm.hpp"
#include "recrl/core/export.hpp"
#include "recrl/core/random.hpp"
#include "recrl/core/types.hpp"

namespace recrl::toolkit {

// A minibatch gathered from a RolloutBuffer into preallocated storage. The first `size`
// columns are valid (the last minibatch of an epoch may be shorter); per-sample scalars are
// [1 x B] rows, a column is a sample. Use .leftCols(size).
struct RECRL_API RolloutMinibatch {
  Matrix obs;                         // [obs_dim x B]
  std::vector<int> actions;           // [B]
  Matrix old_values;                  // [1 x B] value estimates when the step was taken
  Matrix old_log_probs;               // [1 x B] log pi(action) when the step was taken
  Matrix advantages;                  // [1 x B] GAE advantages (not normalised)
  Matrix returns;                     // [1 x B] advantages + old_values (the value targets)
  std::vector<std::uint8_t> allowed;  // [A x B] the masks at obs; empty without masks
  Eigen::Index size = 0;

  // Preallocates for minibatches of up to max_batch samples.
  void reserve(Eigen::Index obs_dim, Eigen::Index max_batch);
  std::span<const int> action_span() const {
    return {actions.data(), static_cast<std::size_t>(size)};
  }
  // The first `size` columns of `allowed` (empty without masks).
  ActionMask allowed_span() const {
    return allowed.empty() ? ActionMask{}
                           : ActionMask{allowed.data(), allowed.size() / actions.size() *
                                                            static_cast<std::size_t>(size)};
  }
};

// On-policy storage for n_steps x n_envs transitions, as SB3's RolloutBuffer. Sample k of the
// buffer is step k / n_envs of environment k % n_envs; scalars are stored [n_envs x n_steps]
// (column-major, so a step's n_envs values are contiguous and the flat index is
// step * n_envs + env), observations [obs_dim x n_steps * n_envs].
//
// Use (as SB3's OnPolicyAlgorithm.collect_rollouts / train):
//   buffer.reset();
//   each step: buffer.add(obs, actions, rewards, episode_starts, values, log_probs)
//     episode_starts[e] = 1 when obs[:, e] is the first observation of an episode (the
//     previous step of env e ended: terminated or truncated; 1 for every env at the very start,
//     as SB3's _last_episode_starts).
//     Truncation: when env e was truncated (time limit) at this step, SB3 adds
//     gamma * V(final_obs_e) to its reward; call add_truncation_bootstrap(e, V(final_obs_e))
//     right after add() to do the same.
//   when full(): compute_returns_and_advantage(last_values, dones) with the value of the next
//     observations and dones[e] = 1 when the last step of env e ended an episode;
//   each epoch: shuffle(rng), then gather_minibatch(start, batch_size, mb) for start = 0,
//     batch_size, 2 batch_size, ... < size() (SB3's get(batch_size)).
class RECRL_API RolloutBuffer {
 public:
  using Index = Eigen::Index;

  RolloutBuffer() = default;
  RolloutBuffer(Index n_steps, Index n_envs, Index obs_dim, double gamma, double gae_lambda);

  Index n_steps() const { return n_steps_; }
  Index n_envs() const { return n_envs_; }
  Index obs_dim() const { return obs_dim_; }
  double gamma() const { return gamma_; }
  double gae_lambda() const { return gae_lambda_; }
  // Transitions stored (steps added x n_envs) and the total capacity n_steps x n_envs.
  Index size() const { return pos_ * n_envs_; }
  Index capacity() const { return n_steps_ * n_envs_; }
  bool full() const { return pos_ == n_steps_; }
  // Starts a new rollout (keeps the storage).
  void reset();

  // Records one step of every environment.
  //   obs [obs_dim x n_envs], actions [n_envs], rewards [n_envs], episode_starts [n_envs],
  //   values [1 x n_envs] (V(obs)), log_probs [1 x n_envs] (log pi(actions | obs)),
  //   allowed: the masks at obs [A x n_envs] (docs/masks.md), empty without masks; the buffer
  //   keeps them for the minibatches (its mask storage is allocated at the first masked add).
  void add(const Eigen::Ref<const Matrix>& obs, std::span<const int> actions,
           const Eigen::Ref<const Vector>& rewards, std::span<const std::uint8_t> episode_starts,
           const Eigen::Ref<const Matrix>& values, const Eigen::Ref<const Matrix>& log_probs,
           ActionMask allowed = {});
  // Adds gamma * terminal_value to the reward of env's most recently added step (SB3's
  // bootstrapping of time-limit truncations in collect_rollouts).
  void add_truncation_bootstrap(Index env, Scalar terminal_value);

  // SB3's compute_returns_and_advantage (GAE, Schulman et al. 2016), backwards over the steps:
  //   next_non_terminal = 1 - dones (last step) or 1 - episode_starts[step + 1]
  //   next_value        = last_values (last step) or values[step + 1]
  //   delta = r + gamma next_value next_non_terminal - values[step]
  //   adv   = delta + gamma lambda next_non_terminal adv_next;  returns = adv + values
  // last_values [1 x n_envs] = V(observation after the last step), dones [n_envs].
  void compute_returns_and_advantage(const Eigen::Ref<const Matrix>& last_values,
                                     std::span<const std::uint8_t> dones);

  // A new uniformly random order of the size() samples (Fisher-Yates from the identity with
  // rng.uniform_int, as np.random.permutation). Until the first shuffle the order is
  // sample order.
  void shuffle(Rng& rng);
  // Copies samples order[start, start + batch_size) (clipped to size()) into mb, which must be
  // reserved for batch_size; sets mb.size.
  void gather_minibatch(Index start, Index batch_size, RolloutMinibatch& mb) const;

  // The whole state (fill position, stored steps, GAE results, sample order), for training
  // checkpoints; load_state() needs a buffer of the same sizes and throws DataError otherwise.
  void save_state(std::ostream& out) const;
  void load_state(std::istream& in);

  // Storage, [n_envs x n_steps] (see above), for inspection and tests.
  const Matrix& rewards() const { return rewards_; }
  const Matrix& values() const { return values_; }
  const Matrix& log_probs() const { return log_probs_; }
  const Matrix& advantages() const { return advantages_; }
  const Matrix& returns() const { return returns_; }
  const Matrix& episode_starts() const { return episode_starts_; }
  const Matrix& observations() const { return obs_; }           // [obs_dim x n_steps * n_envs]
  const std::vector<int>& actions() const { return actions_; }  // [n_steps * n_envs]

 private:
  Index n_steps_ = 0;
  Index n_envs_ = 0;
  Index obs_dim_ = 0;
  double gamma_ = 0.99;
  double gae_lambda_ = 0.95;
  Index pos_ = 0;  // steps added

  Matrix obs_;                         // [obs_dim x n_steps * n_envs]
  std::vector<int> actions_;           // [n_steps * n_envs]
  Matrix rewards_;                     // [n_envs x n_steps]
  Matrix episode_starts_;              // [n_envs x n_steps] 0 or 1
  Matrix values_;                      // [n_envs x n_steps]
  Matrix log_probs_;                   // [n_envs x n_steps]
  Matrix advantages_;                  // [n_envs x n_steps]
  Matrix returns_;                     // [n_envs x n_steps]
  std::vector<Index> order_;           // [n_steps * n_envs] a permutation of the sample indices
  std::vector<std::uint8_t> allowed_;  // [A x n_steps * n_envs] masks, empty without
};

}  // namespace recrl::toolkit
