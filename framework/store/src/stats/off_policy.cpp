#include "recrl/stats/off_policy.hpp"

#include <algorithm>
#include <cmath>

#include "percentile_interval.hpp"
#include "recrl/core/errors.hpp"

namespace recrl::stats {

namespace {

constexpr struct {
  OpeEstimator estimator;
  const char* name;
} kNames[] = {{OpeEstimator::Ipw, "ipw"},   {OpeEstimator::Snipw, "snipw"},
              {OpeEstimator::Dm, "dm"},     {OpeEstimator::Dr, "dr"},
              {OpeEstimator::Sndr, "sndr"}, {OpeEstimator::SwitchDr, "switch-dr"}};

std::size_t rows(const OpeData& data) { return data.action.size(); }

void check(const OpeData& data, bool reward_model) {
  const auto n = static_cast<Eigen::Index>(rows(data));
  RECRL_ASSERT(data.reward.size() == rows(data) && data.propensity.size() == rows(data) &&
                   data.target != nullptr && data.target->cols() == n,
               "off-policy data: columns of different lengths");
  RECRL_ASSERT(!reward_model || (data.q_hat != nullptr && data.q_hat->cols() == n &&
                                 data.q_hat->rows() == data.target->rows()),
               "off-policy data: the estimator needs a reward model of the log's shape");
}

// w_i = pi(a_i | x_i) / p_i.
double weight(const OpeData& data, std::size_t i) {
  return (*data.target)(data.action[i], static_cast<Eigen::Index>(i)) / data.propensity[i];
}

double mean_weight(const OpeData& data) {
  double sum = 0;
  for (std::size_t i = 0; i < rows(data); ++i) sum += weight(data, i);
  return sum / static_cast<double>(rows(data));
}

// q^_pi(x_i) = sum_a pi(a | x_i) q^(x_i, a).
double model_value(const OpeData& data, std::size_t i) {
  const auto j = static_cast<Eigen::Index>(i);
  return data.target->col(j).dot(data.q_hat->col(j));
}

double model_error(const OpeData& data, std::size_t i) {
  return data.reward[i] - (*data.q_hat)(data.action[i], static_cast<Eigen::Index>(i));
}

}  // namespace

const char* estimator_name(OpeEstimator estimator) {
  for (const auto& entry : kNames) {
    if (entry.estimator == estimator) return entry.name;
  }
  return "?";
}

std::optional<OpeEstimator> parse_estimator(std::string_view name) {
  for (const auto& entry : kNames) {
    if (name == entry.name) return entry.estimator;
  }
  return std::nullopt;
}

bool needs_reward_model(OpeEstimator estimator) {
  return estimator != OpeEstimator::Ipw && estimator != OpeEstimator::Snipw;
}

std::vector<double> round_rewards(OpeEstimator estimator, const OpeData& data,
                                  const OpeOptions& options) {
  check(data, needs_reward_model(estimator));
  const std::size_t n = rows(data);
  std::vector<double> out(n);
  const double normaliser =
      estimator == OpeEstimator::Snipw || estimator == OpeEstimator::Sndr ? mean_weight(data) : 1;
  for (std::size_t i = 0; i < n; ++i) {
    const double w = weight(data, i);
    switch (estimator) {
      case OpeEstimator::Ipw:
        out[i] = std::min(w, options.clip) * data.reward[i];
        break;
      case OpeEstimator::Snipw:
        out[i] = w * data.reward[i] / normaliser;
        break;
      case OpeEstimator::Dm:
        out[i] = model_value(data, i);
        break;
      case OpeEstimator::Dr:
        out[i] = model_value(data, i) + std::min(w, options.clip) * model_error(data, i);
        break;
      case OpeEstimator::Sndr:
        out[i] = model_value(data, i) + w / normaliser * model_error(data, i);
        break;
      case OpeEstimator::SwitchDr:
        out[i] = model_value(data, i) + (w <= options.clip ? w * model_error(data, i) : 0.0);
        break;
    }
  }
  return out;
}

std::vector<OpeEstimate> estimate(std::span<const OpeEstimator> estimators, const OpeData& data,
                                  const OpeOptions& options, Rng& rng) {
  const std::size_t n = rows(data);
  RECRL_ASSERT(n > 0, "off-policy estimate of an empty log");
  std::vector<std::vector<double>> rounds;
  std::vector<OpeEstimate> out;
  for (const OpeEstimator e : estimators) {
    rounds.push_back(round_rewards(e, data, options));
    double sum = 0;
    for (const double r : rounds.back()) sum += r;
    out.push_back({e, sum / static_cast<double>(n), std::nullopt, std::nullopt});
  }
  if (options.bootstrap <= 0 || n < 2) return out;
  // One set of resamples for all estimators: each draws n row indices with replacement and
  // averages every estimator's round rewards over them.
  std::vector<std::vector<double>> replicates(estimators.size(),
                                              std::vector<double>(options.bootstrap));
  std::vector<double> sums(estimators.size());
  for (int b = 0; b < options.bootstrap; ++b) {
    std::fill(sums.begin(), sums.end(), 0.0);
    for (std::size_t k = 0; k < n; ++k) {
      const auto i = static_cast<std::size_t>(rng.uniform_int(n));
      for (std::size_t e = 0; e < rounds.size(); ++e) sums[e] += rounds[e][i];
    }
    for (std::size_t e = 0; e < rounds.size(); ++e) {
      replicates[e][static_cast<std::size_t>(b)] = sums[e] / static_cast<double>(n);
    }
  }
  for (std::size_t e = 0; e < rounds.size(); ++e) {
    const auto bounds = detail::percentile_bounds(replicates[e], options.confidence);
    out[e].ci_low = bounds.lower;
    out[e].ci_high = bounds.upper;
  }
  return out;
}

OpeDiagnostics diagnose(const OpeData& data) {
  check(data, false);
  OpeDiagnostics d;
  d.n = static_cast<std::int64_t>(rows(data));
  double sum = 0, sum_squares = 0;
  std::int64_t zero = 0;
  for (std::size_t i = 0; i < rows(data); ++i) {
    const double w = weight(data, i);
    sum += w;
    sum_squares += w * w;
    d.max_weight = std::max(d.max_weight, w);
    if (w == 0) ++zero;
  }
  if (d.n == 0) return d;
  d.mean_weight = sum / static_cast<double>(d.n);
  d.effective_sample_size = sum_squares > 0 ? sum * sum / sum_squares : 0.0;
  d.zero_target_share = static_cast<double>(zero) / static_cast<double>(d.n);
  return d;
}

}  // namespace recrl::stats
