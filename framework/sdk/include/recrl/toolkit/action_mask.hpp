#pragma once

#include <cstdint>
#include <span>

#include <Eigen/Core>

#include "recrl/core/algorithm.hpp"
#include "recrl/core/random.hpp"

namespace recrl::toolkit {

// One column of an ActionMask (docs/masks.md): which of `n_actions` actions are allowed for one
// observation. An empty mask allows every action, so that code written against it behaves
// exactly as without masks where an environment has none.
class AllowedActions {
 public:
  AllowedActions(ActionMask mask, Eigen::Index n_actions, Eigen::Index column)
      : n_actions_(static_cast<int>(n_actions)),
        column_(mask.empty() ? ActionMask{}
                             : mask.subspan(static_cast<std::size_t>(column * n_actions),
                                            static_cast<std::size_t>(n_actions))) {}

  bool all() const { return column_.empty(); }
  bool operator()(int action) const {
    return column_.empty() || column_[static_cast<std::size_t>(action)] != 0;
  }
  // How many actions are allowed (n_actions without a mask).
  int count() const {
    if (column_.empty()) return n_actions_;
    int n = 0;
    for (const std::uint8_t a : column_) n += a != 0 ? 1 : 0;
    return n;
  }
  // The k-th allowed action in index order, 0 <= k < count() (k itself without a mask).
  int nth(int k) const {
    if (column_.empty()) return k;
    for (int a = 0; a < n_actions_; ++a) {
      if (column_[static_cast<std::size_t>(a)] != 0 && k-- == 0) return a;
    }
    return -1;
  }
  // A uniformly random allowed action: one rng.uniform_int(count()) draw, as an unmasked
  // uniform choice over all actions draws.
  int uniform(Rng& rng) const {
    return nth(static_cast<int>(rng.uniform_int(static_cast<std::uint64_t>(count()))));
  }
  // The allowed action with the highest score in column `j` of `scores` (the first on ties).
  template <typename Derived>
  int argmax(const Eigen::DenseBase<Derived>& scores, Eigen::Index j) const {
    int best = -1;
    for (int a = 0; a < n_actions_; ++a) {
      if (!(*this)(a)) continue;
      if (best < 0 || scores(a, j) > scores(best, j)) best = a;
    }
    return best;
  }

 private:
  int n_actions_;
  ActionMask column_;
};

// The logit a masked action gets before the softmax (as sb3-contrib's MaskableCategorical):
// low enough that exp() of it is exactly 0 in float, so the action has probability 0, adds
// nothing to the entropy and gets no gradient; finite, so that log-probabilities stay finite.
inline constexpr float kMaskedLogit = -1e8f;

// Sets the masked entries of `logits` [n_actions x n] to kMaskedLogit; nothing without a mask.
template <typename Derived>
void mask_logits(ActionMask allowed, Eigen::DenseBase<Derived>& logits) {
  if (allowed.empty()) return;
  const Eigen::Index k = logits.rows();
  for (Eigen::Index j = 0; j < logits.cols(); ++j) {
    for (Eigen::Index a = 0; a < k; ++a) {
      if (allowed[static_cast<std::size_t>(j * k + a)] == 0) logits(a, j) = kMaskedLogit;
    }
  }
}

}  // namespace recrl::toolkit
