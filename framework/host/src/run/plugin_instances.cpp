#include "plugin_instances.hpp"

#include <spdlog/spdlog.h>

namespace recrl {

EnvCopies make_env_copies(const ResolvedExperiment& x, const plugin::PluginRegistry& registry,
                          int count, const std::shared_ptr<spdlog::logger>& logger) {
  EnvCopies copies;
  for (int i = 0; i < count; ++i) {
    copies.envs.push_back(registry.create_environment(
        x.env.info->name, x.env.params, context_for(x.env, nullptr, nullptr, count, logger, "")));
    copies.rewards.push_back(registry.create_reward(
        x.reward.info->name, x.reward.params,
        context_for(x.reward, &copies.envs.back()->spec(), nullptr, count, logger, "")));
  }
  return copies;
}

}  // namespace recrl
