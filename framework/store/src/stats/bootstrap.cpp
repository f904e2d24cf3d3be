#include "recrl/stats/bootstrap.hpp"

#include <cmath>
#include <cstdio>
#include <vector>

#include "percentile_interval.hpp"
#include "recrl/core/errors.hpp"
#include "score_kernels.hpp"
#include "stratified_resampler.hpp"

namespace recrl::stats {

void BootstrapOptions::check() const {
  // Written so that a NaN confidence fails too.
  if (!(confidence > 0.0 && confidence < 1.0)) {
    throw ConfigError("statistics: confidence must be strictly between 0 and 1 (e.g. 0.95), got " +
                      std::to_string(confidence));
  }
  if (repetitions < 1) {
    throw ConfigError("statistics: bootstrap repetitions must be at least 1 (2000 is usual), got " +
                      std::to_string(repetitions));
  }
}

std::string ConfidenceInterval::str(int decimals) const {
  char text[128];
  if (bounds) {
    std::snprintf(text, sizeof text, "%.*f [%.*f, %.*f]", decimals, estimate, decimals,
                  bounds->lower, decimals, bounds->upper);
  } else {
    std::snprintf(text, sizeof text, "%.*f (no interval: %ld run%s)", decimals, estimate,
                  fewest_runs, fewest_runs == 1 ? "" : "s");
  }
  return text;
}

ConfidenceInterval bootstrap_interval(const ScoreMatrix& scores, Aggregate aggregate, Rng& rng,
                                      const BootstrapOptions& options) {
  options.check();
  ConfidenceInterval interval;
  interval.estimate = aggregate_scores(scores, aggregate);
  interval.confidence = options.confidence;
  interval.fewest_runs = scores.rows();
  if (scores.rows() < kMinRunsForInterval) return interval;

  detail::StratifiedResampler resampler(scores);
  std::vector<double> replicates(static_cast<std::size_t>(options.repetitions));
  for (double& replicate : replicates) {
    replicate = detail::aggregate_in_place(resampler.draw(rng), aggregate);
  }
  interval.bounds = detail::percentile_bounds(replicates, options.confidence);
  return interval;
}

ConfidenceInterval bootstrap_ratio_interval(const ScoreMatrix& numerator,
                                            const ScoreMatrix& denominator, Aggregate aggregate,
                                            Rng& rng, const BootstrapOptions& options) {
  options.check();
  check_scores(numerator);
  check_scores(denominator);
  if (numerator.cols() != denominator.cols()) {
    throw Error("error: statistics: a ratio of scores over " + std::to_string(numerator.cols()) +
                " tasks to a reference over " + std::to_string(denominator.cols()) + " tasks");
  }
  ConfidenceInterval interval;
  {
    ScoreMatrix top = numerator;
    ScoreMatrix bottom = denominator;
    interval.estimate = detail::percent_ratio_in_place(top, bottom, aggregate);
  }
  if (!std::isfinite(interval.estimate)) {
    throw Error("error: statistics: the reference's " + std::string(aggregate_name(aggregate)) +
                " is 0 on some task; a percentage of it is undefined");
  }
  interval.confidence = options.confidence;
  // A reference with one run (an oracle whose result does not vary with the seed) is a
  // constant, so only the numerator's runs decide whether an interval means anything.
  interval.fewest_runs = numerator.rows();
  if (numerator.rows() < kMinRunsForInterval) return interval;

  detail::StratifiedResampler top_resampler(numerator);
  detail::StratifiedResampler bottom_resampler(denominator);
  std::vector<double> replicates(static_cast<std::size_t>(options.repetitions));
  for (double& replicate : replicates) {
    ScoreMatrix& top = top_resampler.draw(rng);
    ScoreMatrix& bottom = bottom_resampler.draw(rng);
    replicate = detail::percent_ratio_in_place(top, bottom, aggregate);
  }
  interval.bounds = detail::percentile_bounds(replicates, options.confidence);
  return interval;
}

}  // namespace recrl::stats
