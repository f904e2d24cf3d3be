#include "recrl/stats/summary.hpp"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "order_statistics.hpp"
#include "recrl/core/errors.hpp"

namespace recrl::stats {

namespace {

// Refuses what no statistic of ours can summarise honestly.
void check_sample(std::span<const double> scores) {
  if (scores.empty()) throw Error("error: statistics: no scores to summarise (no finished runs?)");
  for (std::size_t i = 0; i < scores.size(); ++i) {
    if (!std::isfinite(scores[i])) {
      throw Error("error: statistics: score " + std::to_string(i) + " is " +
                  std::to_string(scores[i]) +
                  "; exclude or fix the run that produced it before comparing");
    }
  }
}

std::vector<double> sorted_copy(std::span<const double> scores) {
  std::vector<double> sorted(scores.begin(), scores.end());
  std::sort(sorted.begin(), sorted.end());
  return sorted;
}

}  // namespace

double mean(std::span<const double> scores) {
  check_sample(scores);
  double sum = 0.0;
  for (double s : scores) sum += s;
  return sum / static_cast<double>(scores.size());
}

double median(std::span<const double> scores) {
  check_sample(scores);
  return detail::median_of_sorted(sorted_copy(scores));
}

double interquartile_mean(std::span<const double> scores) {
  check_sample(scores);
  return detail::iqm_of_sorted(sorted_copy(scores));
}

std::optional<double> sample_std(std::span<const double> scores) {
  const double centre = mean(scores);
  if (scores.size() < 2) return std::nullopt;
  // Two passes (mean, then squared deviations): no cancellation when scores sit far from 0.
  double squares = 0.0;
  for (double s : scores) squares += (s - centre) * (s - centre);
  return std::sqrt(squares / static_cast<double>(scores.size() - 1));
}

SampleSummary summarize_sample(std::span<const double> scores) {
  check_sample(scores);
  const std::vector<double> sorted = sorted_copy(scores);
  SampleSummary summary;
  summary.count = scores.size();
  summary.mean = mean(scores);
  summary.std = sample_std(scores);
  summary.median = detail::median_of_sorted(sorted);
  summary.iqm = detail::iqm_of_sorted(sorted);
  summary.min = sorted.front();
  summary.max = sorted.back();
  return summary;
}

}  // namespace recrl::stats
