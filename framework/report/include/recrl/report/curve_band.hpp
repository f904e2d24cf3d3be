#pragma once

#include <cstdint>
#include <vector>

#include "recrl/core/export.hpp"
#include "recrl/store/records.hpp"

namespace recrl::report {

// The learning curve of one algorithm over its seeds: at each env_steps value that every seed
// evaluated at, the mean eval reward across seeds and its 95% Student-t interval
// (mean +- t(0.975, n - 1) * s / sqrt(n), s the sample std across seeds). A t-interval rather
// than a bootstrap: it needs no random numbers, and a bootstrap over 5 seeds is too coarse.
struct RECRL_API CurveBand {
  int seeds = 0;
  std::vector<std::int64_t> env_steps;
  std::vector<double> mean;
  std::vector<double> lower;  // empty when seeds < 2: no interval
  std::vector<double> upper;

  bool has_band() const { return !lower.empty(); }
};

// Aligns the seeds' curves on the env_steps they share (points a seed lacks are dropped from
// every seed) and averages them. An empty CurveBand (no env_steps) when there are no curves
// or they share no point.
RECRL_API CurveBand curve_band(const std::vector<std::vector<store::CurvePoint>>& seed_curves);

// The 0.975 quantile of Student's t distribution with `degrees_of_freedom` (>= 1).
RECRL_API double t_quantile_975(int degrees_of_freedom);

}  // namespace recrl::report
