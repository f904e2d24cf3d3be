#include "recrl/toolkit/replay_buffer.hpp"

#include <algorithm>
#include <istream>
#include <ostream>
#include <string>

#include "recrl/core/errors.hpp"
#include "recrl/toolkit/binary_io.hpp"
#include "prefetch.hpp"

namespace recrl::toolkit {

void ReplayBatch::reserve(Eigen::Index obs_dim, Eigen::Index max_batch) {
  obs.resize(obs_dim, max_batch);
  next_obs.resize(obs_dim, max_batch);
  actions.assign(static_cast<std::size_t>(max_batch), 0);
  slots.assign(static_cast<std::size_t>(max_batch), 0);
  rewards.resize(1, max_batch);
  dones.resize(1, max_batch);
  size = 0;
}

ReplayBuffer::ReplayBuffer(Index capacity, Index n_envs, Index obs_dim)
    : rows_(std::max<Index>(capacity / std::max<Index>(n_envs, 1), 1)),
      n_envs_(n_envs),
      obs_dim_(obs_dim) {
  RECRL_ASSERT(capacity >= 1 && n_envs >= 1 && obs_dim >= 1, "ReplayBuffer needs sizes >= 1");
  const Index slots = rows_ * n_envs_;
  transitions_.resize(done_row() + 1, slots);
  actions_.resize(slots);
}

void ReplayBuffer::add(const Eigen::Ref<const Matrix>& obs,
                       const Eigen::Ref<const Matrix>& next_obs, std::span<const int> actions,
                       const Eigen::Ref<const Vector>& rewards,
                       std::span<const std::uint8_t> terminated, ActionMask next_allowed) {
  RECRL_ASSERT(obs.rows() == obs_dim_ && obs.cols() == n_envs_ && next_obs.rows() == obs_dim_ &&
                   next_obs.cols() == n_envs_ && static_cast<Index>(actions.size()) == n_envs_ &&
                   rewards.size() == n_envs_ && static_cast<Index>(terminated.size()) == n_envs_,
               "ReplayBuffer::add: shapes must be [obs_dim x n_envs] and [n_envs]");
  const Index first = pos_ * n_envs_;
  for (Index e = 0; e < n_envs_; ++e) {
    auto transition = transitions_.col(first + e);
    transition.head(obs_dim_) = obs.col(e);
    transition.segment(obs_dim_, obs_dim_) = next_obs.col(e);
    transition(reward_row()) = rewards(e);
    transition(done_row()) = terminated[static_cast<std::size_t>(e)] != 0 ? Scalar(1) : Scalar(0);
    actions_(first + e) = actions[static_cast<std::size_t>(e)];
  }
  if (!next_allowed.empty()) {
    const std::size_t per_row = next_allowed.size();
    if (next_allowed_.empty()) next_allowed_.assign(per_row * static_cast<std::size_t>(rows_), 1);
    std::copy(next_allowed.begin(), next_allowed.end(),
              next_allowed_.begin() + static_cast<std::ptrdiff_t>(per_row * pos_));
  }
  if (++pos_ == rows_) {
    full_ = true;
    pos_ = 0;
  }
}

void ReplayBuffer::sample(Rng& rng, Index batch_size, ReplayBatch& out) {
  RECRL_ASSERT(filled_rows() >= 1, "ReplayBuffer::sample on an empty buffer");
  RECRL_ASSERT(batch_size >= 1 && out.obs.rows() == obs_dim_ && out.obs.cols() >= batch_size &&
                   static_cast<Index>(out.actions.size()) >= batch_size &&
                   static_cast<Index>(out.slots.size()) >= batch_size,
               "ReplayBuffer::sample: reserve the batch for batch_size first");
  // The draws in SB3's order (every row, then every row's environment), then the slots'
  // cache lines requested all at once: in a large buffer each slot is a cache miss, and
  // waiting for them one after the other would cost more than the rest of the sampling.
  const auto upper = static_cast<std::uint64_t>(filled_rows());
  for (Index i = 0; i < batch_size; ++i) {
    out.slots[static_cast<std::size_t>(i)] = static_cast<Index>(rng.uniform_int(upper));
  }
  const Index stride = transitions_.rows();
  const Scalar* transitions = transitions_.data();
  for (Index i = 0; i < batch_size; ++i) {
    const Index env =
        n_envs_ > 1 ? static_cast<Index>(rng.uniform_int(static_cast<std::uint64_t>(n_envs_))) : 0;
    Index& slot = out.slots[static_cast<std::size_t>(i)];
    slot = slot * n_envs_ + env;
    prefetch_run(transitions + slot * stride, stride);
    __builtin_prefetch(actions_.data() + slot);
  }
  for (Index i = 0; i < batch_size; ++i) {
    const Index k = out.slots[static_cast<std::size_t>(i)];
    const Scalar* transition = transitions + k * stride;
    std::copy_n(transition, obs_dim_, out.obs.col(i).data());
    std::copy_n(transition + obs_dim_, obs_dim_, out.next_obs.col(i).data());
    out.rewards(0, i) = transition[reward_row()];
    out.dones(0, i) = transition[done_row()];
    out.actions[static_cast<std::size_t>(i)] = actions_(k);
  }
  const std::size_t n_actions = mask_width();
  if (n_actions > 0) {
    if (out.next_allowed.size() != n_actions * out.actions.size())
      out.next_allowed.assign(n_actions * out.actions.size(), 1);  // once, at the first
    for (Index i = 0; i < batch_size; ++i) {
      const auto k = static_cast<std::size_t>(out.slots[static_cast<std::size_t>(i)]);
      std::copy_n(next_allowed_.begin() + static_cast<std::ptrdiff_t>(n_actions * k), n_actions,
                  out.next_allowed.begin() + static_cast<std::ptrdiff_t>(n_actions * i));
    }
  }
  out.size = batch_size;
}

std::size_t ReplayBuffer::mask_width() const {
  return next_allowed_.size() / static_cast<std::size_t>(rows_ * n_envs_);
}

namespace {
// Format 2: the transitions' columns in one block (format 1 had each part in its own).
// Format 3: and the masks at the next observations (docs/masks.md).
constexpr char kReplayTag[] = "recrl.replay_buffer.3";
}  // namespace

void ReplayBuffer::save_state(std::ostream& out) const {
  write_tag(out, kReplayTag);
  write_pod<std::int64_t>(out, pos_);
  write_pod<std::uint8_t>(out, full_ ? 1 : 0);
  const Index slots = size();
  write_columns(out, transitions_, slots);
  write_values(out, actions_.data(), static_cast<std::size_t>(slots));
  write_pod<std::uint64_t>(out, mask_width());
  if (mask_width() > 0) {
    write_values(out, next_allowed_.data(), mask_width() * static_cast<std::size_t>(slots));
  }
}

void ReplayBuffer::load_state(std::istream& in) {
  expect_tag(in, kReplayTag);
  const auto pos = read_pod<std::int64_t>(in, kReplayTag);
  const auto full = read_pod<std::uint8_t>(in, kReplayTag);
  if (pos < 0 || pos >= rows_ || full > 1) {
    throw DataError(SourceLocation{}, std::string(kReplayTag) + ": write position " +
                                          std::to_string(pos) + " outside [0, " +
                                          std::to_string(rows_) + ")");
  }
  const Index slots = (full == 1 ? rows_ : pos) * n_envs_;
  read_columns(in, transitions_, slots, kReplayTag);
  read_values(in, actions_.data(), static_cast<std::size_t>(slots), kReplayTag);
  const auto width = read_pod<std::uint64_t>(in, kReplayTag);
  if (width > (1u << 20)) {
    throw DataError(SourceLocation{}, std::string(kReplayTag) + ": damaged action masks");
  }
  next_allowed_.assign(width * static_cast<std::size_t>(rows_ * n_envs_), 1);
  if (width > 0) {
    read_values(in, next_allowed_.data(), width * static_cast<std::size_t>(slots), kReplayTag);
  }
  pos_ = pos;
  full_ = full == 1;
}

}  // namespace recrl::toolkit
