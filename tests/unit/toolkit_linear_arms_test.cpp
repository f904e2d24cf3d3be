// toolkit::LinearArms, the ridge regressions of the linear bandits: a hand-computed update, the
// rank-one updates against a direct solve over many weighted steps, save/load, no allocation.
#include <sstream>

#include <Eigen/Dense>
#include <catch2/catch.hpp>

#include "recrl/core/errors.hpp"
#include "recrl/core/random.hpp"
#include "recrl/toolkit/linear_arms.hpp"
#include "toolkit_allocation_counter.hpp"

using recrl::toolkit::LinearArms;

namespace {

recrl::Vector one(float value) { return recrl::Vector::Constant(1, value); }

}  // namespace

TEST_CASE("linear arms: one update by hand", "[unit][toolkit][bandit]") {
  // lambda 1, x = [2, 1] (the feature and the constant), r = 3:
  //   A = I + x x^T = [[5, 2], [2, 2]],  A^-1 = [[1/3, -1/3], [-1/3, 5/6]],  b = [6, 3],
  //   theta = A^-1 b = [1, 1/2];  mean at x = 2.5;  x^T A^-1 x = 5/6.
  LinearArms arms(2, 1, 1.0);
  arms.set_context(one(2));
  CHECK(arms.mean(0) == 0.0);
  CHECK(arms.variance(0) == Approx(5.0));  // x^T x / lambda before any data
  arms.update(0, 3.0);
  CHECK(arms.mean(0) == Approx(2.5).epsilon(1e-12));
  CHECK(arms.variance(0) == Approx(5.0 / 6.0).epsilon(1e-12));
  CHECK(arms.mean(1) == 0.0);  // disjoint: the other action learned nothing
  CHECK(arms.variance(1) == Approx(5.0));
  arms.set_context(one(0));  // x = [0, 1]: the intercept alone, theta[1] = 1/2, (A^-1)_11 = 5/6
  CHECK(arms.mean(0) == Approx(0.5).epsilon(1e-12));
  CHECK(arms.variance(0) == Approx(5.0 / 6.0).epsilon(1e-12));
  CHECK(arms.updates(0) == 1);
  CHECK(arms.updates(1) == 0);
}

TEST_CASE("linear arms: rank-one updates and accumulate-then-solve equal the direct solution",
          "[unit][toolkit][bandit]") {
  constexpr int kFeatures = 4;
  constexpr double kLambda = 0.5;
  LinearArms arms(3, kFeatures, kLambda);
  LinearArms batch(3, kFeatures, kLambda);  // the same rows, as `recrl fit` adds a log's
  // The same regression solved directly for action 1.
  Eigen::MatrixXd a = Eigen::MatrixXd::Identity(kFeatures + 1, kFeatures + 1) * kLambda;
  Eigen::VectorXd b = Eigen::VectorXd::Zero(kFeatures + 1);
  recrl::Rng rng(11);
  recrl::Vector obs(kFeatures);
  // 10,000 steps cross two refreshes of action 1 (kRefreshEvery = 4096 of its updates).
  for (int step = 0; step < 30000; ++step) {
    for (int i = 0; i < kFeatures; ++i) obs[i] = static_cast<float>(rng.normal(0, 2));
    const int action = static_cast<int>(rng.uniform_int(3));
    const double reward = 0.3 * obs[0] - 0.7 * obs[2] + 0.1 + rng.normal(0, 0.5);
    const double weight = 0.2 + rng.uniform() * 4;  // importance weights, as in fitting from logs
    arms.set_context(obs);
    arms.update(action, reward, weight);
    batch.set_context(obs);
    batch.accumulate(action, reward, weight);
    if (action == 1) {
      Eigen::VectorXd x(kFeatures + 1);
      x << obs.cast<double>(), 1.0;
      a += weight * x * x.transpose();
      b += weight * reward * x;
    }
  }
  REQUIRE(arms.updates(1) > 2 * LinearArms::kRefreshEvery);
  batch.solve();
  CHECK(batch.updates(1) == arms.updates(1));
  const Eigen::VectorXd theta = a.llt().solve(b);
  const Eigen::MatrixXd a_inv = a.inverse();
  for (int probe = 0; probe < 20; ++probe) {
    for (int i = 0; i < kFeatures; ++i) obs[i] = static_cast<float>(rng.normal(0, 2));
    Eigen::VectorXd x(kFeatures + 1);
    x << obs.cast<double>(), 1.0;
    arms.set_context(obs);
    CHECK(arms.mean(1) == Approx(theta.dot(x)).epsilon(1e-9).margin(1e-12));
    CHECK(arms.variance(1) == Approx(x.dot(a_inv * x)).epsilon(1e-9));
    batch.set_context(obs);
    CHECK(batch.mean(1) == Approx(theta.dot(x)).epsilon(1e-12).margin(1e-14));
    CHECK(batch.variance(1) == Approx(x.dot(a_inv * x)).epsilon(1e-12));
  }
  CHECK(theta[0] == Approx(0.3).margin(0.01));  // and the regression found the truth
  CHECK(theta[2] == Approx(-0.7).margin(0.01));
}

TEST_CASE("linear arms: save and load give the same numbers bit for bit",
          "[unit][toolkit][bandit]") {
  LinearArms trained(2, 2, 1.0);
  recrl::Rng rng(5);
  recrl::Vector obs(2);
  for (int step = 0; step < 5000; ++step) {
    obs << static_cast<float>(rng.normal()), static_cast<float>(rng.normal());
    trained.set_context(obs);
    trained.update(step % 2, obs[0] + rng.normal());
  }
  std::stringstream saved;
  trained.save(saved);
  LinearArms loaded(2, 2, 1.0);
  loaded.load(saved, "test arms");
  for (int step = 0; step < 5000; ++step) {  // and they keep learning alike
    obs << static_cast<float>(rng.normal()), static_cast<float>(rng.normal());
    for (LinearArms* arms : {&trained, &loaded}) {
      arms->set_context(obs);
      arms->update(1, obs[1]);
    }
    CHECK(trained.mean(1) == loaded.mean(1));
    CHECK(trained.variance(0) == loaded.variance(0));
  }
  std::stringstream truncated(saved.str().substr(0, 40));
  LinearArms other(2, 2, 1.0);
  CHECK_THROWS_AS(other.load(truncated, "test arms"), recrl::DataError);
  LinearArms wider(2, 3, 1.0);
  std::stringstream again;
  trained.save(again);
  CHECK_THROWS_WITH(wider.load(again, "test arms"), Catch::Contains("does not match"));
}

TEST_CASE("linear arms update without heap allocations", "[unit][toolkit][bandit]") {
  LinearArms arms(9, 10, 1.0);
  recrl::Vector obs = recrl::Vector::Constant(10, 0.5f);
  const std::uint64_t allocations = recrl::test::allocations_during([&] {
    for (int step = 0; step < 2 * LinearArms::kRefreshEvery; ++step) {
      obs[step % 10] = static_cast<float>(step % 7);
      arms.set_context(obs);
      static_cast<void>(arms.mean(step % 9) + arms.variance(step % 9));
      arms.update(0, 1.0);  // action 0 refreshes twice
    }
  });
  CHECK(allocations == 0);
}
