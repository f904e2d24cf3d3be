#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "recrl/core/errors.hpp"
#include "recrl/core/spaces.hpp"

namespace spdlog {
class logger;
}

namespace recrl {

class RewardFunction;

// What a plugin's constructor is given besides its parameters.
struct PluginContext {
  // The environment's spec: set for rewards and algorithms, null for environments.
  const EnvSpec* env = nullptr;
  // The run's reward: set for algorithms (the oracle consults its expected value).
  const RewardFunction* reward = nullptr;
  // Number of environment copies the algorithm acts on at once.
  int n_envs = 1;
  // The run's training budget in environment steps (all copies together): what SB3 calls
  // total_timesteps, for schedules over training (lin_0.001, exploration). 0 outside training
  // (e.g. when `recommend` loads a policy).
  std::int64_t total_timesteps = 0;
  // Where the plugin may log (never to stdout). Never null.
  std::shared_ptr<spdlog::logger> logger;
  // The run's output folder ("" when the plugin is made outside a run, e.g. by `recommend`).
  std::string run_dir;
  // "algorithms[1]" etc. and where that entry was written: for errors about the plugin as a
  // whole (errors about one parameter go through Params::error).
  std::string key_path;
  SourceLocation where;
};

}  // namespace recrl
