// oracle: for each observation, the action with the highest noiseless expected reward (the
// reward's expected()), the best any policy can do where actions do not change what comes next.
// The runner also evaluates it to compute every run's "% of oracle". It acts on raw
// observations, so normalisation does not affect it.
#include "recrl/plugin/export.hpp"
#include "recrl/toolkit/expected_reward.hpp"
#include "recrl/toolkit/expected_reward_policy.hpp"

namespace {

class Oracle final : public recrl::toolkit::ExpectedRewardPolicy {
 public:
  Oracle(const recrl::Params&, const recrl::PluginContext& ctx)
      : ExpectedRewardPolicy(ctx, "the oracle") {
    if (const auto why = recrl::toolkit::oracle_unavailable(env(), *ctx.reward)) {
      throw recrl::ConfigError(
          ctx.where, ctx.key_path,
          "the oracle is not available here: " + *why +
              (env().actions_affect_state ? " (`myopic` plays the best action per step there)"
                                          : ""));
    }
  }
};

}  // namespace

RECRL_ALGORITHM_PLUGIN(Oracle, "oracle", "1.0.0",
                       "per-user argmax of the reward's noiseless value (upper bound)")
