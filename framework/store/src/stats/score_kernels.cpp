#include "score_kernels.hpp"

#include <algorithm>
#include <span>

#include "order_statistics.hpp"
#include "recrl/core/errors.hpp"

namespace recrl::stats::detail {

namespace {

using Eigen::Index;

// rliable's aggregate_mean: the mean of the per-task means (equal to the pooled mean when
// every task has the same runs, up to rounding; kept in rliable's order).
double mean_of_task_means(const ScoreMatrix& scores) {
  double sum_of_means = 0.0;
  for (Index task = 0; task < scores.cols(); ++task) {
    double sum = 0.0;
    for (Index run = 0; run < scores.rows(); ++run) sum += scores(run, task);
    sum_of_means += sum / static_cast<double>(scores.rows());
  }
  return sum_of_means / static_cast<double>(scores.cols());
}

std::span<double> sort_values(double* values, Index count) {
  std::sort(values, values + count);
  return {values, static_cast<std::size_t>(count)};
}

// Share of (x, y) pairs with x > y, a tie counting one half, for ascending x and y: one merge
// pass instead of n * m comparisons. The count is a multiple of 0.5 and exact in a double.
double improvement_of_sorted(const double* x, Index nx, const double* y, Index ny) {
  double wins = 0.0;
  Index below = 0;      // y values < current x
  Index not_above = 0;  // y values <= current x
  for (Index i = 0; i < nx; ++i) {
    while (below < ny && y[below] < x[i]) ++below;
    while (not_above < ny && y[not_above] <= x[i]) ++not_above;
    wins += static_cast<double>(below) + 0.5 * static_cast<double>(not_above - below);
  }
  return wins / (static_cast<double>(nx) * static_cast<double>(ny));
}

}  // namespace

double aggregate_in_place(ScoreMatrix& scratch, Aggregate aggregate) {
  switch (aggregate) {
    case Aggregate::Mean:
      return mean_of_task_means(scratch);
    case Aggregate::Median:
      return median_of_sorted(sort_values(scratch.data(), scratch.size()));
    case Aggregate::Iqm:
      return iqm_of_sorted(sort_values(scratch.data(), scratch.size()));
  }
  RECRL_ASSERT(false, "unknown Aggregate");
  return 0.0;
}

double aggregate_column_in_place(double* column, Index runs, Aggregate aggregate) {
  switch (aggregate) {
    case Aggregate::Mean: {
      double sum = 0.0;
      for (Index run = 0; run < runs; ++run) sum += column[run];
      return sum / static_cast<double>(runs);
    }
    case Aggregate::Median:
      return median_of_sorted(sort_values(column, runs));
    case Aggregate::Iqm:
      return iqm_of_sorted(sort_values(column, runs));
  }
  RECRL_ASSERT(false, "unknown Aggregate");
  return 0.0;
}

double probability_of_improvement_in_place(ScoreMatrix& x, ScoreMatrix& y) {
  RECRL_ASSERT(x.cols() == y.cols(), "probability of improvement over different task counts");
  double sum = 0.0;
  for (Index task = 0; task < x.cols(); ++task) {
    double* x_runs = x.col(task).data();
    double* y_runs = y.col(task).data();
    std::sort(x_runs, x_runs + x.rows());
    std::sort(y_runs, y_runs + y.rows());
    sum += improvement_of_sorted(x_runs, x.rows(), y_runs, y.rows());
  }
  return sum / static_cast<double>(x.cols());
}

double percent_ratio_in_place(ScoreMatrix& numerator, ScoreMatrix& denominator,
                              Aggregate aggregate) {
  RECRL_ASSERT(numerator.cols() == denominator.cols(), "ratio over different task counts");
  double sum = 0.0;
  for (Index task = 0; task < numerator.cols(); ++task) {
    const double top =
        aggregate_column_in_place(numerator.col(task).data(), numerator.rows(), aggregate);
    const double bottom =
        aggregate_column_in_place(denominator.col(task).data(), denominator.rows(), aggregate);
    sum += top / bottom;
  }
  return 100.0 * sum / static_cast<double>(numerator.cols());
}

}  // namespace recrl::stats::detail
