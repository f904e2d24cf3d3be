// Point estimates over one sample of per-seed scores, against values worked out by hand.
#include <array>
#include <cmath>
#include <limits>
#include <vector>

#include <catch2/catch.hpp>

#include "recrl/core/errors.hpp"
#include "recrl/stats/summary.hpp"

using recrl::stats::interquartile_mean;
using recrl::stats::median;
using recrl::stats::sample_std;
using recrl::stats::summarize_sample;

TEST_CASE("summary of ten scores matches the hand computation", "[unit][stats]") {
  // Sorted: 1 1 2 3 3 4 5 5 6 9; sum 39.
  const std::vector<double> scores{3, 1, 4, 1, 5, 9, 2, 6, 5, 3};
  const auto summary = summarize_sample(scores);
  CHECK(summary.count == 10);
  CHECK(summary.mean == Approx(3.9).margin(1e-12));
  // Squared deviations from 3.9 sum to 54.9; 54.9 / 9 = 6.1.
  REQUIRE(summary.std.has_value());
  CHECK(*summary.std == Approx(std::sqrt(6.1)).margin(1e-12));
  CHECK(summary.median == Approx(3.5).margin(1e-12));  // (3 + 4) / 2
  // floor(10 / 4) = 2 dropped from each end: (2 + 3 + 3 + 4 + 5 + 5) / 6 = 22 / 6.
  CHECK(summary.iqm == Approx(22.0 / 6.0).margin(1e-12));
  CHECK(summary.min == 1.0);
  CHECK(summary.max == 9.0);
}

TEST_CASE("iqm of eight values drops the two lowest and the two highest", "[unit][stats]") {
  // Sorted: -50 0 2 3 5 7 10 100; the middle four are 2 3 5 7.
  const std::vector<double> scores{10, 0, 7, 2, 100, 3, 5, -50};
  CHECK(interquartile_mean(scores) == Approx(17.0 / 4.0).margin(1e-12));
  CHECK(median(scores) == Approx(4.0).margin(1e-12));
  CHECK(recrl::stats::mean(scores) == Approx(77.0 / 8.0).margin(1e-12));
}

TEST_CASE("iqm trims floor of a quarter of the sample from each end", "[unit][stats]") {
  // scipy.stats.trim_mean(x, 0.25): n = 3 trims nothing, n = 5 trims one value at each end.
  CHECK(interquartile_mean(std::vector<double>{1, 2, 30}) == Approx(11.0).margin(1e-12));
  CHECK(interquartile_mean(std::vector<double>{1, 2, 3, 4, 100}) == Approx(3.0).margin(1e-12));
  CHECK(interquartile_mean(std::vector<double>{-7, 1, 2, 3, 4, 5, 100}) ==
        Approx(3.0).margin(1e-12));  // n = 7: keeps 1 2 3 4 5
  CHECK(interquartile_mean(std::vector<double>{4.5}) == 4.5);
}

TEST_CASE("median of an odd sample is its middle value", "[unit][stats]") {
  CHECK(median(std::vector<double>{5, 1, 3}) == 3.0);
}

TEST_CASE("one score has no sample standard deviation", "[unit][stats]") {
  const std::array<double, 1> one{0.8};
  CHECK_FALSE(sample_std(one).has_value());
  const auto summary = summarize_sample(one);
  CHECK(summary.mean == 0.8);
  CHECK(summary.iqm == 0.8);
  CHECK_FALSE(summary.std.has_value());
}

TEST_CASE("all equal scores give zero spread and that value everywhere", "[unit][stats]") {
  const std::vector<double> scores(6, 0.8179);
  const auto summary = summarize_sample(scores);
  CHECK(*summary.std == 0.0);
  CHECK(summary.mean == Approx(0.8179).margin(1e-15));
  CHECK(summary.median == 0.8179);
  CHECK(summary.iqm == Approx(0.8179).margin(1e-15));
}

TEST_CASE("a nan or infinite score is refused", "[unit][stats]") {
  const std::vector<double> with_nan{1.0, std::numeric_limits<double>::quiet_NaN(), 2.0};
  REQUIRE_THROWS_AS(summarize_sample(with_nan), recrl::Error);
  REQUIRE_THROWS_WITH(summarize_sample(with_nan), Catch::Contains("score 1 is nan"));
  const std::vector<double> with_inf{1.0, std::numeric_limits<double>::infinity()};
  REQUIRE_THROWS_WITH(interquartile_mean(with_inf), Catch::Contains("score 1 is inf"));
}

TEST_CASE("an empty sample is refused", "[unit][stats]") {
  REQUIRE_THROWS_WITH(summarize_sample(std::vector<double>{}), Catch::Contains("no scores"));
}
