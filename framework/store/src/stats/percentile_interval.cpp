#include "percentile_interval.hpp"

#include <algorithm>
#include <cmath>

#include "order_statistics.hpp"
#include "recrl/core/errors.hpp"

namespace recrl::stats::detail {

ConfidenceInterval::Bounds percentile_bounds(std::vector<double>& replicates, double confidence) {
  RECRL_ASSERT(!replicates.empty(), "percentile interval of no replicates");
  for (double value : replicates) {
    if (!std::isfinite(value)) {
      throw Error("error: statistics: a bootstrap resample gave " + std::to_string(value) +
                  " (a ratio over a resampled reference of 0?); no interval can be given");
    }
  }
  std::sort(replicates.begin(), replicates.end());
  const double tail = (1.0 - confidence) / 2.0;
  return {percentile_of_sorted(replicates, tail), percentile_of_sorted(replicates, 1.0 - tail)};
}

}  // namespace recrl::stats::detail
