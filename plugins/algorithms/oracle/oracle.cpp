// oracle: for each observation, the action with the highest noiseless expected reward.
// The logic is recrl::OraclePolicy, which the runner also uses to compute "% of oracle".
#include "recrl/plugin/export.hpp"
#include "recrl/run/oracle.hpp"

namespace {

class Oracle final : public recrl::OraclePolicy {
 public:
  static recrl::ParamSchema schema() { return {}; }

  Oracle(const recrl::Params&, const recrl::PluginContext& ctx)
      : OraclePolicy(*ctx.env, *ctx.reward, ctx.where, ctx.key_path) {}
};

}  // namespace

RECRL_ALGORITHM_PLUGIN(Oracle, "oracle",
                       "1.0.0", "per-user argmax of the reward's noiseless value (upper bound)")
