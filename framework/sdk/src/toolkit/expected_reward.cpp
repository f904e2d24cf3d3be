#include "recrl/toolkit/expected_reward.hpp"

#include <limits>

#include "recrl/core/errors.hpp"

namespace recrl::toolkit {

std::optional<std::string> oracle_unavailable(const EnvSpec& spec, const RewardFunction& reward) {
  if (spec.action.kind != Space::Kind::Discrete) {
    return "environment '" + spec.name + "' does not have a discrete action space";
  }
  if (spec.actions_affect_state) {
    return "in environment '" + spec.name +
           "' actions change what is observed next, so the best action per step is not the best "
           "policy";
  }
  const Vector probe = Vector::Zero(spec.observation.size);
  const Transition t{probe, 0, probe, 0.0, true, false};
  if (!reward.expected(t)) return "the reward does not provide a noiseless expected value";
  return std::nullopt;
}

int best_action(const EnvSpec& spec, const RewardFunction& reward, ConstVectorRef obs,
                const AllowedActions& allowed) {
  int best = -1;
  double best_value = -std::numeric_limits<double>::infinity();
  for (int a = 0; a < spec.action.size; ++a) {
    if (!allowed(a)) continue;
    const Transition t{obs, a, obs, 0.0, true, false};
    const std::optional<double> value = reward.expected(t);
    RECRL_ASSERT(value.has_value(), "reward stopped providing its expected value");
    if (best < 0 || *value > best_value) {
      best_value = *value;
      best = a;
    }
  }
  return best;
}

}  // namespace recrl::toolkit
