// myopic: each step, the allowed action with the highest noiseless expected immediate reward
// (the reward's expected()): the one-step oracle. Where actions change what comes next (the
// campaign environment), it is the baseline that planning has to beat: it knows the reward's
// model exactly and ignores every consequence beyond today.
#include "recrl/plugin/export.hpp"
#include "recrl/toolkit/expected_reward_policy.hpp"

namespace {

class Myopic final : public recrl::toolkit::ExpectedRewardPolicy {
 public:
  Myopic(const recrl::Params&, const recrl::PluginContext& ctx)
      : ExpectedRewardPolicy(ctx, "myopic") {}
};

}  // namespace

RECRL_ALGORITHM_PLUGIN(Myopic, "myopic", "1.0.0",
                       "the allowed action with the best expected immediate reward (one-step "
                       "oracle)")
