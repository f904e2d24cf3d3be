// random: the uniform policy, the floor every learner must clear.
#include <istream>
#include <ostream>

#include "recrl/plugin/export.hpp"

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
  void act(const recrl::ObsBatch&, recrl::ActMode, recrl::Rng& rng,
           std::span<int> actions) override {
    for (int& a : actions)
      a = static_cast<int>(rng.uniform_int(static_cast<std::uint64_t>(n_actions_)));
  }
  bool observe(const recrl::StepBatch&) override { return false; }
  void update(recrl::Rng&, recrl::Metrics&) override {}
  void save(std::ostream&) const override {}
  void load(std::istream&) override {}
  // Nothing to keep: every action comes from the caller's random stream.
  bool supports_checkpoints() const override { return true; }

  bool action_probabilities(const recrl::ObsBatch& obs, recrl::ActMode,
                            recrl::Matrix& probs) const override {
    probs =
        recrl::Matrix::Constant(n_actions_, obs.obs.cols(), 1.0f / static_cast<float>(n_actions_));
    return true;
  }

 private:
  int n_actions_;
};

}  // namespace

RECRL_ALGORITHM_PLUGIN(RandomPolicy, "random", "1.0.0", "uniform random actions (baseline)")
