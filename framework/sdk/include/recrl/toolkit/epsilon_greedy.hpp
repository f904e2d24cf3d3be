#pragma once

#include <span>

#include <Eigen/Core>

#include "recrl/core/types.hpp"
#include "recrl/toolkit/action_mask.hpp"

namespace recrl::toolkit {

// The index of the largest value of each column of `values` [n_actions x n] into out[j] (the
// first on ties, as torch.argmax), among the actions `allowed` allows (docs/masks.md).
template <typename Derived>
void argmax_columns(const Eigen::DenseBase<Derived>& values, ActionMask allowed,
                    std::span<int> out) {
  if (!allowed.empty()) {
    for (Eigen::Index j = 0; j < values.cols(); ++j) {
      out[static_cast<std::size_t>(j)] =
          AllowedActions(allowed, values.rows(), j).argmax(values, j);
    }
    return;
  }
  for (Eigen::Index j = 0; j < values.cols(); ++j) {
    Eigen::Index best = 0;
    for (Eigen::Index a = 1; a < values.rows(); ++a) {
      if (values(a, j) > values(best, j)) best = a;
    }
    out[static_cast<std::size_t>(j)] = static_cast<int>(best);
  }
}

// The probabilities of an epsilon-greedy choice over `scores` [n_actions x n]: epsilon / K on
// every allowed action (K of them) plus 1 - epsilon on each column's best allowed one
// (argmax_columns); 0 on the others.
inline void epsilon_greedy_probabilities(const Matrix& scores, ActionMask allowed, double epsilon,
                                         Matrix& probs) {
  const Eigen::Index n_actions = scores.rows();
  probs.resize(n_actions, scores.cols());
  for (Eigen::Index j = 0; j < scores.cols(); ++j) {
    const AllowedActions actions(allowed, n_actions, j);
    const auto each = static_cast<float>(epsilon / static_cast<double>(actions.count()));
    for (Eigen::Index a = 0; a < n_actions; ++a)
      probs(a, j) = actions(static_cast<int>(a)) ? each : 0.0f;
    probs(actions.argmax(scores, j), j) += static_cast<float>(1.0 - epsilon);
  }
}

}  // namespace recrl::toolkit
