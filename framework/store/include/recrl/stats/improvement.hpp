#pragma once

#include "recrl/core/export.hpp"
#include "recrl/core/random.hpp"
#include "recrl/stats/aggregate.hpp"
#include "recrl/stats/bootstrap.hpp"

namespace recrl::stats {

// P(X > Y) as rliable's probability_of_improvement: per task, the Mann-Whitney U statistic of
// X against Y divided by n_x * n_y, i.e. the share of (x, y) run pairs with x > y, a tie
// counting 0.5; then the mean over tasks. x and y are [runs x tasks] with the same tasks; the
// run counts may differ. P(Y > X) = 1 - P(X > Y) exactly.
RECRL_API double probability_of_improvement(const ScoreMatrix& x, const ScoreMatrix& y);

// P(X > Y) with its stratified bootstrap interval (rliable StratifiedIndependentBootstrap): each
// repetition resamples x, then y, independently, each within every task (draw order as in
// bootstrap_interval, x before y). No bounds when either side has fewer than 2 runs.
RECRL_API ConfidenceInterval improvement_interval(const ScoreMatrix& x, const ScoreMatrix& y,
                                                  Rng& rng, const BootstrapOptions& options = {});

}  // namespace recrl::stats
