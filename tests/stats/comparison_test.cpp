// The verdict on two algorithms: a winner only when the interval of P(X > Y) excludes 0.5.
#include <vector>

#include <catch2/catch.hpp>

#include "recrl/core/random.hpp"
#include "recrl/stats/aggregate.hpp"
#include "recrl/stats/comparison.hpp"

using recrl::Rng;
using recrl::stats::compare_algorithms;
using recrl::stats::ScoreMatrix;
using recrl::stats::single_task;
using recrl::stats::Verdict;

namespace {

ScoreMatrix seeds(std::vector<double> scores) { return single_task(scores); }

}  // namespace

TEST_CASE("an algorithm better on every seed wins the comparison", "[unit][stats]") {
  Rng rng(1);
  const auto c = compare_algorithms("ppo", seeds({0.81, 0.80, 0.82, 0.79, 0.83}), "a2c",
                                    seeds({0.70, 0.72, 0.69, 0.71, 0.73}), rng);
  CHECK(c.verdict == Verdict::FirstBetter);
  CHECK(c.distinguishable());
  CHECK(c.str() == "ppo > a2c (P = 1.00 [1.00, 1.00])");
}

TEST_CASE("the better algorithm is named first whichever order it is given in", "[unit][stats]") {
  Rng rng(1);
  const auto c = compare_algorithms("a2c", seeds({0.70, 0.72, 0.69, 0.71, 0.73}), "ppo",
                                    seeds({0.81, 0.80, 0.82, 0.79, 0.83}), rng);
  CHECK(c.verdict == Verdict::SecondBetter);
  CHECK(c.improvement.estimate == 0.0);
  CHECK(c.str() == "ppo > a2c (P = 1.00 [1.00, 1.00])");
}

TEST_CASE("a likely but uncertain improvement shows its interval", "[unit][stats]") {
  // P(ppo > a2c) = 21.5 of 25 pairs (0.70 loses three, ties one, beats one). Whether that
  // is distinguishable is the bootstrap's call: the verdict must agree with the bounds.
  Rng rng(3);
  const auto c = compare_algorithms("ppo", seeds({0.80, 0.78, 0.83, 0.70, 0.85}), "a2c",
                                    seeds({0.72, 0.75, 0.70, 0.74, 0.69}), rng);
  REQUIRE(c.improvement.has_bounds());
  const bool above = c.improvement.bounds->lower > 0.5;
  CHECK((c.verdict == Verdict::FirstBetter) == above);
  CHECK(c.improvement.estimate == Approx(21.5 / 25.0).margin(1e-12));
}

TEST_CASE("overlapping algorithms are not distinguishable", "[unit][stats]") {
  Rng rng(2);
  const auto c = compare_algorithms(
      "ppo", seeds({0.61, 0.72, 0.58, 0.80, 0.69, 0.75, 0.66, 0.71, 0.63, 0.77}), "a2c",
      seeds({0.64, 0.70, 0.60, 0.78, 0.67, 0.74, 0.68, 0.73, 0.62, 0.76}), rng);
  CHECK(c.verdict == Verdict::NotDistinguishable);
  CHECK_FALSE(c.distinguishable());
  CHECK_THAT(c.str(), Catch::StartsWith("ppo ~ a2c: not distinguishable at 95% (P = 0."));
}

TEST_CASE("identical constant scores are not distinguishable", "[unit][stats]") {
  Rng rng(2);
  const auto c = compare_algorithms("oracle", seeds({0.8179, 0.8179, 0.8179}), "oracle-2",
                                    seeds({0.8179, 0.8179, 0.8179}), rng);
  CHECK(c.verdict == Verdict::NotDistinguishable);
  CHECK(c.str() == "oracle ~ oracle-2: not distinguishable at 95% (P = 0.50 [0.50, 0.50])");
}

TEST_CASE("one seed gives no verdict and says why", "[unit][stats]") {
  Rng rng(2);
  const auto c = compare_algorithms("ppo", seeds({0.81, 0.80, 0.82}), "a2c", seeds({0.70}), rng);
  CHECK(c.verdict == Verdict::TooFewRuns);
  CHECK(c.str() == "ppo ~ a2c: not distinguishable (a2c has 1 run; an interval needs at least 2)");
}

TEST_CASE("the confidence in the verdict text follows the options", "[unit][stats]") {
  Rng rng(2);
  recrl::stats::BootstrapOptions options;
  options.confidence = 0.9;
  const auto c =
      compare_algorithms("ppo", seeds({1, 2, 3, 4}), "a2c", seeds({2, 3, 1, 4}), rng, options);
  CHECK_THAT(c.str(), Catch::Contains("not distinguishable at 90% (P = 0.50"));
}
