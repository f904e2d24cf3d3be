#pragma once

#include <cstddef>
#include <optional>
#include <span>

#include "recrl/core/export.hpp"

namespace recrl::stats {

// Point estimates over one sample of per-seed scores (one number per run). Every function
// refuses an empty sample and any NaN or infinite score with recrl::Error: a diverged run must
// be excluded or fixed by the caller, never silently averaged in.

RECRL_API double mean(std::span<const double> scores);
// numpy.median: the middle value, or the mean of the two middle values when n is even.
RECRL_API double median(std::span<const double> scores);
// The interquartile mean exactly as rliable (scipy.stats.trim_mean(x, 0.25)): sort, drop
// floor(n / 4) values from each end, average the rest. So n = 1..3 keep every value, n = 4
// keeps the middle 2, n = 10 the middle 6.
RECRL_API double interquartile_mean(std::span<const double> scores);
// Sample standard deviation (ddof 1); empty for fewer than 2 scores, where it is undefined.
RECRL_API std::optional<double> sample_std(std::span<const double> scores);

// All point estimates of one sample, for a table row.
struct RECRL_API SampleSummary {
  std::size_t count = 0;
  double mean = 0;
  std::optional<double> std;  // sample std (ddof 1); empty for one score
  double median = 0;
  double iqm = 0;
  double min = 0;
  double max = 0;
};

RECRL_API SampleSummary summarize_sample(std::span<const double> scores);

}  // namespace recrl::stats
