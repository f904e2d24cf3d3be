// eps_greedy: a linear model of the reward per action (ridge regression, toolkit::LinearArms),
// played greedily except for a share epsilon_t of uniformly random (allowed) actions, where
//   epsilon_t = epsilon * (t + 1)^(-epsilon_decay)
// and t counts the steps learned from (epsilon_decay 0: a constant epsilon; 0.5: epsilon / sqrt
// of the steps). The propensity of each allowed action is epsilon_t / K (K allowed), plus 1 -
// epsilon_t for the greedy one. The learning and the Greedy mode are toolkit::LinearBandit's.
#include <cmath>

#include "recrl/plugin/export.hpp"
#include "recrl/toolkit/linear_bandit.hpp"

namespace {

class EpsGreedy final : public recrl::toolkit::LinearBandit {
 public:
  static recrl::ParamSchema schema() {
    recrl::ParamSchema s;
    s.real("epsilon", 0.05, "share of uniformly random actions while training (at t = 0)")
        .range(0, 1);
    s.real("epsilon_decay", 0.0,
           "epsilon_t = epsilon * (t + 1)^-epsilon_decay over the steps t learned from; 0 keeps "
           "it constant")
        .range(0, 10);
    add_common_params(s);
    return s;
  }

  EpsGreedy(const recrl::Params& params, const recrl::PluginContext& ctx)
      : LinearBandit(params, ctx, "eps_greedy"),
        epsilon_(params.get_double("epsilon")),
        decay_(params.get_double("epsilon_decay")) {}

 private:
  double epsilon_t() const {
    return decay_ == 0 ? epsilon_ : epsilon_ * std::pow(static_cast<double>(steps() + 1), -decay_);
  }

  int explore(recrl::Rng& rng) const override {
    if (rng.uniform() < epsilon_t()) return allowed().uniform(rng);
    return best_mean();
  }

  void explore_probabilities(std::span<double> probs) const override {
    const double eps = epsilon_t();
    const double each = eps / allowed().count();
    for (int a = 0; a < n_actions(); ++a)
      probs[static_cast<std::size_t>(a)] = allowed()(a) ? each : 0.0;
    probs[static_cast<std::size_t>(best_mean())] += 1.0 - eps;
  }

  double epsilon_;
  double decay_;
};

}  // namespace

RECRL_ALGORITHM_PLUGIN(EpsGreedy, "eps_greedy", "1.0.0",
                       "linear epsilon-greedy contextual bandit (ridge regression per action)")
