#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "recrl/core/environment.hpp"
#include "recrl/core/plugin_context.hpp"
#include "recrl/core/reward.hpp"
#include "recrl/loader/registry.hpp"
#include "recrl/config/resolved_experiment.hpp"

namespace recrl {

// Evaluation acts on up to this many episodes at once (batched forward passes).
inline constexpr std::int64_t kEvalSlots = 64;

// Environment copies with one reward object each, for training or evaluation.
struct EnvCopies {
  std::vector<std::shared_ptr<Environment>> envs;
  std::vector<std::shared_ptr<RewardFunction>> rewards;
};
EnvCopies make_env_copies(const ResolvedExperiment& x, const plugin::PluginRegistry& registry,
                          int count, const std::shared_ptr<spdlog::logger>& logger);

}  // namespace recrl
