#include "recrl/stats/aggregate.hpp"

#include <cmath>
#include <string>

#include "recrl/core/errors.hpp"
#include "score_kernels.hpp"

namespace recrl::stats {

std::string_view aggregate_name(Aggregate aggregate) {
  switch (aggregate) {
    case Aggregate::Mean:
      return "mean";
    case Aggregate::Median:
      return "median";
    case Aggregate::Iqm:
      return "IQM";
  }
  return "unknown";
}

ScoreMatrix single_task(std::span<const double> scores) {
  ScoreMatrix matrix(static_cast<Eigen::Index>(scores.size()), 1);
  for (std::size_t i = 0; i < scores.size(); ++i)
    matrix(static_cast<Eigen::Index>(i), 0) = scores[i];
  return matrix;
}

void check_scores(const ScoreMatrix& scores) {
  if (scores.size() == 0) {
    throw Error("error: statistics: no scores to aggregate (no finished runs?)");
  }
  for (Eigen::Index task = 0; task < scores.cols(); ++task) {
    for (Eigen::Index run = 0; run < scores.rows(); ++run) {
      const double score = scores(run, task);
      if (!std::isfinite(score)) {
        throw Error("error: statistics: the score of run " + std::to_string(run) + " on task " +
                    std::to_string(task) + " is " + std::to_string(score) +
                    "; exclude or fix the run that produced it before comparing");
      }
    }
  }
}

double aggregate_scores(const ScoreMatrix& scores, Aggregate aggregate) {
  check_scores(scores);
  ScoreMatrix scratch = scores;
  return detail::aggregate_in_place(scratch, aggregate);
}

ScoreMatrix percent_of_reference(const ScoreMatrix& scores,
                                 std::span<const double> reference_per_task) {
  check_scores(scores);
  if (reference_per_task.size() != static_cast<std::size_t>(scores.cols())) {
    throw Error("error: statistics: " + std::to_string(reference_per_task.size()) +
                " reference values for " + std::to_string(scores.cols()) + " tasks");
  }
  ScoreMatrix percent(scores.rows(), scores.cols());
  for (Eigen::Index task = 0; task < scores.cols(); ++task) {
    const double reference = reference_per_task[static_cast<std::size_t>(task)];
    if (!std::isfinite(reference) || reference == 0.0) {
      throw Error("error: statistics: the reference of task " + std::to_string(task) + " is " +
                  std::to_string(reference) + "; a percentage needs a finite, non-zero reference");
    }
    percent.col(task) = (100.0 * scores.col(task).array() / reference).matrix();
  }
  return percent;
}

}  // namespace recrl::stats
