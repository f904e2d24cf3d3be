#include "recrl/report/curve_band.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <iterator>

#include "recrl/core/errors.hpp"

namespace recrl::report {

double t_quantile_975(int degrees_of_freedom) {
  RECRL_ASSERT(degrees_of_freedom >= 1, "a t quantile needs at least one degree of freedom");
  // Exact to the 3 decimals of the usual tables for 1..30 degrees of freedom.
  constexpr std::array<double, 30> table{12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306,
                                         2.262,  2.228, 2.201, 2.179, 2.160, 2.145, 2.131, 2.120,
                                         2.110,  2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064,
                                         2.060,  2.056, 2.052, 2.048, 2.045, 2.042};
  if (degrees_of_freedom <= 30) return table[static_cast<std::size_t>(degrees_of_freedom - 1)];
  // Beyond the table, the Cornish-Fisher expansion around the normal quantile: within 1e-4.
  const double z = 1.959963984540054;
  const double n = degrees_of_freedom;
  return z + (z * z * z + z) / (4 * n) +
         (5 * std::pow(z, 5) + 16 * z * z * z + 3 * z) / (96 * n * n);
}

CurveBand curve_band(const std::vector<std::vector<store::CurvePoint>>& seed_curves) {
  CurveBand band;
  if (seed_curves.empty()) return band;
  // The env_steps every seed has (each curve is sorted by env_steps, as the store returns it).
  std::vector<std::int64_t> shared;
  for (const store::CurvePoint& p : seed_curves.front()) shared.push_back(p.env_steps);
  std::sort(shared.begin(), shared.end());
  for (std::size_t s = 1; s < seed_curves.size(); ++s) {
    std::vector<std::int64_t> steps;
    for (const store::CurvePoint& p : seed_curves[s]) steps.push_back(p.env_steps);
    std::sort(steps.begin(), steps.end());
    std::vector<std::int64_t> both;
    std::set_intersection(shared.begin(), shared.end(), steps.begin(), steps.end(),
                          std::back_inserter(both));
    shared = std::move(both);
  }
  band.seeds = static_cast<int>(seed_curves.size());
  const double n = band.seeds;
  for (std::int64_t step : shared) {
    std::vector<double> values;
    for (const auto& curve : seed_curves) {
      const auto point = std::find_if(curve.begin(), curve.end(),
                                      [step](const auto& p) { return p.env_steps == step; });
      values.push_back(point->eval_mean);
    }
    double sum = 0;
    for (double v : values) sum += v;
    const double mean = sum / n;
    band.env_steps.push_back(step);
    band.mean.push_back(mean);
    if (band.seeds < 2) continue;
    double squares = 0;
    for (double v : values) squares += (v - mean) * (v - mean);
    const double half =
        t_quantile_975(band.seeds - 1) * std::sqrt(squares / (n - 1)) / std::sqrt(n);
    band.lower.push_back(mean - half);
    band.upper.push_back(mean + half);
  }
  return band;
}

}  // namespace recrl::report
