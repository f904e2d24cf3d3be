// The `env_reward` reward: the environment's own reward (Transition::env_reward), times
// `scale`. For environments that carry their reward in their dynamics, such as cartpole's +1
// per step. It has no expected(): only the dynamics know what a step will pay, so no oracle is
// derived from it.
#include <string>
#include <vector>

#include "recrl/plugin/export.hpp"

namespace recrl::env_reward {

namespace {

class EnvReward final : public RewardFunction {
 public:
  static ParamSchema schema() {
    ParamSchema s;
    s.real("scale", 1.0, "factor applied to the environment's reward");
    return s;
  }

  EnvReward(const Params& params, const PluginContext&) : scale_(params.get_double("scale")) {}

  const std::vector<std::string>& components() const override { return components_; }

  double compute(const Transition& t, Rng& rng, std::span<double> parts) override {
    static_cast<void>(rng);  // nothing random: the environment already drew what it needed
    RECRL_ASSERT(parts.size() == components_.size(), "env_reward: parts has the wrong size");
    const double reward = scale_ * t.env_reward;
    parts[0] = reward;
    return reward;
  }

 private:
  const std::vector<std::string> components_{"env"};
  double scale_;
};

}  // namespace

}  // namespace recrl::env_reward

RECRL_REWARD_PLUGIN(recrl::env_reward::EnvReward, "env_reward", "1.0.0",
                    "the environment's own reward, optionally scaled")
