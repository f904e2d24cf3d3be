// oracle: for each observation, the action with the highest noiseless expected reward.
// The logic is recrl::OraclePolicy, which the runner also uses to compute "% of oracle".
#include <istream>
#include <ostream>

#include "recrl/plugin/export.hpp"
#include "recrl/run/oracle.hpp"

namespace {

class Oracle final : public recrl::OraclePolicy {
 public:
  static recrl::ParamSchema schema() { return {}; }

  Oracle(const recrl::Params&, const recrl::PluginContext& ctx)
      : OraclePolicy(*ctx.env, *ctx.reward, ctx.where, ctx.key_path) {}

  // A fixed rule over the reward's expected value: nothing changes while it "trains".
  bool supports_checkpoints() const override { return true; }
  void save_training_state(std::ostream&) const override {}
  void load_training_state(std::istream&) override {}
};

}  // namespace

RECRL_ALGORITHM_PLUGIN(Oracle, "oracle",
                       "1.0.0", "per-user argmax of the reward's noiseless value (upper bound)")
