#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "recrl/core/export.hpp"

namespace recrl {

// A Gym-like space. Box: `size` real features with per-feature bounds and names.
// Discrete: `size` actions 0..size-1, each with a label.
struct RECRL_API Space {
  enum class Kind { Box, Discrete };
  Kind kind = Kind::Box;
  int size = 0;
  std::vector<double> low;          // Box only; -inf/+inf where unbounded
  std::vector<double> high;         // Box only
  std::vector<std::string> labels;  // feature names (Box) or action labels (Discrete)
  // Box only, optional: true where a feature is a flag, exactly low or high (0 or 1). Empty
  // when there is none. (Last, so that {kind, size, low, high, labels} still initialises.)
  std::vector<bool> binary = {};

  // Index of a label, or nullopt.
  std::optional<int> index_of(const std::string& label) const;
};

// One entry of an action catalog, as named fields: {offer: discount, value: 15, channel: email}.
// Rewards resolve the fields they need once, in their constructor.
struct RECRL_API ActionInfo {
  std::string label;  // "[discount, 15%, email]"
  std::vector<std::pair<std::string, std::string>> fields;

  const std::string* field(const std::string& name) const;
};

struct RECRL_API EnvSpec {
  std::string name;  // the environment plugin's name
  Space observation;
  Space action;
  std::vector<ActionInfo> actions;  // one per discrete action; empty when actions have no fields
  int max_episode_steps = 0;        // 0: unbounded
  // True when an action cannot change what is observed next (a contextual bandit, such as
  // the recommendation environment at any horizon). Only then is the per-step argmax of the
  // reward's expected value an optimal policy, so only then does recrl offer an oracle.
  bool actions_affect_state = true;
  // Optional: named numbers of the environment's own customer model, for a reward that prices
  // what the environment decides. The campaign environment draws purchases itself and gives its
  // purchase model's coefficients ("purchase.base", ...), so that the `conversion` reward's
  // expected value is the environment's own (docs/environments/campaign.md).
  std::vector<std::pair<std::string, double>> constants = {};

  // The constant `name`, or nullopt.
  std::optional<double> constant(const std::string& wanted) const;
};

}  // namespace recrl
