#pragma once

#include <algorithm>
#include <cmath>
#include <string>

#include <Eigen/Core>

#include "recrl/core/errors.hpp"

namespace recrl::toolkit {

// Regression losses with their gradients, mean-reduced over all elements as torch's defaults
// (reduction="mean"). prediction, target and gradient have the same shape (typically [1 x n]
// rows: a value network's output and the returns, or chosen Q-values and TD targets). Each
// returns the loss and WRITES (not adds) d loss / d prediction, times `scale`, into gradient,
// so that e.g. vf_coef * value_loss is backpropagated by passing scale = vf_coef.
// `gradient` may be a block expression (mlp_grad.leftCols(n)): it is taken by const reference
// and written through, the idiom Eigen documents for output arguments.

namespace detail {

// Both losses take prediction, target and gradient of one non-empty shape.
template <typename Prediction, typename Target, typename Gradient>
void check_loss_shapes(const Eigen::MatrixBase<Prediction>& prediction,
                       const Eigen::MatrixBase<Target>& target,
                       const Eigen::MatrixBase<Gradient>& gradient, const char* loss) {
  RECRL_ASSERT(prediction.rows() == target.rows() && prediction.cols() == target.cols() &&
                   prediction.rows() == gradient.rows() && prediction.cols() == gradient.cols(),
               std::string(loss) + ": prediction, target and gradient must have the same shape");
  RECRL_ASSERT(prediction.size() > 0, std::string(loss) + " of nothing");
}

}  // namespace detail

// Both losses go element by element in storage order with (row, column) indexing, and sum in
// that order from the first element, as Eigen's reduction of these shapes does. Eigen's own
// expressions over a [1 x n] Ref with a run-time outer stride treat each column as a vector of
// one element and spend more on finding its alignment than on the arithmetic
// (bench/README.md has the figures).

// F.mse_loss: mean((p - t)^2); gradient 2 (p - t) / N.
template <typename Prediction, typename Target, typename Gradient>
typename Prediction::Scalar mse_loss(const Eigen::MatrixBase<Prediction>& prediction,
                                     const Eigen::MatrixBase<Target>& target,
                                     const Eigen::MatrixBase<Gradient>& gradient,
                                     typename Prediction::Scalar scale = 1) {
  using T = typename Prediction::Scalar;
  detail::check_loss_shapes(prediction, target, gradient, "mse_loss");
  auto& grad = const_cast<Eigen::MatrixBase<Gradient>&>(gradient);
  const T count = static_cast<T>(prediction.size());
  const T factor = T(2) * scale / count;
  T squares = 0;
  for (Eigen::Index j = 0; j < prediction.cols(); ++j) {
    for (Eigen::Index i = 0; i < prediction.rows(); ++i) {
      const T d = prediction(i, j) - target(i, j);
      squares = (i == 0 && j == 0) ? d * d : squares + d * d;
      grad(i, j) = d * factor;
    }
  }
  return squares / count;
}

// F.smooth_l1_loss with beta = 1 (SB3's DQN loss; Huber with delta 1):
//   d = p - t;  l = 0.5 d^2 if |d| < 1, |d| - 0.5 otherwise;  loss = mean(l)
//   d l / d p = clamp(d, -1, 1), divided by N.
template <typename Prediction, typename Target, typename Gradient>
typename Prediction::Scalar smooth_l1_loss(const Eigen::MatrixBase<Prediction>& prediction,
                                           const Eigen::MatrixBase<Target>& target,
                                           const Eigen::MatrixBase<Gradient>& gradient,
                                           typename Prediction::Scalar scale = 1) {
  using T = typename Prediction::Scalar;
  detail::check_loss_shapes(prediction, target, gradient, "smooth_l1_loss");
  auto& grad = const_cast<Eigen::MatrixBase<Gradient>&>(gradient);
  const T count = static_cast<T>(prediction.size());
  const T factor = scale / count;
  T sum = 0;
  for (Eigen::Index j = 0; j < prediction.cols(); ++j) {
    for (Eigen::Index i = 0; i < prediction.rows(); ++i) {
      const T d = prediction(i, j) - target(i, j);
      const T l = std::abs(d) < T(1) ? T(0.5) * (d * d) : std::abs(d) - T(0.5);
      sum = (i == 0 && j == 0) ? l : sum + l;
      grad(i, j) = std::clamp(d, T(-1), T(1)) * factor;
    }
  }
  return sum / count;
}

}  // namespace recrl::toolkit
