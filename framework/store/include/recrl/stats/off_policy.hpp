#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <Eigen/Core>

#include "recrl/core/export.hpp"
#include "recrl/core/random.hpp"

namespace recrl::stats {

// Off-policy estimators of a target policy's value from a log of another (the logging) policy,
// as Open Bandit Pipeline (obp.ope, Saito et al. 2021) defines them. With w_i = pi(a_i | x_i) /
// p_i the importance weight of row i (p_i the logged propensity), q^(x, a) a reward model and
// q^_pi(x) = sum_a pi(a | x) q^(x, a), each estimator is the mean over rows of its round reward:
//   ipw        w_i r_i                                   (w clipped at `clip`)
//   snipw      w_i r_i / mean(w)
//   dm         q^_pi(x_i)
//   dr         q^_pi(x_i) + w_i (r_i - q^(x_i, a_i))      (w clipped at `clip`)
//   sndr       q^_pi(x_i) + w_i / mean(w) (r_i - q^(x_i, a_i))
//   switch-dr  q^_pi(x_i) + 1[w_i <= clip] w_i (r_i - q^(x_i, a_i))
// (OBP's InverseProbabilityWeighting with lambda_, SelfNormalizedInverseProbabilityWeighting,
// DirectMethod, DoublyRobust with lambda_, SelfNormalizedDoublyRobust, SwitchDoublyRobust with
// lambda_.) Intervals, as OBP's estimate_interval: the round rewards are computed once on the
// whole log, then their mean is bootstrapped over rows (percentile interval).
enum class OpeEstimator { Ipw, Snipw, Dm, Dr, Sndr, SwitchDr };

RECRL_API const char* estimator_name(OpeEstimator estimator);
RECRL_API std::optional<OpeEstimator> parse_estimator(std::string_view name);
// Whether the estimator needs the reward model q^.
RECRL_API bool needs_reward_model(OpeEstimator estimator);

// A log as the estimators read it: n rows over K actions.
struct OpeData {
  std::span<const int> action;              // [n] the logged action a_i
  std::span<const double> reward;           // [n] r_i
  std::span<const double> propensity;       // [n] p_i, in (0, 1]
  const Eigen::MatrixXd* target = nullptr;  // [K x n] pi(a | x_i)
  const Eigen::MatrixXd* q_hat = nullptr;   // [K x n] q^(x_i, a), for dm, dr, sndr, switch-dr
};

struct OpeOptions {
  // ipw and dr: weights above it are cut to it; switch-dr: weights above it drop the correction.
  double clip = std::numeric_limits<double>::infinity();
  int bootstrap = 1000;  // resamples of the interval (0: no interval)
  double confidence = 0.95;
  // Threads sharing the resamples; the intervals are the same for any number.
  int threads = 1;
};

struct OpeEstimate {
  OpeEstimator estimator = OpeEstimator::Ipw;
  double value = 0;
  std::optional<double> ci_low, ci_high;
};

// What a careful user checks before trusting the estimates.
struct OpeDiagnostics {
  std::int64_t n = 0;
  double effective_sample_size = 0;  // (sum w)^2 / sum w^2, unclipped weights
  double max_weight = 0;
  double mean_weight = 0;        // 1 in expectation when the propensities are right
  double zero_target_share = 0;  // rows whose logged action the target never takes
};

// Every estimator in `estimators`, with intervals from one shared set of bootstrap resamples
// (seeded by one draw from `rng`: the same data and seed give the same intervals, bit for bit,
// with any number of threads).
RECRL_API std::vector<OpeEstimate> estimate(std::span<const OpeEstimator> estimators,
                                            const OpeData& data, const OpeOptions& options,
                                            Rng& rng);

RECRL_API OpeDiagnostics diagnose(const OpeData& data);

}  // namespace recrl::stats
