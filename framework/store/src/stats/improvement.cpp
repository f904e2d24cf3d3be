#include "recrl/stats/improvement.hpp"

#include <algorithm>
#include <string>
#include <vector>

#include "percentile_interval.hpp"
#include "recrl/core/errors.hpp"
#include "score_kernels.hpp"
#include "stratified_resampler.hpp"

namespace recrl::stats {

namespace {

void check_pair(const ScoreMatrix& x, const ScoreMatrix& y) {
  check_scores(x);
  check_scores(y);
  if (x.cols() != y.cols()) {
    throw Error("error: statistics: cannot compare scores over " + std::to_string(x.cols()) +
                " tasks with scores over " + std::to_string(y.cols()) + " tasks");
  }
}

}  // namespace

double probability_of_improvement(const ScoreMatrix& x, const ScoreMatrix& y) {
  check_pair(x, y);
  ScoreMatrix x_scratch = x;
  ScoreMatrix y_scratch = y;
  return detail::probability_of_improvement_in_place(x_scratch, y_scratch);
}

ConfidenceInterval improvement_interval(const ScoreMatrix& x, const ScoreMatrix& y, Rng& rng,
                                        const BootstrapOptions& options) {
  options.check();
  ConfidenceInterval interval;
  interval.estimate = probability_of_improvement(x, y);
  interval.confidence = options.confidence;
  interval.fewest_runs = std::min(x.rows(), y.rows());
  if (interval.fewest_runs < kMinRunsForInterval) return interval;

  detail::StratifiedResampler x_resampler(x);
  detail::StratifiedResampler y_resampler(y);
  std::vector<double> replicates(static_cast<std::size_t>(options.repetitions));
  for (double& replicate : replicates) {
    ScoreMatrix& x_resample = x_resampler.draw(rng);
    ScoreMatrix& y_resample = y_resampler.draw(rng);
    replicate = detail::probability_of_improvement_in_place(x_resample, y_resample);
  }
  interval.bounds = detail::percentile_bounds(replicates, options.confidence);
  return interval;
}

}  // namespace recrl::stats
