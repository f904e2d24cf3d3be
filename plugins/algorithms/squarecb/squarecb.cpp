// squarecb: SquareCB (Foster & Rakhlin 2020, "Beyond UCB: optimal and efficient contextual
// bandits with regression oracles"), with a ridge regression per action as the oracle
// (toolkit::LinearArms). At each step, with y_a = theta_a . x the predicted rewards and b the
// best of them, it plays action a with probability
//   p_a = 1 / (K + gamma_t (y_b - y_a))  for a != b,   p_b = 1 - sum of the others,
// the inverse gap weighting, with gamma_t = gamma_scale * (t + 1)^gamma_exponent over the steps t
// learned from (Vowpal Wabbit's --gamma_scale, default 10, and --gamma_exponent, default 0.5;
// VW minimises costs, recrl maximises rewards, the same rule). Greedy mode plays b. Under masks
// K counts the allowed actions and the others get probability 0.
#include <cmath>
#include <vector>

#include "recrl/plugin/export.hpp"
#include "recrl/toolkit/linear_bandit.hpp"

namespace {

class SquareCb final : public recrl::toolkit::LinearBandit {
 public:
  static recrl::ParamSchema schema() {
    recrl::ParamSchema s;
    s.real("gamma_scale", 10.0, "gamma_t = gamma_scale * (t + 1)^gamma_exponent").greater_than(0);
    s.real("gamma_exponent", 0.5, "gamma_t = gamma_scale * (t + 1)^gamma_exponent").range(0, 10);
    add_common_params(s);
    return s;
  }

  SquareCb(const recrl::Params& params, const recrl::PluginContext& ctx)
      : LinearBandit(params, ctx, "squarecb"),
        gamma_scale_(params.get_double("gamma_scale")),
        gamma_exponent_(params.get_double("gamma_exponent")),
        probs_(static_cast<std::size_t>(n_actions())) {}

 private:
  int explore(recrl::Rng& rng) const override {
    explore_probabilities(probs_);
    const double u = rng.uniform();
    double cumulative = 0;
    for (int a = 0; a < n_actions(); ++a) {
      cumulative += probs_[static_cast<std::size_t>(a)];
      if (u < cumulative) return a;
    }
    return best_mean();  // u beyond a sum that rounding left just under 1
  }

  void explore_probabilities(std::span<double> probs) const override {
    const int best = best_mean();
    const double best_value = arms().mean(best);
    const double gamma = gamma_scale_ * std::pow(static_cast<double>(steps() + 1), gamma_exponent_);
    const double k = allowed().count();
    double others = 0;
    for (int a = 0; a < n_actions(); ++a) {
      if (a == best) continue;
      if (!allowed()(a)) {
        probs[static_cast<std::size_t>(a)] = 0;
        continue;
      }
      const double p = 1.0 / (k + gamma * (best_value - arms().mean(a)));
      probs[static_cast<std::size_t>(a)] = p;
      others += p;
    }
    probs[static_cast<std::size_t>(best)] = 1.0 - others;
  }

  double gamma_scale_;
  double gamma_exponent_;
  mutable std::vector<double> probs_;  // scratch of explore()
};

}  // namespace

RECRL_ALGORITHM_PLUGIN(SquareCb, "squarecb", "1.0.0",
                       "SquareCB (Foster & Rakhlin 2020): inverse gap weighting on ridge models")
