// lin_ts: linear Thompson sampling (Agrawal & Goyal 2013, "Thompson sampling for contextual
// bandits with linear payoffs"), with one model per action as in disjoint LinUCB: each
// action's reward is a ridge regression (toolkit::LinearArms), and while training each step
// draws theta~_a ~ N(theta_a, v^2 A_a^-1) for every action and plays argmax_a theta~_a . x.
// Only x . theta~_a enters the choice, and it is N(theta_a . x, v^2 x^T A_a^-1 x): drawing that
// one number per action is the same policy at O(d^2) per action instead of a Cholesky factor
// of A_a^-1 (O(d^3)). Greedy mode (evaluation) plays argmax theta_a . x.
// Propensities have no closed form; action_probabilities estimates them from
// `probability_draws` draws of the same rule with a fixed seed (standard error at most
// 0.5 / sqrt(draws), 0.016 at the default), the same numbers for the same policy and context.
#include <cmath>
#include <vector>

#include "recrl/plugin/export.hpp"
#include "recrl/toolkit/linear_bandit.hpp"

namespace {

class LinTs final : public recrl::toolkit::LinearBandit {
 public:
  static recrl::ParamSchema schema() {
    recrl::ParamSchema s;
    s.real("v", 0.2,
           "posterior scale: theta~ ~ N(theta, v^2 A^-1) (Agrawal & Goyal's v; larger explores "
           "more)")
        .range(0, 1e6);
    s.integer("probability_draws", 1024,
              "draws of the rule that estimate its action probabilities (propensities)")
        .range(1, 1'000'000);
    add_common_params(s);
    return s;
  }

  LinTs(const recrl::Params& params, const recrl::PluginContext& ctx)
      : LinearBandit(params, ctx, "lin_ts"),
        v_(params.get_double("v")),
        draws_(params.get_int("probability_draws")),
        mean_(static_cast<std::size_t>(n_actions())),
        scale_(static_cast<std::size_t>(n_actions())) {}

 private:
  // theta_a . x and v * sqrt(x^T A_a^-1 x) of every action at the current context.
  void posterior() const {
    for (int a = 0; a < n_actions(); ++a) {
      mean_[static_cast<std::size_t>(a)] = arms().mean(a);
      scale_[static_cast<std::size_t>(a)] = v_ * std::sqrt(arms().variance(a));
    }
  }

  int draw(recrl::Rng& rng) const {
    int best = -1;
    double best_value = 0;
    for (int a = 0; a < n_actions(); ++a) {
      if (!allowed()(a)) continue;
      const auto i = static_cast<std::size_t>(a);
      const double value = mean_[i] + scale_[i] * rng.normal();
      if (best < 0 || value > best_value) {
        best = a;
        best_value = value;
      }
    }
    return best;
  }

  int explore(recrl::Rng& rng) const override {
    posterior();
    return draw(rng);
  }

  void explore_probabilities(std::span<double> probs) const override {
    posterior();
    recrl::Rng rng(kProbabilitySeed);
    for (double& p : probs) p = 0;
    for (std::int64_t k = 0; k < draws_; ++k) probs[static_cast<std::size_t>(draw(rng))] += 1;
    for (double& p : probs) p /= static_cast<double>(draws_);
  }

  static constexpr std::uint64_t kProbabilitySeed = 0x7453'5072'6f62ull;
  double v_;
  std::int64_t draws_;
  mutable std::vector<double> mean_;   // scratch: theta_a . x
  mutable std::vector<double> scale_;  // scratch: v sqrt(x^T A_a^-1 x)
};

}  // namespace

RECRL_ALGORITHM_PLUGIN(LinTs, "lin_ts", "1.0.0",
                       "linear Thompson sampling (Agrawal & Goyal 2013), one model per action")
