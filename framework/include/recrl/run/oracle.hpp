#pragma once

#include <optional>
#include <span>
#include <string>

#include "recrl/core/algorithm.hpp"
#include "recrl/core/environment.hpp"
#include "recrl/core/errors.hpp"
#include "recrl/core/export.hpp"
#include "recrl/core/reward.hpp"

namespace recrl {

// Why no oracle exists for this environment and reward, or nullopt when one does: the action
// space must be discrete, actions must not change what is observed next (spec
// actions_affect_state == false), and the reward must give a noiseless expected value.
RECRL_API std::optional<std::string> oracle_unavailable(const EnvSpec& spec,
                                                        const RewardFunction& reward);

// The action with the highest expected reward on `obs` (the first on ties).
RECRL_API int best_action(const EnvSpec& spec, const RewardFunction& reward, ConstVectorRef obs);

// The per-step argmax of the reward's expected value over the catalog: the best any policy can
// do in a bandit-like environment, and what "% of oracle" is measured against. It acts on raw
// observations, so normalisation does not affect it.
class RECRL_API OraclePolicy : public Algorithm {
 public:
  // Throws ConfigError at `where` (naming key_path) when oracle_unavailable() says why not.
  OraclePolicy(const EnvSpec& spec, const RewardFunction& reward, const SourceLocation& where,
               const std::string& key_path);

  void act(const ObsBatch& obs, ActMode mode, Rng& rng, std::span<int> actions) override;
  bool observe(const StepBatch& batch) override;
  void update(Rng& rng, Metrics& metrics) override;
  void save(std::ostream& out) const override;
  void load(std::istream& in) override;
  bool action_probabilities(const ObsBatch& obs, Matrix& probs) const override;

 private:
  EnvSpec spec_;
  const RewardFunction& reward_;
};

}  // namespace recrl
