#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

#include "recrl/report/curve_band.hpp"

using recrl::report::curve_band;
using recrl::report::t_quantile_975;
using recrl::store::CurvePoint;

namespace {

std::vector<CurvePoint> curve(const std::vector<std::pair<std::int64_t, double>>& points) {
  std::vector<CurvePoint> out;
  for (const auto& [steps, mean] : points) out.push_back({steps, mean, 0.1, 1, std::nullopt, 1.0});
  return out;
}

}  // namespace

TEST_CASE("curve_band averages seeds on the env steps they share", "[report]") {
  const auto band = curve_band({curve({{1000, 1}, {2000, 5}, {3000, 2}}),
                                curve({{1000, 2}, {2000, 5}, {3000, 2}}),
                                curve({{1000, 3}, {3000, 2}, {4000, 9}})});
  CHECK(band.seeds == 3);
  REQUIRE(band.env_steps == std::vector<std::int64_t>{1000, 3000});
  REQUIRE(band.has_band());
  // At 1000 steps: 1, 2, 3: mean 2, s = 1, half width t(0.975, 2) / sqrt(3).
  CHECK(band.mean[0] == Approx(2));
  CHECK(band.lower[0] == Approx(2 - 4.303 / std::sqrt(3.0)));
  CHECK(band.upper[0] == Approx(2 + 4.303 / std::sqrt(3.0)));
  // At 3000 steps every seed has 2: no spread.
  CHECK(band.mean[1] == Approx(2));
  CHECK(band.lower[1] == Approx(2));
  CHECK(band.upper[1] == Approx(2));
}

TEST_CASE("curve_band of one seed has a line but no band", "[report]") {
  const auto band = curve_band({curve({{10, 0.5}, {20, 0.7}})});
  CHECK(band.seeds == 1);
  CHECK(band.mean == std::vector<double>{0.5, 0.7});
  CHECK_FALSE(band.has_band());
}

TEST_CASE("curve_band of seeds without a shared point is empty", "[report]") {
  CHECK(curve_band({}).env_steps.empty());
  const auto band = curve_band({curve({{10, 0.5}}), curve({{20, 0.7}})});
  CHECK(band.env_steps.empty());
  CHECK(band.mean.empty());
}

TEST_CASE("t_quantile_975 matches the t table and tends to the normal quantile", "[report]") {
  CHECK(t_quantile_975(1) == Approx(12.706));
  CHECK(t_quantile_975(4) == Approx(2.776));
  CHECK(t_quantile_975(30) == Approx(2.042));
  CHECK(t_quantile_975(60) == Approx(2.000298).margin(1e-3));
  CHECK(t_quantile_975(1000) == Approx(1.962339).margin(1e-4));
}
