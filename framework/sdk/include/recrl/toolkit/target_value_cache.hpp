#pragma once

// A Q-learner's target network's greedy value max_a' Q_target(s', a') of each replay slot's
// next observation, kept from the gradient step that first needed it until the target network
// changes or the slot is overwritten.
//
// Why: a target network changes only every so many steps (DQN: target_update_interval, 10,000
// by default), while the gradient steps in between draw the same transitions again and again;
// a transition drawn again in the same period needs the same value, and forwarding it through
// the target network again is a large share of a gradient step's arithmetic. A cached value is
// the value a fresh forward pass would give, bit for bit, where Mlp::forward computes each
// column of a batch the same way whatever the other columns are (Mlp::batch_independent(),
// tested); so training is unchanged by the cache.

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <new>
#include <span>
#include <vector>

#include <Eigen/Core>

#include "recrl/core/errors.hpp"
#include "recrl/toolkit/action_mask.hpp"
#include "recrl/toolkit/mlp.hpp"

namespace recrl::toolkit {

class TargetValueCache {
 public:
  using Index = Eigen::Index;
  using Mat = Eigen::MatrixXf;

  // Keeps nothing: every value is computed (for a network whose output depends on its batch).
  TargetValueCache() = default;
  // slots: the replay buffer's capacity in transitions; max_batch: the largest minibatch.
  TargetValueCache(Index slots, Index obs_dim, Index max_batch)
      : values_(slots),
        versions_(zeroed_versions(slots)),
        missed_obs_(obs_dim, max_batch),
        missed_values_(1, max_batch),
        missed_columns_(static_cast<std::size_t>(max_batch), 0) {}

  // The target network changed (or was loaded): no cached value holds any more.
  void forget_all() { ++version_; }
  // Slots [first, first + count) are about to be overwritten.
  void forget(Index first, Index count) {
    if (!versions_) return;
    for (Index k = first; k < first + count; ++k) versions_[k] = kNever;
  }

  // out [1 x B] = max_a' Q_target(next_obs_i, a') for the transitions at `slots` whose next
  // observations are the columns of next_obs [obs_dim x B]: cached values where there are
  // any, one forward pass of target_net over the others. A terminal transition (dones 1)
  // gets 0 without either: the TD target multiplies its value by 1 - done = 0 (r + 0 is r; a
  // horizon-1 environment's transitions are all terminal, and its target network is never
  // run). Returns how many were computed. Without a cache every value is computed, terminal
  // or not: there the network's output depends on its batch, and a batch of fewer columns
  // would change the others' bits. With masks (next_allowed [A x B], docs/masks.md) the max
  // runs over each next observation's allowed actions.
  Index greedy_values(Mlp<float>& target_net, std::span<const Index> slots,
                      const Eigen::Ref<const Mat>& next_obs, const Eigen::Ref<const Mat>& dones,
                      Eigen::Ref<Mat> out, ActionMask next_allowed = {}) {
    const Index n = next_obs.cols();
    RECRL_ASSERT(
        static_cast<Index>(slots.size()) == n && out.cols() == n && dones.cols() == n &&
            (!versions_ || n <= missed_obs_.cols()),
        "TargetValueCache::greedy_values: batch sizes disagree or exceed the reserved batch");
    if (!versions_) {
      const auto q = target_net.forward(next_obs);
      if (next_allowed.empty()) {
        out = q.colwise().maxCoeff();
      } else {
        for (Index i = 0; i < n; ++i) out(0, i) = allowed_max(q, i, next_allowed, i);
      }
      return n;
    }
    Index missed = 0;
    for (Index i = 0; i < n; ++i) {
      const Index slot = slots[static_cast<std::size_t>(i)];
      if (dones(0, i) != 0.0f) {
        out(0, i) = 0.0f;
      } else if (versions_[slot] == version_) {
        out(0, i) = values_(slot);
      } else {
        missed_obs_.col(missed) = next_obs.col(i);
        missed_columns_[static_cast<std::size_t>(missed++)] = i;
      }
    }
    if (missed == 0) return 0;
    auto values = missed_values_.leftCols(missed);
    const auto q = target_net.forward(missed_obs_.leftCols(missed));
    if (next_allowed.empty()) values = q.colwise().maxCoeff();
    for (Index m = 0; m < missed; ++m) {
      const Index i = missed_columns_[static_cast<std::size_t>(m)];
      if (!next_allowed.empty()) values(0, m) = allowed_max(q, m, next_allowed, i);
      const Index slot = slots[static_cast<std::size_t>(i)];
      out(0, i) = values(0, m);
      values_(slot) = values(0, m);
      versions_[slot] = version_;
    }
    return missed;
  }

 private:
  // max over the actions column `mask_column` of `allowed` allows of column j of q.
  template <typename Q>
  static float allowed_max(const Q& q, Index j, ActionMask allowed, Index mask_column) {
    const AllowedActions actions(allowed, q.rows(), mask_column);
    return q(actions.argmax(q, j), j);
  }

  static constexpr std::uint32_t kNever = 0;  // what calloc gives: see versions_

  std::uint32_t version_ = 1;  // of the target network; a slot's value holds if they match
  // The versions start at kNever (zero) from calloc, whose large blocks come from the kernel
  // already zero: a million-slot cache touches its pages as slots are used, as the replay
  // buffer does; values_ is read only where a version matches, so it is never initialised.
  struct Free {
    void operator()(std::uint32_t* p) const { std::free(p); }
  };
  using Versions = std::unique_ptr<std::uint32_t[], Free>;
  static Versions zeroed_versions(Index slots) {
    void* block = std::calloc(static_cast<std::size_t>(slots), sizeof(std::uint32_t));
    if (block == nullptr) throw std::bad_alloc();
    return Versions(static_cast<std::uint32_t*>(block));
  }

  Eigen::VectorXf values_;
  Versions versions_;
  Mat missed_obs_;
  Mat missed_values_;
  std::vector<Index> missed_columns_;
};

}  // namespace recrl::toolkit
