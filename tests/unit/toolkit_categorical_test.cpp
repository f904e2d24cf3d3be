// The categorical distribution: stable log-softmax, sampling by inverse CDF, mode, entropy and
// the gradients of log_prob and entropy against finite differences.
#include <array>
#include <cmath>
#include <vector>

#include <catch2/catch.hpp>

#include "recrl/core/random.hpp"
#include "recrl/toolkit/categorical.hpp"
#include "toolkit_finite_difference.hpp"

namespace {

using recrl::Rng;
using CategoricalD = recrl::toolkit::Categorical<double>;

Eigen::MatrixXd logits_3x4() {
  Eigen::MatrixXd logits(3, 4);
  logits << 0.2, -1.0, 3.0, 0.0,  //
      1.5, 0.4, -2.0, 0.0,        //
      -0.3, 0.4, 0.5, 0.0;
  return logits;
}

}  // namespace

TEST_CASE("categorical log probabilities are a stable log softmax", "[unit][toolkit]") {
  CategoricalD dist(3, 8);
  const Eigen::MatrixXd logits = logits_3x4();
  dist.set_logits(logits);
  REQUIRE(dist.batch_size() == 4);
  for (int i = 0; i < 4; ++i) {
    const double norm = std::log(logits.col(i).array().exp().sum());
    for (int a = 0; a < 3; ++a)
      CHECK(dist.log_probs()(a, i) == Approx(logits(a, i) - norm).epsilon(1e-14));
    CHECK(dist.probabilities().col(i).sum() == Approx(1.0).epsilon(1e-14));
  }
  // Large logits neither overflow nor lose the differences between them.
  Eigen::MatrixXf huge(2, 1);
  huge << 1000.0f, 999.0f;
  recrl::toolkit::Categorical<float> dist_f(2, 1);
  dist_f.set_logits(huge);
  CHECK(dist_f.log_probs()(0, 0) == Approx(-std::log1p(std::exp(-1.0))).epsilon(1e-6));
  CHECK(std::isfinite(dist_f.log_probs()(1, 0)));
}

TEST_CASE("categorical entropy log prob and mode", "[unit][toolkit]") {
  CategoricalD dist(4, 2);
  Eigen::MatrixXd logits(4, 2);
  logits << 0.0, 2.0,  //
      0.0, 5.0,        //
      0.0, 5.0,        //
      0.0, -1.0;
  dist.set_logits(logits);
  Eigen::MatrixXd entropy(1, 2);
  dist.entropy(entropy);
  CHECK(entropy(0, 0) == Approx(std::log(4.0)).epsilon(1e-14));
  const Eigen::VectorXd p = dist.probabilities().col(1);
  CHECK(entropy(0, 1) == Approx(-(p.array() * p.array().log()).sum()).epsilon(1e-14));

  std::array<int, 2> modes{};
  dist.mode(modes);
  CHECK(modes[0] == 0);  // all tied: the first
  CHECK(modes[1] == 1);  // tied 1 and 2: the first

  const std::array<int, 2> actions{3, 2};
  Eigen::MatrixXd log_prob(1, 2);
  dist.log_prob(actions, log_prob);
  CHECK(log_prob(0, 0) == Approx(std::log(0.25)).epsilon(1e-14));
  CHECK(log_prob(0, 1) == Approx(std::log(p(2))).epsilon(1e-14));
}

TEST_CASE("categorical sampling follows the probabilities with one uniform each",
          "[unit][toolkit]") {
  Eigen::MatrixXd logits(3, 1);
  logits << std::log(0.2), std::log(0.5), std::log(0.3);
  CategoricalD dist(3, 1);
  dist.set_logits(logits);

  // Inverse CDF: u < 0.2 -> 0, u < 0.7 -> 1, else 2; exactly one rng.uniform() per sample.
  Rng rng(12);
  Rng replay(12);
  std::array<int, 3> counts{};
  const int draws = 60000;
  std::array<int, 1> action{};
  for (int k = 0; k < draws; ++k) {
    dist.sample(rng, action);
    const double u = replay.uniform();
    const int expected = u < 0.2 ? 0 : (u < 0.7 ? 1 : 2);
    REQUIRE(action[0] == expected);
    ++counts[static_cast<std::size_t>(action[0])];
  }
  CHECK(counts[0] / double(draws) == Approx(0.2).margin(0.01));
  CHECK(counts[1] / double(draws) == Approx(0.5).margin(0.01));

  // An action with probability 0 is never drawn, even for u close to 1.
  Eigen::MatrixXd certain(3, 1);
  certain << 0.0, -1e30, -1e30;
  dist.set_logits(certain);
  for (int k = 0; k < 100; ++k) {
    dist.sample(rng, action);
    CHECK(action[0] == 0);
  }
}

TEST_CASE("categorical log prob gradient matches finite differences", "[unit][toolkit]") {
  Eigen::MatrixXd logits = logits_3x4();
  const std::array<int, 4> actions{2, 0, 1, 2};
  Eigen::MatrixXd weights(1, 4);
  weights << 0.5, -1.2, 2.0, 0.7;
  CategoricalD dist(3, 4);

  // L = sum_i w_i log p(a_i)
  auto loss = [&] {
    dist.set_logits(logits);
    Eigen::MatrixXd lp(1, 4);
    dist.log_prob(actions, lp);
    return lp.cwiseProduct(weights).sum();
  };
  loss();
  Eigen::MatrixXd grad = Eigen::MatrixXd::Zero(3, 4);
  dist.add_log_prob_gradient(actions, weights, grad);
  Eigen::Map<Eigen::VectorXd> flat(logits.data(), logits.size());
  const Eigen::VectorXd numeric = recrl::test::numerical_gradient(flat, loss);
  CHECK(recrl::test::gradient_error(Eigen::Map<const Eigen::VectorXd>(grad.data(), grad.size()),
                                    numeric) < 1e-8);
}

TEST_CASE("categorical entropy gradient matches finite differences", "[unit][toolkit]") {
  Eigen::MatrixXd logits = logits_3x4();
  Eigen::MatrixXd weights(1, 4);
  weights << -0.01, 1.0, 0.3, -2.0;
  CategoricalD dist(3, 4);
  auto loss = [&] {
    dist.set_logits(logits);
    Eigen::MatrixXd h(1, 4);
    dist.entropy(h);
    return h.cwiseProduct(weights).sum();
  };
  loss();
  // Accumulates onto what is there.
  Eigen::MatrixXd grad = Eigen::MatrixXd::Constant(3, 4, 1.0);
  dist.add_entropy_gradient(weights, grad);
  grad.array() -= 1.0;
  Eigen::Map<Eigen::VectorXd> flat(logits.data(), logits.size());
  const Eigen::VectorXd numeric = recrl::test::numerical_gradient(flat, loss);
  CHECK(recrl::test::gradient_error(Eigen::Map<const Eigen::VectorXd>(grad.data(), grad.size()),
                                    numeric) < 1e-8);
}
