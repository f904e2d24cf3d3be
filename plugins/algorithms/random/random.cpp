// random: the uniform policy over the allowed actions, the floor every learner must clear.
#include <istream>
#include <ostream>

#include "recrl/plugin/export.hpp"
#include "recrl/toolkit/action_mask.hpp"

namespace {

class RandomPolicy final : public recrl::Algorithm {
 public:
  RandomPolicy(const recrl::Params&, const recrl::PluginContext& ctx)
      : n_actions_(ctx.env->action.size) {
    if (ctx.env->action.kind != recrl::Space::Kind::Discrete) {
      throw recrl::ConfigError(ctx.where, ctx.key_path,
                               "random needs a discrete action space, environment '" +
                                   ctx.env->name + "' has a continuous one");
    }
  }

  // Uniform in both modes: "greedy" has no meaning for a policy without preferences.
  void act(const recrl::ObsBatch& obs, recrl::ActMode, recrl::Rng& rng,
           std::span<int> actions) override {
    for (std::size_t j = 0; j < actions.size(); ++j) {
      actions[j] =
          recrl::toolkit::AllowedActions(obs.allowed, n_actions_, static_cast<Eigen::Index>(j))
              .uniform(rng);
    }
  }
  bool observe(const recrl::StepBatch&) override { return false; }
  void update(recrl::Rng&, recrl::Metrics&) override {}
  void save(std::ostream&) const override {}
  void load(std::istream&) override {}
  // Nothing to keep: every action comes from the caller's random stream.
  bool supports_checkpoints() const override { return true; }

  bool action_probabilities(const recrl::ObsBatch& obs, recrl::ActMode,
                            recrl::Matrix& probs) const override {
    probs.resize(n_actions_, obs.obs.cols());
    for (Eigen::Index j = 0; j < obs.obs.cols(); ++j) {
      const recrl::toolkit::AllowedActions allowed(obs.allowed, n_actions_, j);
      const float p = 1.0f / static_cast<float>(allowed.count());
      for (int a = 0; a < n_actions_; ++a) probs(a, j) = allowed(a) ? p : 0.0f;
    }
    return true;
  }

 private:
  int n_actions_;
};

}  // namespace

RECRL_ALGORITHM_PLUGIN(RandomPolicy, "random", "1.0.0", "uniform random actions (baseline)")
