#include "order_statistics.hpp"

#include <cmath>
#include <cstddef>

#include "recrl/core/errors.hpp"

namespace recrl::stats::detail {

double median_of_sorted(std::span<const double> sorted) {
  RECRL_ASSERT(!sorted.empty(), "median of an empty sample");
  const std::size_t n = sorted.size();
  const std::size_t middle = n / 2;
  if (n % 2 == 1) return sorted[middle];
  return (sorted[middle - 1] + sorted[middle]) / 2.0;
}

double iqm_of_sorted(std::span<const double> sorted) {
  RECRL_ASSERT(!sorted.empty(), "interquartile mean of an empty sample");
  // scipy computes int(0.25 * n); 0.25 * n is exact in binary, so this is n / 4 rounded down.
  const std::size_t cut = sorted.size() / 4;
  const std::size_t kept = sorted.size() - 2 * cut;
  double sum = 0.0;
  for (std::size_t i = cut; i < cut + kept; ++i) sum += sorted[i];
  return sum / static_cast<double>(kept);
}

double percentile_of_sorted(std::span<const double> sorted, double q) {
  RECRL_ASSERT(!sorted.empty(), "percentile of an empty sample");
  RECRL_ASSERT(q >= 0.0 && q <= 1.0, "percentile level outside [0, 1]");
  const double virtual_index = q * static_cast<double>(sorted.size() - 1);
  const double floor_index = std::floor(virtual_index);
  const auto below = static_cast<std::size_t>(floor_index);
  const std::size_t above = below + 1 < sorted.size() ? below + 1 : below;
  const double t = virtual_index - floor_index;
  const double a = sorted[below];
  const double b = sorted[above];
  const double difference = b - a;
  // numpy's _lerp: interpolate from the nearer end, so that t = 1 gives b exactly.
  return t >= 0.5 ? b - difference * (1.0 - t) : a + difference * t;
}

}  // namespace recrl::stats::detail
