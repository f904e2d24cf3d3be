#pragma once

#include <span>
#include <string_view>

#include <Eigen/Core>

#include "recrl/core/export.hpp"

namespace recrl::stats {

// The scores of one algorithm: [runs x tasks], scores(n, m) = final score of run (seed) n on
// task m. A task is one environment or variant; it is a stratum of the bootstrap. Column-major,
// so the runs of one task are contiguous.
using ScoreMatrix = Eigen::MatrixXd;

// The aggregates of rliable (Agarwal et al. 2021, rliable/metrics.py), over a ScoreMatrix.
enum class Aggregate {
  Mean,    // mean over tasks of the per-task mean over runs (rliable aggregate_mean)
  Median,  // median of all runs x tasks scores pooled; see docs/statistics.md for why not
           // rliable's median of task means, which with one task is just the mean
  Iqm,     // interquartile mean of all runs x tasks scores pooled (rliable aggregate_iqm)
};

RECRL_API std::string_view aggregate_name(Aggregate aggregate);  // "mean", "median", "IQM"

// A [n x 1] matrix: n runs of one task.
RECRL_API ScoreMatrix single_task(std::span<const double> scores);

// Throws recrl::Error when the matrix is empty or holds a NaN or infinite score.
RECRL_API void check_scores(const ScoreMatrix& scores);

RECRL_API double aggregate_scores(const ScoreMatrix& scores, Aggregate aggregate);

// 100 * scores(n, m) / reference(m): scores as a percentage of a per-task reference, such as
// the oracle's mean return on that task's held-out episodes (which does not vary with the
// seed). Any Aggregate of the result, and its bootstrap interval, is then "% of oracle".
// Throws recrl::Error when a reference is zero or not finite, or the sizes disagree.
RECRL_API ScoreMatrix percent_of_reference(const ScoreMatrix& scores,
                                           std::span<const double> reference_per_task);

}  // namespace recrl::stats
