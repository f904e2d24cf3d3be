// The off-policy estimators against a 5-row log worked out by hand (OBP's definitions), their
// bootstrap intervals, and the diagnostics.
#include <array>
#include <cmath>
#include <vector>

#include <catch2/catch.hpp>

#include "recrl/stats/off_policy.hpp"

using recrl::stats::OpeEstimator;

namespace {

// Two actions. Row i: logged action, reward, propensity, target pi(.|x), reward model q^(x,.).
struct FiveRows {
  std::vector<int> action{0, 1, 0, 1, 0};
  std::vector<double> reward{1, 0, 0, 1, 1};
  std::vector<double> propensity{0.5, 0.25, 0.8, 0.5, 0.4};
  Eigen::MatrixXd target{{0.8, 0.5, 1.0, 0.1, 0.0}, {0.2, 0.5, 0.0, 0.9, 1.0}};
  Eigen::MatrixXd q_hat{{0.6, 0.4, 0.5, 0.2, 0.9}, {0.3, 0.2, 0.5, 0.7, 0.1}};
  recrl::stats::OpeData data() const { return {action, reward, propensity, &target, &q_hat}; }
};

double value_of(OpeEstimator e, double clip = std::numeric_limits<double>::infinity()) {
  const FiveRows log;
  recrl::stats::OpeOptions options;
  options.clip = clip;
  options.bootstrap = 0;
  recrl::Rng rng(1);
  const std::array<OpeEstimator, 1> one{e};
  return recrl::stats::estimate(one, log.data(), options, rng).at(0).value;
}

}  // namespace

// Weights w = pi(a|x)/p: 1.6, 2, 1.25, 1.8, 0 (sum 6.65); q^_pi: 0.54, 0.3, 0.5, 0.65, 0.1;
// r - q^(x, a): 0.4, -0.2, -0.5, 0.3, 0.1.
TEST_CASE("off-policy estimators on five rows by hand", "[unit][stats][ope]") {
  CHECK(value_of(OpeEstimator::Ipw) == Approx(3.4 / 5).epsilon(1e-12));
  CHECK(value_of(OpeEstimator::Snipw) == Approx(3.4 / 6.65).epsilon(1e-12));
  CHECK(value_of(OpeEstimator::Dm) == Approx(2.09 / 5).epsilon(1e-12));
  // 1.18 - 0.1 - 0.125 + 1.19 + 0.1
  CHECK(value_of(OpeEstimator::Dr) == Approx(2.245 / 5).epsilon(1e-12));
  // DM's sum + (0.64 - 0.4 - 0.625 + 0.54) / mean(w)
  CHECK(value_of(OpeEstimator::Sndr) == Approx((2.09 + 0.155 / 1.33) / 5).epsilon(1e-12));
  // Without a threshold Switch-DR is DR.
  CHECK(value_of(OpeEstimator::SwitchDr) == Approx(2.245 / 5).epsilon(1e-12));
}

TEST_CASE("weight clipping and the switch threshold by hand", "[unit][stats][ope]") {
  // Weights above 1.7 (rows 2 and 4) are cut to 1.7 ...
  CHECK(value_of(OpeEstimator::Ipw, 1.7) == Approx(3.3 / 5).epsilon(1e-12));
  CHECK(value_of(OpeEstimator::Dr, 1.7) == Approx(2.275 / 5).epsilon(1e-12));
  // ... and lose their correction in Switch-DR: 1.18 + 0.3 - 0.125 + 0.65 + 0.1.
  CHECK(value_of(OpeEstimator::SwitchDr, 1.7) == Approx(2.105 / 5).epsilon(1e-12));
  // The self-normalised estimators take no clipping (as OBP's).
  CHECK(value_of(OpeEstimator::Snipw, 1.7) == Approx(3.4 / 6.65).epsilon(1e-12));
}

TEST_CASE("off-policy diagnostics by hand", "[unit][stats][ope]") {
  const FiveRows log;
  const auto d = recrl::stats::diagnose(log.data());
  CHECK(d.n == 5);
  CHECK(d.mean_weight == Approx(1.33).epsilon(1e-12));
  CHECK(d.max_weight == Approx(2.0).epsilon(1e-12));
  CHECK(d.effective_sample_size == Approx(6.65 * 6.65 / 11.3625).epsilon(1e-12));
  CHECK(d.zero_target_share == Approx(0.2).epsilon(1e-12));
}

TEST_CASE("bootstrap intervals hold the estimate and repeat with the seed", "[unit][stats][ope]") {
  // A larger log: the five rows repeated.
  FiveRows base;
  std::vector<int> action;
  std::vector<double> reward, propensity;
  Eigen::MatrixXd target(2, 500), q_hat(2, 500);
  for (int i = 0; i < 500; ++i) {
    action.push_back(base.action[i % 5]);
    reward.push_back(base.reward[i % 5]);
    propensity.push_back(base.propensity[i % 5]);
    target.col(i) = base.target.col(i % 5);
    q_hat.col(i) = base.q_hat.col(i % 5);
  }
  const recrl::stats::OpeData data{action, reward, propensity, &target, &q_hat};
  const std::array<OpeEstimator, 6> all{OpeEstimator::Ipw,  OpeEstimator::Snipw,
                                        OpeEstimator::Dm,   OpeEstimator::Dr,
                                        OpeEstimator::Sndr, OpeEstimator::SwitchDr};
  recrl::stats::OpeOptions options;
  options.bootstrap = 400;
  recrl::Rng a(7), b(7);
  const auto first = recrl::stats::estimate(all, data, options, a);
  const auto second = recrl::stats::estimate(all, data, options, b);
  for (std::size_t e = 0; e < all.size(); ++e) {
    INFO(recrl::stats::estimator_name(all[e]));
    REQUIRE(first[e].ci_low);
    CHECK(*first[e].ci_low < first[e].value);
    CHECK(first[e].value < *first[e].ci_high);
    CHECK(*first[e].ci_low == *second[e].ci_low);
    CHECK(*first[e].ci_high == *second[e].ci_high);
  }
  CHECK(first[2].value == Approx(2.09 / 5).epsilon(1e-12));  // the same estimates as on 5 rows

  // Threads share the resamples without changing them.
  for (const int threads : {2, 3}) {
    options.threads = threads;
    recrl::Rng c(7);
    const auto threaded = recrl::stats::estimate(all, data, options, c);
    for (std::size_t e = 0; e < all.size(); ++e) {
      CHECK(*threaded[e].ci_low == *first[e].ci_low);
      CHECK(*threaded[e].ci_high == *first[e].ci_high);
    }
  }

  // The percentile interval of the bootstrapped mean is about mean +- 1.96 sd / sqrt(n): IPW's
  // round rewards on the five rows are 1.6, 0, 0, 1.8, 0 (mean 0.68, sd 0.8353).
  options.bootstrap = 4000;
  recrl::Rng d(11);
  const auto ipw = recrl::stats::estimate(std::array{OpeEstimator::Ipw}, data, options, d).at(0);
  const double half_width = 1.96 * 0.83522452 / std::sqrt(500.0);
  CHECK((*ipw.ci_high - *ipw.ci_low) / 2 == Approx(half_width).epsilon(0.05));
  CHECK((*ipw.ci_high + *ipw.ci_low) / 2 == Approx(0.68).margin(0.01));
}

TEST_CASE("estimator names read back", "[unit][stats][ope]") {
  for (const auto e : {OpeEstimator::Ipw, OpeEstimator::Snipw, OpeEstimator::Dm, OpeEstimator::Dr,
                       OpeEstimator::Sndr, OpeEstimator::SwitchDr}) {
    CHECK(recrl::stats::parse_estimator(recrl::stats::estimator_name(e)) == e);
  }
  CHECK_FALSE(recrl::stats::parse_estimator("ips"));
  CHECK_FALSE(recrl::stats::needs_reward_model(OpeEstimator::Snipw));
  CHECK(recrl::stats::needs_reward_model(OpeEstimator::SwitchDr));
}
