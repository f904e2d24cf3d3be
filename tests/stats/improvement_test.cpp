// Probability of improvement P(X > Y), as rliable: Mann-Whitney U / (n m), ties counted 0.5.
#include <vector>

#include <catch2/catch.hpp>

#include "recrl/core/errors.hpp"
#include "recrl/core/random.hpp"
#include "recrl/stats/aggregate.hpp"
#include "recrl/stats/improvement.hpp"

using recrl::Rng;
using recrl::stats::improvement_interval;
using recrl::stats::probability_of_improvement;
using recrl::stats::ScoreMatrix;
using recrl::stats::single_task;

TEST_CASE("probability of improvement counts winning pairs and half the ties", "[unit][stats]") {
  const ScoreMatrix x = single_task(std::vector<double>{1, 2, 3});
  const ScoreMatrix y = single_task(std::vector<double>{2, 2, 0});
  // x = 1 beats 0 (1); x = 2 beats 0 and ties both 2s (1 + 0.5 + 0.5); x = 3 beats all (3).
  CHECK(probability_of_improvement(x, y) == Approx(6.0 / 9.0).margin(1e-12));
  // y = 2 beats 1 and ties 2 (1.5), twice; y = 0 beats nothing.
  CHECK(probability_of_improvement(y, x) == Approx(3.0 / 9.0).margin(1e-12));
}

TEST_CASE("probability of improvement accepts different run counts", "[unit][stats]") {
  const ScoreMatrix x = single_task(std::vector<double>{1, 2, 3});
  const ScoreMatrix y = single_task(std::vector<double>{2, 4});
  // 1 wins nothing; 2 ties 2 (0.5); 3 beats 2 (1): 1.5 of 6 pairs.
  CHECK(probability_of_improvement(x, y) == Approx(0.25).margin(1e-12));
}

TEST_CASE("probability of improvement is one half for identical or all tied samples",
          "[unit][stats]") {
  const ScoreMatrix same = single_task(std::vector<double>{1, 2, 3});
  CHECK(probability_of_improvement(same, same) == 0.5);
  const ScoreMatrix ones = single_task(std::vector<double>{1, 1, 1, 1});
  CHECK(probability_of_improvement(ones, ones) == 0.5);
}

TEST_CASE("probability of improvement is the mean over tasks", "[unit][stats]") {
  ScoreMatrix x(3, 2);
  ScoreMatrix y(3, 2);
  x << 1, 5,  //
      2, 8,   //
      3, 9;
  y << 2, 1,  //
      2, 7,   //
      0, 8;
  // Task 0: 6 / 9 as above. Task 1: 5 beats 1 (1); 8 beats 1 and 7, ties 8 (2.5); 9 beats
  // all (3): 6.5 / 9. Mean: 12.5 / 18.
  CHECK(probability_of_improvement(x, y) == Approx(12.5 / 18.0).margin(1e-12));
}

TEST_CASE("probability of improvement needs the same tasks on both sides", "[unit][stats]") {
  const ScoreMatrix x = ScoreMatrix::Zero(3, 2);
  const ScoreMatrix y = ScoreMatrix::Zero(3, 1);
  REQUIRE_THROWS_WITH(probability_of_improvement(x, y),
                      Catch::Contains("over 2 tasks with scores over 1 tasks"));
}

TEST_CASE("the interval of a clear improvement is one at both ends", "[unit][stats]") {
  const ScoreMatrix x = single_task(std::vector<double>{10, 11, 12, 13, 14});
  const ScoreMatrix y = single_task(std::vector<double>{1, 2, 3, 4, 5});
  Rng rng(17);
  const auto interval = improvement_interval(x, y, rng);
  CHECK(interval.estimate == 1.0);
  CHECK(interval.bounds->lower == 1.0);
  CHECK(interval.bounds->upper == 1.0);
}

TEST_CASE("the interval of overlapping samples contains the estimate and is reproducible",
          "[unit][stats]") {
  const ScoreMatrix x =
      single_task(std::vector<double>{0.61, 0.72, 0.58, 0.80, 0.69, 0.75, 0.66, 0.71, 0.63, 0.77});
  const ScoreMatrix y =
      single_task(std::vector<double>{0.55, 0.70, 0.60, 0.64, 0.59, 0.68, 0.62, 0.57, 0.66, 0.73});
  Rng first(5);
  Rng second(5);
  const auto a = improvement_interval(x, y, first);
  const auto b = improvement_interval(x, y, second);
  CHECK(a.bounds->lower == b.bounds->lower);
  CHECK(a.bounds->upper == b.bounds->upper);
  CHECK(a.bounds->lower <= a.estimate);
  CHECK(a.estimate <= a.bounds->upper);
  CHECK(a.bounds->lower >= 0.0);
  CHECK(a.bounds->upper <= 1.0);
  // The mirror image: P(Y > X) = 1 - P(X > Y).
  CHECK(probability_of_improvement(y, x) == Approx(1.0 - a.estimate).margin(1e-12));
}

TEST_CASE("one run on either side gives no interval of improvement", "[unit][stats]") {
  const ScoreMatrix one = single_task(std::vector<double>{0.7});
  const ScoreMatrix many = single_task(std::vector<double>{0.5, 0.6, 0.8});
  Rng rng(1);
  const auto interval = improvement_interval(many, one, rng);
  CHECK_FALSE(interval.has_bounds());
  CHECK(interval.estimate == Approx(1.0 / 3.0).margin(1e-12));
  CHECK(interval.fewest_runs == 1);
}
