// Stratified percentile bootstrap intervals: exact cases, reproducibility and a large-sample
// check against the normal approximation.
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include <catch2/catch.hpp>

#include "recrl/core/errors.hpp"
#include "recrl/core/random.hpp"
#include "recrl/stats/aggregate.hpp"
#include "recrl/stats/bootstrap.hpp"

using recrl::Rng;
using recrl::stats::Aggregate;
using recrl::stats::aggregate_scores;
using recrl::stats::bootstrap_interval;
using recrl::stats::bootstrap_ratio_interval;
using recrl::stats::BootstrapOptions;
using recrl::stats::percent_of_reference;
using recrl::stats::ScoreMatrix;
using recrl::stats::single_task;

namespace {

// Ten seeds of one algorithm.
const std::vector<double> kTenScores{0.61, 0.72, 0.58, 0.80, 0.69, 0.75, 0.66, 0.71, 0.63, 0.77};

// numpy.percentile(sorted, 100 * q), "linear": worked out here independently of the library.
double numpy_percentile(const std::vector<double>& sorted, double q) {
  const double h = q * static_cast<double>(sorted.size() - 1);
  const auto below = static_cast<std::size_t>(std::floor(h));
  const double t = h - std::floor(h);
  const double a = sorted[below];
  const double b = sorted[std::min(below + 1, sorted.size() - 1)];
  return t >= 0.5 ? b - (b - a) * (1.0 - t) : a + (b - a) * t;
}

}  // namespace

TEST_CASE("aggregates of a two task matrix match the hand computation", "[unit][stats]") {
  ScoreMatrix scores(3, 2);  // [runs x tasks]
  scores << 1, 10,           //
      2, 20,                 //
      3, 60;
  // Mean of task means: (2 + 30) / 2.
  CHECK(aggregate_scores(scores, Aggregate::Mean) == Approx(16.0).margin(1e-12));
  // Pooled 1 2 3 10 20 60: median (3 + 10) / 2; IQM drops floor(6 / 4) = 1 at each end.
  CHECK(aggregate_scores(scores, Aggregate::Median) == Approx(6.5).margin(1e-12));
  CHECK(aggregate_scores(scores, Aggregate::Iqm) == Approx(35.0 / 4.0).margin(1e-12));
}

TEST_CASE("the same data and seed give the same interval bit for bit", "[unit][stats]") {
  const ScoreMatrix scores = single_task(kTenScores);
  for (Aggregate aggregate : {Aggregate::Mean, Aggregate::Median, Aggregate::Iqm}) {
    Rng first(42);
    Rng second(42);
    const auto a = bootstrap_interval(scores, aggregate, first);
    const auto b = bootstrap_interval(scores, aggregate, second);
    REQUIRE(a.has_bounds());
    CHECK(a.bounds->lower == b.bounds->lower);
    CHECK(a.bounds->upper == b.bounds->upper);
    CHECK(a.estimate == b.estimate);
  }
  Rng other_seed(43);
  Rng seed_42(42);
  const auto with_42 = bootstrap_interval(scores, Aggregate::Iqm, seed_42);
  const auto with_43 = bootstrap_interval(scores, Aggregate::Iqm, other_seed);
  CHECK((with_42.bounds->lower != with_43.bounds->lower ||
         with_42.bounds->upper != with_43.bounds->upper));
}

TEST_CASE("the interval of each aggregate contains its point estimate", "[unit][stats]") {
  const ScoreMatrix scores = single_task(kTenScores);
  for (Aggregate aggregate : {Aggregate::Mean, Aggregate::Median, Aggregate::Iqm}) {
    Rng rng(7);
    const auto interval = bootstrap_interval(scores, aggregate, rng);
    REQUIRE(interval.has_bounds());
    CHECK(interval.bounds->lower <= interval.estimate);
    CHECK(interval.estimate <= interval.bounds->upper);
    CHECK(interval.bounds->lower < interval.bounds->upper);
    CHECK(interval.bounds->lower >= 0.58);  // never outside the data's range
    CHECK(interval.bounds->upper <= 0.80);
  }
  Rng rng(7);
  CHECK(bootstrap_interval(scores, Aggregate::Iqm, rng).estimate ==
        Approx((0.63 + 0.66 + 0.69 + 0.71 + 0.72 + 0.75) / 6.0).margin(1e-12));
}

TEST_CASE("the bootstrap follows its documented draw order and numpy percentiles",
          "[unit][stats]") {
  // Reproduces bootstrap_interval of the mean by hand: per repetition, one uniform_int(n) per
  // run slot; then the 2.5th and 97.5th numpy percentiles of the repetitions.
  const ScoreMatrix scores = single_task(kTenScores);
  BootstrapOptions options;
  options.repetitions = 500;
  Rng by_hand(2024);
  std::vector<double> replicates;
  for (int rep = 0; rep < options.repetitions; ++rep) {
    double sum = 0.0;
    for (std::size_t slot = 0; slot < kTenScores.size(); ++slot) {
      sum += kTenScores[by_hand.uniform_int(kTenScores.size())];
    }
    replicates.push_back(sum / static_cast<double>(kTenScores.size()));
  }
  std::sort(replicates.begin(), replicates.end());
  Rng rng(2024);
  const auto interval = bootstrap_interval(scores, Aggregate::Mean, rng, options);
  CHECK(interval.bounds->lower == numpy_percentile(replicates, 0.025));
  CHECK(interval.bounds->upper == numpy_percentile(replicates, 0.975));
  CHECK(rng.next_u64() == by_hand.next_u64());  // and draws exactly as many numbers
}

TEST_CASE("the 80 percent interval of the mean of 0 1 2 is one third to five thirds",
          "[unit][stats]") {
  // Enumerating the 27 equally likely resamples: the resample sum is 0..6 with counts
  // 1 3 6 7 6 3 1. P(sum <= 0) = 1/27 < 0.1 < P(sum <= 1) = 4/27, so the 10th percentile is a
  // sum of 1; P(sum <= 4) = 23/27 < 0.9 < P(sum <= 5) = 26/27, so the 90th is a sum of 5.
  const ScoreMatrix scores = single_task(std::vector<double>{0.0, 1.0, 2.0});
  BootstrapOptions options;
  options.confidence = 0.8;
  options.repetitions = 20000;  // puts both percentiles far from a jump of the bootstrap CDF
  Rng rng(1);
  const auto interval = bootstrap_interval(scores, Aggregate::Mean, rng, options);
  CHECK(interval.bounds->lower == Approx(1.0 / 3.0).margin(1e-12));
  CHECK(interval.bounds->upper == Approx(5.0 / 3.0).margin(1e-12));
}

TEST_CASE(
    "for a normal sample of 1000 the interval of the mean is mean plus or minus 1.96 "
    "standard errors",
    "[unit][stats]") {
  Rng data_rng(99);
  std::vector<double> sample(1000);
  for (double& x : sample) x = data_rng.normal(5.0, 2.0);
  double mean = 0.0;
  for (double x : sample) mean += x;
  mean /= 1000.0;
  double squares = 0.0;
  for (double x : sample) squares += (x - mean) * (x - mean);
  const double half_width = 1.96 * std::sqrt(squares / 999.0) / std::sqrt(1000.0);

  BootstrapOptions options;
  options.repetitions = 4000;
  Rng rng(5);
  const auto interval = bootstrap_interval(single_task(sample), Aggregate::Mean, rng, options);
  // Monte Carlo error of each bound is about 2 % of the half width with 4000 repetitions; the
  // 90 % interval's bounds (a wrong tail) would be 16 % inside.
  CHECK(interval.bounds->lower == Approx(mean - half_width).margin(0.1 * half_width));
  CHECK(interval.bounds->upper == Approx(mean + half_width).margin(0.1 * half_width));
}

TEST_CASE("all equal scores give a zero width interval", "[unit][stats]") {
  const ScoreMatrix scores = single_task(std::vector<double>(10, 0.8179));
  for (Aggregate aggregate : {Aggregate::Mean, Aggregate::Median, Aggregate::Iqm}) {
    Rng rng(3);
    const auto interval = bootstrap_interval(scores, aggregate, rng);
    REQUIRE(interval.has_bounds());
    CHECK(interval.bounds->lower == interval.bounds->upper);
    CHECK(interval.bounds->lower == Approx(0.8179).margin(1e-15));
  }
}

TEST_CASE("one seed gives an estimate without an interval", "[unit][stats]") {
  Rng rng(3);
  const auto interval =
      bootstrap_interval(single_task(std::vector<double>{0.75}), Aggregate::Iqm, rng);
  CHECK_FALSE(interval.has_bounds());
  CHECK(interval.estimate == 0.75);
  CHECK(interval.str() == "0.750 (no interval: 1 run)");
}

TEST_CASE("an interval prints as estimate and bounds", "[unit][stats]") {
  recrl::stats::ConfidenceInterval interval;
  interval.estimate = 0.8123;
  interval.bounds = recrl::stats::ConfidenceInterval::Bounds{0.79, 0.8304};
  CHECK(interval.str() == "0.812 [0.790, 0.830]");
  CHECK(interval.str(1) == "0.8 [0.8, 0.8]");
}

TEST_CASE("strata are resampled separately so tasks never mix", "[unit][stats]") {
  // Task 0 scores all 0 and task 1 all 100: every stratified resample keeps ten of each, so
  // the mean of task means is 50 in every repetition. A pooled bootstrap would spread it.
  ScoreMatrix scores(10, 2);
  scores.col(0).setConstant(0.0);
  scores.col(1).setConstant(100.0);
  Rng rng(11);
  const auto interval = bootstrap_interval(scores, Aggregate::Mean, rng);
  CHECK(interval.bounds->lower == 50.0);
  CHECK(interval.bounds->upper == 50.0);
}

TEST_CASE("percent of oracle scales each task by its reference", "[unit][stats]") {
  ScoreMatrix scores(2, 2);
  scores << 0.4, 3.0,  //
      0.6, 6.0;
  const std::vector<double> oracle{0.8, 12.0};
  const ScoreMatrix percent = percent_of_reference(scores, oracle);
  CHECK(percent(0, 0) == Approx(50.0).margin(1e-12));
  CHECK(percent(1, 0) == Approx(75.0).margin(1e-12));
  CHECK(percent(0, 1) == Approx(25.0).margin(1e-12));
  CHECK(percent(1, 1) == Approx(50.0).margin(1e-12));
  REQUIRE_THROWS_WITH(percent_of_reference(scores, std::vector<double>{0.8, 0.0}),
                      Catch::Contains("reference of task 1 is 0"));
  REQUIRE_THROWS_AS(percent_of_reference(scores, std::vector<double>{0.8}), recrl::Error);
}

TEST_CASE("ratio interval of scores to an oracle matches the hand computation", "[unit][stats]") {
  const ScoreMatrix scores = single_task(std::vector<double>{0.4, 0.5, 0.6, 0.5});
  const ScoreMatrix oracle = single_task(std::vector<double>{0.8, 0.8, 0.8});
  Rng rng(8);
  const auto interval = bootstrap_ratio_interval(scores, oracle, Aggregate::Mean, rng);
  CHECK(interval.estimate == Approx(62.5).margin(1e-12));  // 100 * 0.5 / 0.8
  REQUIRE(interval.has_bounds());
  CHECK(interval.bounds->lower >= 50.0);  // 100 * 0.4 / 0.8
  CHECK(interval.bounds->upper <= 75.0);
  CHECK(interval.bounds->lower < 62.5);
  CHECK(interval.bounds->upper > 62.5);

  const ScoreMatrix zero_oracle = single_task(std::vector<double>{0.0, 0.0});
  REQUIRE_THROWS_WITH(bootstrap_ratio_interval(scores, zero_oracle, Aggregate::Mean, rng),
                      Catch::Contains("is 0 on some task"));
}

TEST_CASE("a nan score is refused by the bootstrap", "[unit][stats]") {
  ScoreMatrix scores = single_task(kTenScores);
  scores(4, 0) = std::numeric_limits<double>::quiet_NaN();
  Rng rng(1);
  REQUIRE_THROWS_AS(bootstrap_interval(scores, Aggregate::Iqm, rng), recrl::Error);
  REQUIRE_THROWS_WITH(bootstrap_interval(scores, Aggregate::Iqm, rng),
                      Catch::Contains("run 4 on task 0 is nan"));
}

TEST_CASE("bad bootstrap options are refused", "[unit][stats]") {
  Rng rng(1);
  const ScoreMatrix scores = single_task(kTenScores);
  BootstrapOptions options;
  options.confidence = 1.0;
  REQUIRE_THROWS_AS(bootstrap_interval(scores, Aggregate::Mean, rng, options), recrl::ConfigError);
  options.confidence = 0.95;
  options.repetitions = 0;
  REQUIRE_THROWS_WITH(bootstrap_interval(scores, Aggregate::Mean, rng, options),
                      Catch::Contains("repetitions must be at least 1"));
}
