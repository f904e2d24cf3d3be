// The `env_reward` reward: the environment's own reward (Transition::env_reward), times
// `scale`. For environments that carry their reward in their dynamics, such as cartpole's +1
// per step. It has no expected(): only the dynamics know what a step will pay, so no oracle is
// derived from it.
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

  // One number, no components; nothing random: the environment already drew what it needed.
  double compute(const Transition& t, Rng&, std::span<double>) override {
    return scale_ * t.env_reward;
  }

 private:
  double scale_;
};

}  // namespace

}  // namespace recrl::env_reward

RECRL_REWARD_PLUGIN(recrl::env_reward::EnvReward, "env_reward", "1.0.0",
                    "the environment's own reward, optionally scaled")
