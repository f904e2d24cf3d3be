#pragma once

#include <optional>
#include <string>

#include "recrl/core/export.hpp"
#include "recrl/core/reward.hpp"
#include "recrl/core/spaces.hpp"
#include "recrl/core/types.hpp"
#include "recrl/toolkit/action_mask.hpp"

namespace recrl::toolkit {

// The best action by a reward's noiseless expected value: what the `oracle` algorithm plays and
// what "% of oracle" is measured against.

// Why no such oracle exists for this environment and reward, or nullopt when one does: the
// action space must be discrete, actions must not change what is observed next (spec
// actions_affect_state == false), and the reward must give a noiseless expected value.
RECRL_API std::optional<std::string> oracle_unavailable(const EnvSpec& spec,
                                                        const RewardFunction& reward);

// The allowed action with the highest expected reward on the raw observation `obs` (the first on
// ties).
RECRL_API int best_action(const EnvSpec& spec, const RewardFunction& reward, ConstVectorRef obs,
                          const AllowedActions& allowed);

}  // namespace recrl::toolkit
