#pragma once

#include <optional>
#include <string>

#include "recrl/core/export.hpp"
#include "recrl/core/random.hpp"
#include "recrl/stats/aggregate.hpp"

namespace recrl::stats {

struct RECRL_API BootstrapOptions {
  double confidence = 0.95;  // two-sided, strictly between 0 and 1
  int repetitions = 2000;    // bootstrap resamples; rliable's default is 50,000

  // Throws recrl::ConfigError naming the bad value.
  void check() const;
};

// The fewest runs per task for which a bootstrap interval means anything: with one run every
// resample is that run, and the "interval" would be a zero-width artefact.
inline constexpr long kMinRunsForInterval = 2;

// A point estimate with its percentile-bootstrap interval.
struct RECRL_API ConfidenceInterval {
  struct Bounds {
    double lower = 0;
    double upper = 0;
  };

  double estimate = 0;           // the statistic of the data as given
  std::optional<Bounds> bounds;  // empty when a task has fewer than kMinRunsForInterval runs
  double confidence = 0.95;
  long fewest_runs = 0;  // the fewest runs of any task in the data, to say why bounds are empty

  bool has_bounds() const { return bounds.has_value(); }
  // "0.812 [0.790, 0.830]" with `decimals` digits, or "0.812 (no interval: 1 run)".
  std::string str(int decimals = 3) const;
};

// Stratified percentile bootstrap (rliable StratifiedBootstrap + arch's percentile interval):
// each repetition resamples the runs of every task with replacement, independently per task,
// and applies `aggregate`; the interval is the (1 - c) / 2 and (1 + c) / 2 percentiles (linear
// interpolation, as numpy.percentile) of the repetitions. Draw order, so that the same data
// and Rng state give the same interval bit for bit: for each repetition, for each task in
// column order, for each run slot, one rng.uniform_int(runs). Seed a fresh Rng per interval
// (e.g. derive_seed(seed, Stream::User, row)) so an interval does not depend on table order.
RECRL_API ConfidenceInterval bootstrap_interval(const ScoreMatrix& scores, Aggregate aggregate,
                                                Rng& rng, const BootstrapOptions& options = {});

// 100 * mean over tasks of aggregate(numerator task m) / aggregate(denominator task m), with
// an interval from resampling both matrices independently within each task (numerator first,
// then denominator, in each repetition): "% of oracle" when the oracle's own result varies
// with the seed. With a constant reference, percent_of_reference + bootstrap_interval gives
// the same estimate. Both matrices need the same number of tasks; run counts may differ.
RECRL_API ConfidenceInterval bootstrap_ratio_interval(const ScoreMatrix& numerator,
                                                      const ScoreMatrix& denominator,
                                                      Aggregate aggregate, Rng& rng,
                                                      const BootstrapOptions& options = {});

}  // namespace recrl::stats
