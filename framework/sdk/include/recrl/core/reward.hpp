#pragma once

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "recrl/core/random.hpp"
#include "recrl/core/types.hpp"

namespace recrl {

struct Transition {
  ConstVectorRef obs;  // what the action was taken on (the environment's raw features)
  int action;
  ConstVectorRef next_obs;  // what followed (the final observation when the episode ended)
  double env_reward;        // the environment's own reward for this step
  bool terminated;
  bool truncated;
};

// Scores a transition. Constructed valid from (Params, PluginContext) with the environment's
// spec in the context: a reward resolves the feature names and catalog fields it needs there,
// so that a mismatch fails at start-up and points at the experiment file.
class RewardFunction {
 public:
  RewardFunction() = default;
  RewardFunction(const RewardFunction&) = delete;
  RewardFunction& operator=(const RewardFunction&) = delete;
  virtual ~RewardFunction() = default;

  // The reward of `t`, drawing any noise from `rng`. Writes each component's value into
  // `parts` (size components().size(); empty for a reward without components) so that a
  // reward can be shown and explained: results report each component's mean.
  virtual double compute(const Transition& t, Rng& rng, std::span<double> parts) = 0;
  // Optional: names of the parts the reward is made of ("targeting", "channel", ...), fixed
  // for the object's lifetime. The default, none: the reward is one number.
  virtual const std::vector<std::string>& components() const {
    static const std::vector<std::string> none;
    return none;
  }
  // The noiseless expected reward, where the reward can say it. When it can, recrl derives
  // an oracle policy (the per-step argmax over the catalog) for bandit-like environments.
  virtual std::optional<double> expected(const Transition& t) const {
    static_cast<void>(t);
    return std::nullopt;
  }
  // Optional: each component's noiseless expected value, written into `parts` like compute();
  // false where the reward cannot say (the default). `recrl recommend` shows them beside
  // expected(), so that a stochastic reward's parts are not one random draw.
  virtual bool expected_components(const Transition& t, std::span<double> parts) const {
    static_cast<void>(t);
    static_cast<void>(parts);
    return false;
  }
};

}  // namespace recrl
