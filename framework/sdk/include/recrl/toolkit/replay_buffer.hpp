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

// A batch sampled from a ReplayBuffer into preallocated storage; the first `size` columns are
// valid. A column is a sample; per-sample scalars are [1 x B] rows.
struct RECRL_API ReplayBatch {
  Matrix obs;                // [obs_dim x B]
  Matrix next_obs;           // [obs_dim x B] the observation that followed (the final one
                             //   when the episode ended there)
  std::vector<int> actions;  // [B]
  Matrix rewards;            // [1 x B]
  Matrix dones;              // [1 x B] 1 where the episode TERMINATED at this step (0 for
                             //   time-limit truncations: their next_obs value is bootstrapped)
  std::vector<Eigen::Index> slots;  // [B] where each transition is stored: row * n_envs + env
  std::vector<std::uint8_t> next_allowed;  // [A x B] the masks at next_obs; empty without masks
  Eigen::Index size = 0;

  void reserve(Eigen::Index obs_dim, Eigen::Index max_batch);
  std::span<const int> action_span() const {
    return {actions.data(), static_cast<std::size_t>(size)};
  }
  // The first `size` columns of next_allowed (empty without masks).
  ActionMask next_allowed_span() const {
    return next_allowed.empty()
               ? ActionMask{}
               : ActionMask{next_allowed.data(),
                            next_allowed.size() / actions.size() * static_cast<std::size_t>(size)};
  }
};

// Off-policy storage as SB3's ReplayBuffer (optimize_memory_usage=False,
// handle_timeout_termination=True): rows of n_envs transitions, max(capacity / n_envs, 1) rows,
// written circularly (the oldest row is overwritten once full). Each add() writes one row: the
// transition of every environment copy at one step, as the runner's StepBatch gives them:
//   obs = StepBatch::obs, next_obs = StepBatch::final_obs, terminated = StepBatch::terminated.
// SB3 stores done = terminated or truncated and timeouts = truncated and samples
// done * (1 - timeout), which is what storing `terminated` gives directly.
class RECRL_API ReplayBuffer {
 public:
  using Index = Eigen::Index;

  ReplayBuffer() = default;
  // capacity = SB3's buffer_size (transitions over all envs).
  ReplayBuffer(Index capacity, Index n_envs, Index obs_dim);

  Index rows() const { return rows_; }  // SB3's buffer_size // n_envs
  Index n_envs() const { return n_envs_; }
  Index obs_dim() const { return obs_dim_; }
  // Rows written so far (at most rows()), and the transitions they hold.
  Index filled_rows() const { return full_ ? rows_ : pos_; }
  Index size() const { return filled_rows() * n_envs_; }
  bool full() const { return full_; }
  // The row the next add() writes.
  Index position() const { return pos_; }

  // obs, next_obs [obs_dim x n_envs], actions [n_envs], rewards [n_envs], terminated [n_envs];
  // next_allowed: the masks at next_obs [A x n_envs] (StepBatch::final_allowed), empty without
  // masks (the buffer's mask storage is allocated at the first masked add).
  void add(const Eigen::Ref<const Matrix>& obs, const Eigen::Ref<const Matrix>& next_obs,
           std::span<const int> actions, const Eigen::Ref<const Vector>& rewards,
           std::span<const std::uint8_t> terminated, ActionMask next_allowed = {});

  // batch_size transitions drawn uniformly with replacement from the filled rows, as SB3's
  // sample(): first batch_size rows with rng.uniform_int(filled_rows()), then (only when
  // n_envs > 1) batch_size env indices with rng.uniform_int(n_envs). `out` must be reserved for
  // batch_size. Needs at least one add().
  void sample(Rng& rng, Index batch_size, ReplayBatch& out);

  // The filled rows and the write position, for training checkpoints (an unfilled buffer of a
  // million transitions saves only what it holds); load_state() needs a buffer of the same
  // sizes and throws DataError otherwise.
  void save_state(std::ostream& out) const;
  void load_state(std::istream& in);

  // Storage, column / element k = row * n_envs + env, for inspection and tests.
  auto observations() const { return transitions_.topRows(obs_dim_); }  // [obs_dim x slots]
  auto next_observations() const { return transitions_.middleRows(obs_dim_, obs_dim_); }
  auto rewards() const { return transitions_.row(reward_row()); }  // [1 x slots]
  auto dones() const { return transitions_.row(done_row()); }      // [1 x slots]
  const Eigen::VectorXi& actions() const { return actions_; }

 private:
  Index reward_row() const { return 2 * obs_dim_; }
  Index done_row() const { return 2 * obs_dim_ + 1; }
  // Actions per stored mask: 0 without masks.
  std::size_t mask_width() const;

  Index rows_ = 0;
  Index n_envs_ = 0;
  Index obs_dim_ = 0;
  Index pos_ = 0;
  bool full_ = false;

  // One column per transition: observation, next observation, reward, done. A sampled
  // transition is then two or three adjacent cache lines on one page (five places on five
  // pages when each part had its own array), which is most of what sampling from a large
  // buffer waits for.
  // Allocated, not written, at construction: only the filled slots are ever read or saved, so
  // the pages of a million-transition buffer are touched as it fills (as numpy's zeros in SB3)
  // instead of all at once (a noticeable share of a short run's wall time with DQN's default
  // million transitions; bench/README.md).
  Matrix transitions_;  // [2 obs_dim + 2 x slots]
  Eigen::VectorXi actions_;
  std::vector<std::uint8_t> next_allowed_;  // [A x slots] masks at next_obs, empty without
};

}  // namespace recrl::toolkit
