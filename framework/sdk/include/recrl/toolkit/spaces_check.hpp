#pragma once

#include <string>

#include "recrl/core/export.hpp"
#include "recrl/core/plugin_context.hpp"

namespace recrl::toolkit {

// Constructor checks of an algorithm against the environment it is given: a ConfigError at the
// algorithm's entry (ctx.where, ctx.key_path) naming `algorithm` and the environment when its
// spaces are not what the algorithm handles.
RECRL_API void require_discrete_actions(const PluginContext& ctx, const std::string& algorithm);
RECRL_API void require_box_observations_and_discrete_actions(const PluginContext& ctx,
                                                             const std::string& algorithm);

}  // namespace recrl::toolkit
