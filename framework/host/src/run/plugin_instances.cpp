#include "plugin_instances.hpp"

#include <spdlog/spdlog.h>

namespace recrl {

std::shared_ptr<spdlog::logger> make_logger(const std::string& name) {
  const auto& parent = spdlog::default_logger();
  auto logger =
      std::make_shared<spdlog::logger>(name, parent->sinks().begin(), parent->sinks().end());
  logger->set_level(parent->level());
  return logger;
}

PluginContext context_for(const ResolvedPlugin& p, const EnvSpec* env, const RewardFunction* reward,
                          int n_envs, std::shared_ptr<spdlog::logger> logger, std::string run_dir) {
  PluginContext ctx;
  ctx.env = env;
  ctx.reward = reward;
  ctx.n_envs = n_envs;
  ctx.logger = logger ? std::move(logger) : make_logger(p.use.label);
  ctx.run_dir = std::move(run_dir);
  ctx.key_path = p.use.key_path;
  ctx.where = p.use.where;
  return ctx;
}

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

PluginContext algorithm_context(const ResolvedAlgorithm& algo, const EnvSpec& env,
                                const RewardFunction& reward,
                                std::shared_ptr<spdlog::logger> logger, std::string run_dir) {
  PluginContext ctx =
      context_for(algo, &env, &reward, algo.n_envs, std::move(logger), std::move(run_dir));
  ctx.total_timesteps = algo.timesteps;
  return ctx;
}

}  // namespace recrl
