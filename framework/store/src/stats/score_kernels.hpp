#pragma once

// The aggregates and the probability of improvement on scratch matrices that they may reorder
// (sort in place), so that the bootstrap loop allocates nothing. Internal to recrl_core.

#include "recrl/stats/aggregate.hpp"

namespace recrl::stats::detail {

// aggregate_scores() of `scratch`; may sort the values of `scratch` in place (across tasks).
double aggregate_in_place(ScoreMatrix& scratch, Aggregate aggregate);

// The aggregate of one task's runs (a column): `column` may be sorted in place.
double aggregate_column_in_place(double* column, Eigen::Index runs, Aggregate aggregate);

// probability_of_improvement() of `x` over `y`; sorts each column of both in place.
double probability_of_improvement_in_place(ScoreMatrix& x, ScoreMatrix& y);

// 100 * mean over tasks of aggregate(numerator column) / aggregate(denominator column);
// sorts columns in place. A zero denominator gives an infinite or NaN result, which the
// caller reports.
double percent_ratio_in_place(ScoreMatrix& numerator, ScoreMatrix& denominator,
                              Aggregate aggregate);

}  // namespace recrl::stats::detail
