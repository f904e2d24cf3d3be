#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "recrl/core/environment.hpp"
#include "recrl/core/plugin_context.hpp"
#include "recrl/core/reward.hpp"
#include "recrl/loader/registry.hpp"
#include "recrl/run/runner.hpp"

namespace recrl {

// Evaluation acts on up to this many episodes at once (batched forward passes).
inline constexpr std::int64_t kEvalSlots = 64;

// A logger named `name` that writes where the default logger writes, at its level.
std::shared_ptr<spdlog::logger> make_logger(const std::string& name);

// What a plugin of the experiment is given when constructed. A null logger means one named
// after the plugin's label.
PluginContext context_for(const ResolvedPlugin& p, const EnvSpec* env, const RewardFunction* reward,
                          int n_envs, std::shared_ptr<spdlog::logger> logger, std::string run_dir);
// The same for an algorithm, which also learns its training budget.
PluginContext algorithm_context(const ResolvedAlgorithm& algo, const EnvSpec& env,
                                const RewardFunction& reward,
                                std::shared_ptr<spdlog::logger> logger, std::string run_dir);

// Environment copies with one reward object each, for training or evaluation.
struct EnvCopies {
  std::vector<std::shared_ptr<Environment>> envs;
  std::vector<std::shared_ptr<RewardFunction>> rewards;
};
EnvCopies make_env_copies(const ResolvedExperiment& x, const plugin::PluginRegistry& registry,
                          int count, const std::shared_ptr<spdlog::logger>& logger);

}  // namespace recrl
