// linucb: disjoint LinUCB (Li, Chu, Langford, Schapire 2010, "A contextual-bandit approach to
// personalized news article recommendation", algorithm 1). Each action's reward is a ridge
// regression (toolkit::LinearArms, A_a = lambda I + sum x x^T, theta_a = A_a^-1 b_a); while
// training it plays
//   argmax_a  theta_a . x + alpha * sqrt(x^T A_a^-1 x)
// (the first action on ties): a deterministic choice, so its propensity is 1 for the chosen
// action and 0 for the others. Greedy mode (evaluation) drops the bonus: argmax theta_a . x.
#include <cmath>

#include "recrl/plugin/export.hpp"
#include "recrl/toolkit/linear_bandit.hpp"

namespace {

class LinUcb final : public recrl::toolkit::LinearBandit {
 public:
  static recrl::ParamSchema schema() {
    recrl::ParamSchema s;
    s.real("alpha", 0.2, "width of the confidence bonus alpha * sqrt(x^T A^-1 x)").range(0, 1e6);
    add_common_params(s);
    return s;
  }

  LinUcb(const recrl::Params& params, const recrl::PluginContext& ctx)
      : LinearBandit(params, ctx, "linucb"), alpha_(params.get_double("alpha")) {}

 private:
  int explore(recrl::Rng&) const override {
    int best = -1;
    double best_value = 0;
    for (int a = 0; a < n_actions(); ++a) {
      if (!allowed()(a)) continue;
      const double value = arms().mean(a) + alpha_ * std::sqrt(arms().variance(a));
      if (best < 0 || value > best_value) {
        best = a;
        best_value = value;
      }
    }
    return best;
  }

  void explore_probabilities(std::span<double> probs) const override {
    recrl::Rng unused;
    for (double& p : probs) p = 0;
    probs[static_cast<std::size_t>(explore(unused))] = 1;
  }

  double alpha_;
};

}  // namespace

RECRL_ALGORITHM_PLUGIN(LinUcb, "linucb", "1.0.0", "disjoint LinUCB (Li et al. 2010)")
