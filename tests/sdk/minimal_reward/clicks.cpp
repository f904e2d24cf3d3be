// The smallest useful reward: 1 when a discount goes to a discount-sensitive user, else 0.
#include <recrl/plugin/export.hpp>
class Clicks final : public recrl::RewardFunction {
 public:
  Clicks(const recrl::Params&, const recrl::PluginContext& ctx)
      : flag_(ctx.env->observation.index_of("discount_sensitive").value()) {
    for (const auto& a : ctx.env->actions) discount_.push_back(*a.field("offer") == "discount");
  }
  double compute(const recrl::Transition& t, recrl::Rng&, std::span<double>) override {
    return t.obs[flag_] > 0.5 && discount_[t.action] ? 1.0 : 0.0;
  }
  int flag_;
  std::vector<bool> discount_;
};
RECRL_REWARD_PLUGIN(Clicks, "clicks", "1.0.0", "1 for a discount to a discount-sensitive user")
