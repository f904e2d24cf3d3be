// Mean squared error and smooth L1 (Huber, delta 1): values as torch's F.mse_loss and
// F.smooth_l1_loss, and gradients against finite differences.
#include <catch2/catch.hpp>

#include "recrl/toolkit/losses.hpp"
#include "toolkit_finite_difference.hpp"

namespace {

Eigen::MatrixXd row(std::initializer_list<double> values) {
  Eigen::MatrixXd m(1, static_cast<Eigen::Index>(values.size()));
  Eigen::Index i = 0;
  for (double v : values) m(0, i++) = v;
  return m;
}

}  // namespace

TEST_CASE("mse loss and its gradient", "[unit][toolkit]") {
  Eigen::MatrixXd prediction = row({1.0, -2.0, 0.5, 3.0});
  const Eigen::MatrixXd target = row({0.0, -1.0, 0.5, 1.0});
  Eigen::MatrixXd gradient(1, 4);
  // (1 + 1 + 0 + 4) / 4
  CHECK(recrl::toolkit::mse_loss(prediction, target, gradient) == Approx(1.5).epsilon(1e-15));
  Eigen::Map<Eigen::VectorXd> flat(prediction.data(), prediction.size());
  Eigen::MatrixXd scratch(1, 4);
  const Eigen::VectorXd numeric = recrl::test::numerical_gradient(
      flat, [&] { return 0.5 * recrl::toolkit::mse_loss(prediction, target, scratch); });
  recrl::toolkit::mse_loss(prediction, target, gradient, 0.5);
  CHECK(recrl::test::gradient_error(Eigen::Map<const Eigen::VectorXd>(gradient.data(), 4),
                                    numeric) < 1e-8);
}

TEST_CASE("smooth l1 loss is quadratic inside one and linear outside", "[unit][toolkit]") {
  // Differences 0.5, -3, 0.99, 2: 0.5*0.25 + (3 - 0.5) + 0.5*0.9801 + (2 - 0.5), mean over 4.
  Eigen::MatrixXd prediction = row({0.5, -3.0, 1.99, 4.0});
  const Eigen::MatrixXd target = row({0.0, 0.0, 1.0, 2.0});
  Eigen::MatrixXd gradient(1, 4);
  const double expected = (0.125 + 2.5 + 0.5 * 0.99 * 0.99 + 1.5) / 4;
  CHECK(recrl::toolkit::smooth_l1_loss(prediction, target, gradient) ==
        Approx(expected).epsilon(1e-14));
  CHECK(gradient(0, 0) == Approx(0.5 / 4));
  CHECK(gradient(0, 1) == Approx(-1.0 / 4));
  CHECK(gradient(0, 3) == Approx(1.0 / 4));

  Eigen::Map<Eigen::VectorXd> flat(prediction.data(), prediction.size());
  Eigen::MatrixXd scratch(1, 4);
  const Eigen::VectorXd numeric = recrl::test::numerical_gradient(
      flat, [&] { return 2.0 * recrl::toolkit::smooth_l1_loss(prediction, target, scratch); });
  recrl::toolkit::smooth_l1_loss(prediction, target, gradient, 2.0);
  CHECK(recrl::test::gradient_error(Eigen::Map<const Eigen::VectorXd>(gradient.data(), 4),
                                    numeric) < 1e-8);
}

TEST_CASE("losses write gradients into blocks of a larger buffer", "[unit][toolkit]") {
  Eigen::MatrixXf buffer = Eigen::MatrixXf::Constant(1, 8, 9.0f);
  Eigen::MatrixXf prediction(1, 3);
  prediction << 1.0f, 2.0f, 3.0f;
  Eigen::MatrixXf target = Eigen::MatrixXf::Zero(1, 3);
  recrl::toolkit::mse_loss(prediction, target, buffer.leftCols(3));
  CHECK(buffer(0, 2) == Approx(2.0f * 3.0f / 3.0f));
  CHECK(buffer(0, 3) == 9.0f);
}
