#include <catch2/catch.hpp>

#include "recrl/run/normalizer.hpp"

TEST_CASE("the observation normaliser matches the pooled mean and variance of its batches",
          "[unit][run]") {
  recrl::ObservationNormalizer norm(2);
  recrl::Matrix a(2, 3);
  a << 1, 2, 3,  //
      10, 10, 40;
  recrl::Matrix b(2, 2);
  b << 5, 7,  //
      0, 20;
  norm.update(a);
  norm.update(b);
  // Pooled over the five samples, with SB3's initial count of 1e-4 at mean 0, var 1.
  const double n = 5 + 1e-4;
  const double mean0 = (1 + 2 + 3 + 5 + 7) / n;
  const double mean1 = (10 + 10 + 40 + 0 + 20) / n;
  CHECK(norm.mean()[0] == Approx(mean0).epsilon(1e-9));
  CHECK(norm.mean()[1] == Approx(mean1).epsilon(1e-9));
  double m2_0 = 1e-4 * (1 + mean0 * mean0);
  double m2_1 = 1e-4 * (1 + mean1 * mean1);
  for (double x : {1, 2, 3, 5, 7}) m2_0 += (x - mean0) * (x - mean0);
  for (double x : {10, 10, 40, 0, 20}) m2_1 += (x - mean1) * (x - mean1);
  CHECK(norm.var()[0] == Approx(m2_0 / n).epsilon(1e-9));
  CHECK(norm.var()[1] == Approx(m2_1 / n).epsilon(1e-9));
  CHECK(norm.count() == Approx(n));
}

TEST_CASE("normalised observations are centred scaled and clipped at 10", "[unit][run]") {
  recrl::ObservationNormalizer norm(1);
  norm.set_state(Eigen::VectorXd::Constant(1, 2.0), Eigen::VectorXd::Constant(1, 4.0), 100);
  recrl::Matrix raw(1, 3);
  raw << 2, 6, 1000;
  recrl::Matrix out;
  norm.normalize(raw, out);
  CHECK(out(0, 0) == Approx(0.0f).margin(1e-6));
  CHECK(out(0, 1) == Approx(2.0f).margin(1e-5));
  CHECK(out(0, 2) == Approx(10.0f));
}
