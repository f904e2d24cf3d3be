// oracle: for each observation, the action with the highest noiseless expected reward (the
// reward's expected()), the best any policy can do where actions do not change what comes next.
// The runner also evaluates it to compute every run's "% of oracle". It acts on raw
// observations, so normalisation does not affect it.
#include <istream>
#include <ostream>

#include "recrl/plugin/export.hpp"
#include "recrl/toolkit/action_mask.hpp"
#include "recrl/toolkit/expected_reward.hpp"

namespace {

class Oracle final : public recrl::Algorithm {
 public:
  Oracle(const recrl::Params&, const recrl::PluginContext& ctx)
      : spec_(*ctx.env), reward_(*ctx.reward) {
    if (const auto why = recrl::toolkit::oracle_unavailable(spec_, reward_)) {
      throw recrl::ConfigError(ctx.where, ctx.key_path,
                               "the oracle is not available here: " + *why);
    }
  }

  void act(const recrl::ObsBatch& obs, recrl::ActMode, recrl::Rng&,
           std::span<int> actions) override {
    for (Eigen::Index j = 0; j < obs.raw.cols(); ++j) {
      actions[static_cast<std::size_t>(j)] =
          recrl::toolkit::best_action(spec_, reward_, obs.raw.col(j), allowed(obs, j));
    }
  }
  bool observe(const recrl::StepBatch&) override { return false; }
  void update(recrl::Rng&, recrl::Metrics&) override {}
  // Nothing to learn or keep: its policy is the reward, which a policy file records.
  void save(std::ostream&) const override {}
  void load(std::istream&) override {}
  bool supports_checkpoints() const override { return true; }

  // One action in both modes: the best for the reward.
  bool action_probabilities(const recrl::ObsBatch& obs, recrl::ActMode,
                            recrl::Matrix& probs) const override {
    probs = recrl::Matrix::Zero(spec_.action.size, obs.raw.cols());
    for (Eigen::Index j = 0; j < obs.raw.cols(); ++j) {
      probs(recrl::toolkit::best_action(spec_, reward_, obs.raw.col(j), allowed(obs, j)), j) = 1;
    }
    return true;
  }
  // Each action's expected reward, which it plays the best of.
  bool action_scores(const recrl::ObsBatch& obs, recrl::Matrix& scores) const override {
    scores.resize(spec_.action.size, obs.raw.cols());
    for (Eigen::Index j = 0; j < obs.raw.cols(); ++j) {
      for (int a = 0; a < spec_.action.size; ++a) {
        const recrl::Transition t{obs.raw.col(j), a, obs.raw.col(j), 0.0, true, false};
        scores(a, j) = static_cast<recrl::Scalar>(reward_.expected(t).value_or(0.0));
      }
    }
    return true;
  }

 private:
  recrl::toolkit::AllowedActions allowed(const recrl::ObsBatch& obs, Eigen::Index j) const {
    return {obs.allowed, spec_.action.size, j};
  }

  recrl::EnvSpec spec_;
  const recrl::RewardFunction& reward_;
};

}  // namespace

RECRL_ALGORITHM_PLUGIN(Oracle, "oracle", "1.0.0",
                       "per-user argmax of the reward's noiseless value (upper bound)")
