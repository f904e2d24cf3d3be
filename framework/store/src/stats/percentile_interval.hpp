#pragma once

// The percentile interval of a set of bootstrap replicates (internal to recrl_core).

#include <vector>

#include "recrl/stats/bootstrap.hpp"

namespace recrl::stats::detail {

// arch's conf_int(method="percentile"), as rliable uses it: the (1 - c) / 2 and (1 + c) / 2
// percentiles of the replicates (numpy "linear"). Sorts `replicates` in place; throws
// recrl::Error when a replicate is not finite (e.g. a ratio whose resampled denominator is 0).
ConfidenceInterval::Bounds percentile_bounds(std::vector<double>& replicates, double confidence);

}  // namespace recrl::stats::detail
