#pragma once

// Statistics of an already sorted sample, shared by the point estimates, the aggregates and
// the bootstrap (internal to recrl_core). Each takes a non-empty, ascending span.

#include <span>

namespace recrl::stats::detail {

// numpy.median of a sorted sample.
double median_of_sorted(std::span<const double> sorted);

// scipy.stats.trim_mean(x, 0.25) of a sorted sample: the mean of sorted[k, n - k) with
// k = floor(n / 4), summed in ascending order.
double iqm_of_sorted(std::span<const double> sorted);

// numpy.percentile(x, 100 * q) with its default "linear" method, q in [0, 1]: the value at the
// virtual index q * (n - 1), interpolated between its neighbours with numpy's lerp (which is
// exact at both ends and monotone, so an all-equal sample gives that value exactly).
double percentile_of_sorted(std::span<const double> sorted, double q);

}  // namespace recrl::stats::detail
