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

std::vector<Eigen::Index> require_features(const Space& observation, const SourceLocation& where,
                                           const std::string& key_path, const std::string& plugin,
                                           const std::vector<std::string>& names) {
  std::vector<Eigen::Index> indices;
  std::string missing;
  for (const std::string& name : names) {
    const auto index = observation.index_of(name);
    if (!index) missing += (missing.empty() ? "" : ", ") + name;
    indices.push_back(index.value_or(0));
  }
  if (missing.empty()) return indices;
  std::string has;
  for (const auto& label : observation.labels) has += (has.empty() ? "" : ", ") + label;
  throw ConfigError(where, key_path,
                    plugin + " needs the observation features " + missing +
                        ", which the environment does not have (it has: " +
                        (has.empty() ? "no named features" : has) + ")");
}

}  // namespace recrl::toolkit
