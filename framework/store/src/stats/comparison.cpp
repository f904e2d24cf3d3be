#include "recrl/stats/comparison.hpp"

#include <cstdio>

#include "recrl/stats/improvement.hpp"

namespace recrl::stats {

namespace {

// P(X > Y) is the even bet; the interval must exclude it to call a winner.
constexpr double kEvenOdds = 0.5;

std::string format(const char* pattern, double a, double b, double c) {
  char text[96];
  std::snprintf(text, sizeof text, pattern, a, b, c);
  return text;
}

// "95", "97.5": the confidence as a percentage without trailing zeros.
std::string percent_text(double confidence) {
  char text[32];
  std::snprintf(text, sizeof text, "%g", 100.0 * confidence);
  return text;
}

}  // namespace

std::string Comparison::str() const {
  const ConfidenceInterval& p = improvement;
  switch (verdict) {
    case Verdict::FirstBetter:
      return first + " > " + second +
             format(" (P = %.2f [%.2f, %.2f])", p.estimate, p.bounds->lower, p.bounds->upper);
    case Verdict::SecondBetter:
      // P(second > first) = 1 - P(first > second), bounds swapped.
      return second + " > " + first +
             format(" (P = %.2f [%.2f, %.2f])", 1.0 - p.estimate, 1.0 - p.bounds->upper,
                    1.0 - p.bounds->lower);
    case Verdict::NotDistinguishable:
      return first + " ~ " + second + ": not distinguishable at " + percent_text(p.confidence) +
             "%" + format(" (P = %.2f [%.2f, %.2f])", p.estimate, p.bounds->lower, p.bounds->upper);
    case Verdict::TooFewRuns:
      break;
  }
  const bool first_short = first_runs < kMinRunsForInterval;
  const std::string& name = first_short ? first : second;
  const long runs = first_short ? first_runs : second_runs;
  return first + " ~ " + second + ": not distinguishable (" + name + " has " +
         std::to_string(runs) + (runs == 1 ? " run" : " runs") + "; an interval needs at least " +
         std::to_string(kMinRunsForInterval) + ")";
}

Comparison compare_algorithms(const std::string& first_name, const ScoreMatrix& first,
                              const std::string& second_name, const ScoreMatrix& second, Rng& rng,
                              const BootstrapOptions& options) {
  Comparison comparison;
  comparison.first = first_name;
  comparison.second = second_name;
  comparison.first_runs = first.rows();
  comparison.second_runs = second.rows();
  comparison.improvement = improvement_interval(first, second, rng, options);
  const auto& bounds = comparison.improvement.bounds;
  if (!bounds) {
    comparison.verdict = Verdict::TooFewRuns;
  } else if (bounds->lower > kEvenOdds) {
    comparison.verdict = Verdict::FirstBetter;
  } else if (bounds->upper < kEvenOdds) {
    comparison.verdict = Verdict::SecondBetter;
  } else {
    comparison.verdict = Verdict::NotDistinguishable;
  }
  return comparison;
}

}  // namespace recrl::stats
