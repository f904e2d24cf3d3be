#pragma once

#include <string>
#include <vector>

#include <Eigen/Core>

#include "recrl/core/export.hpp"
#include "recrl/core/plugin_context.hpp"

namespace recrl::toolkit {

// Constructor checks of an algorithm against the environment it is given: a ConfigError at the
// algorithm's entry (ctx.where, ctx.key_path) naming `algorithm` and the environment when its
// spaces are not what the algorithm handles.
RECRL_API void require_discrete_actions(const PluginContext& ctx, const std::string& algorithm);
RECRL_API void require_box_observations_and_discrete_actions(const PluginContext& ctx,
                                                             const std::string& algorithm);

// The index of each of `names` among the observation's features, in that order; when any is
// missing, a ConfigError at `where` (key_path) naming `plugin`, every missing feature and the
// features the environment has. For a reward or algorithm that reads features by meaning.
RECRL_API std::vector<Eigen::Index> require_features(const Space& observation,
                                                     const SourceLocation& where,
                                                     const std::string& key_path,
                                                     const std::string& plugin,
                                                     const std::vector<std::string>& names);

}  // namespace recrl::toolkit
