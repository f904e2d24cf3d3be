#pragma once

#include <istream>
#include <ostream>

#include "recrl/core/algorithm.hpp"
#include "recrl/core/export.hpp"
#include "recrl/core/plugin_context.hpp"
#include "recrl/core/reward.hpp"
#include "recrl/core/spaces.hpp"

namespace recrl::toolkit {

// A policy that plays, for each observation, the allowed action with the highest noiseless
// expected reward (best_action in expected_reward.hpp) and learns nothing: the `oracle` where
// actions do not change what comes next, the `myopic` baseline where they do. Subclasses check
// in their constructors where they may be used. Its policy is the reward, which a policy file
// records, so its own saved state is empty.
class RECRL_API ExpectedRewardPolicy : public Algorithm {
 public:
  // `ctx` must carry the environment's spec and the reward, and the reward must give expected
  // values (a ConfigError at the algorithm's entry, naming `plugin`, otherwise).
  ExpectedRewardPolicy(const PluginContext& ctx, const std::string& plugin);

  void act(const ObsBatch& obs, ActMode mode, Rng& rng, std::span<int> actions) override;
  bool observe(const StepBatch&) override { return false; }
  void update(Rng&, Metrics&) override {}
  void save(std::ostream&) const override {}
  void load(std::istream&) override {}
  bool supports_checkpoints() const override { return true; }
  // One action in both modes: the best for the reward.
  bool action_probabilities(const ObsBatch& obs, ActMode mode, Matrix& probs) const override;
  // Each action's expected reward, which it plays the best of.
  bool action_scores(const ObsBatch& obs, Matrix& scores) const override;

 protected:
  const EnvSpec& env() const { return spec_; }

 private:
  int best(const ObsBatch& obs, Eigen::Index j) const;

  EnvSpec spec_;
  const RewardFunction& reward_;
};

}  // namespace recrl::toolkit
