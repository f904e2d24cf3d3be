#include "recrl/toolkit/spaces_check.hpp"

#include "recrl/core/errors.hpp"

namespace recrl::toolkit {

void require_discrete_actions(const PluginContext& ctx, const std::string& algorithm) {
  RECRL_ASSERT(ctx.env != nullptr, "an algorithm is constructed with the environment's spec");
  if (ctx.env->action.kind != Space::Kind::Discrete) {
    throw ConfigError(ctx.where, ctx.key_path,
                      algorithm + " needs a discrete action space, environment '" + ctx.env->name +
                          "' has a continuous one");
  }
}

void require_box_observations_and_discrete_actions(const PluginContext& ctx,
                                                   const std::string& algorithm) {
  RECRL_ASSERT(ctx.env != nullptr, "an algorithm is constructed with the environment's spec");
  if (ctx.env->action.kind != Space::Kind::Discrete ||
      ctx.env->observation.kind != Space::Kind::Box) {
    throw ConfigError(ctx.where, ctx.key_path,
                      algorithm + " needs box observations and discrete actions; environment '" +
                          ctx.env->name + "' does not have them");
  }
}

}  // namespace recrl::toolkit
