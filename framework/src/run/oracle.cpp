#include "recrl/run/oracle.hpp"

#include <istream>
#include <limits>
#include <ostream>

#include "recrl/core/errors.hpp"

namespace recrl {

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

int best_action(const EnvSpec& spec, const RewardFunction& reward, ConstVectorRef obs) {
  int best = 0;
  double best_value = -std::numeric_limits<double>::infinity();
  for (int a = 0; a < spec.action.size; ++a) {
    const Transition t{obs, a, obs, 0.0, true, false};
    const std::optional<double> value = reward.expected(t);
    RECRL_ASSERT(value.has_value(), "reward stopped providing its expected value");
    if (*value > best_value) {
      best_value = *value;
      best = a;
    }
  }
  return best;
}

OraclePolicy::OraclePolicy(const EnvSpec& spec, const RewardFunction& reward,
                           const SourceLocation& where, const std::string& key_path)
    : spec_(spec), reward_(reward) {
  if (const auto why = oracle_unavailable(spec, reward)) {
    throw ConfigError(where, key_path, "the oracle is not available here: " + *why);
  }
}

void OraclePolicy::act(const ObsBatch& obs, ActMode, Rng&, std::span<int> actions) {
  for (Eigen::Index j = 0; j < obs.raw.cols(); ++j) {
    actions[j] = best_action(spec_, reward_, obs.raw.col(j));
  }
}

bool OraclePolicy::observe(const StepBatch&) { return false; }

void OraclePolicy::update(Rng&, Metrics&) {}

// The oracle has nothing to learn: its policy is the reward, which a policy file records.
void OraclePolicy::save(std::ostream&) const {}
void OraclePolicy::load(std::istream&) {}

bool OraclePolicy::action_probabilities(const ObsBatch& obs, Matrix& probs) const {
  probs = Matrix::Zero(spec_.action.size, obs.raw.cols());
  for (Eigen::Index j = 0; j < obs.raw.cols(); ++j) {
    probs(best_action(spec_, reward_, obs.raw.col(j)), j) = 1;
  }
  return true;
}

}  // namespace recrl
