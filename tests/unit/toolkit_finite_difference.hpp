#pragma once

#include <algorithm>

#include <Eigen/Core>

// Central finite differences for the toolkit's gradient tests, in double: with h = 1e-6 the
// truncation error (h^2 f''') and the rounding error (eps f / h) are both around 1e-10, so an
// analytic gradient that is right agrees to ~1e-8 and one that is wrong does not.
namespace recrl::test {

// d loss / d x_i by (loss(x + h e_i) - loss(x - h e_i)) / 2h for every coordinate of x, which
// the loss reads (x is restored after each coordinate).
template <typename Loss>
Eigen::VectorXd numerical_gradient(Eigen::Ref<Eigen::VectorXd> x, Loss&& loss, double h = 1e-6) {
  Eigen::VectorXd gradient(x.size());
  for (Eigen::Index i = 0; i < x.size(); ++i) {
    const double saved = x(i);
    x(i) = saved + h;
    const double plus = loss();
    x(i) = saved - h;
    const double minus = loss();
    x(i) = saved;
    gradient(i) = (plus - minus) / (2 * h);
  }
  return gradient;
}

// The largest difference between two gradients relative to the larger's scale (at least 1).
inline double gradient_error(const Eigen::VectorXd& analytic, const Eigen::VectorXd& numeric) {
  const double scale = std::max(1.0, numeric.cwiseAbs().maxCoeff());
  return (analytic - numeric).cwiseAbs().maxCoeff() / scale;
}

}  // namespace recrl::test
