#pragma once

#include <span>

#include <Eigen/Core>

#include "recrl/core/types.hpp"

namespace recrl::toolkit {

// The index of the largest value of each column of `values` [n_actions x n] into out[j] (the
// first on ties, as torch.argmax).
template <typename Derived>
void argmax_columns(const Eigen::DenseBase<Derived>& values, std::span<int> out) {
  for (Eigen::Index j = 0; j < values.cols(); ++j) {
    Eigen::Index best = 0;
    for (Eigen::Index a = 1; a < values.rows(); ++a) {
      if (values(a, j) > values(best, j)) best = a;
    }
    out[static_cast<std::size_t>(j)] = static_cast<int>(best);
  }
}

// The probabilities of an epsilon-greedy choice over `scores` [n_actions x n]: epsilon /
// n_actions on every action plus 1 - epsilon on each column's best (argmax_columns).
inline void epsilon_greedy_probabilities(const Matrix& scores, double epsilon, Matrix& probs) {
  const Eigen::Index n_actions = scores.rows();
  probs = Matrix::Constant(n_actions, scores.cols(),
                           static_cast<float>(epsilon / static_cast<double>(n_actions)));
  for (Eigen::Index j = 0; j < scores.cols(); ++j) {
    Eigen::Index best = 0;
    for (Eigen::Index a = 1; a < n_actions; ++a) {
      if (scores(a, j) > scores(best, j)) best = a;
    }
    probs(best, j) += static_cast<float>(1.0 - epsilon);
  }
}

}  // namespace recrl::toolkit
