#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "recrl/config/experiment.hpp"
#include "recrl/core/algorithm.hpp"
#include "recrl/core/environment.hpp"
#include "recrl/core/export.hpp"
#include "recrl/core/params.hpp"
#include "recrl/core/plugin_context.hpp"
#include "recrl/core/spaces.hpp"
#include "recrl/loader/registry.hpp"

namespace spdlog {
class logger;
}

namespace recrl {

// A plugin use whose plugin was found and whose parameters passed its schema.
struct ResolvedPlugin {
  config::PluginUse use;
  const plugin::PluginInfo* info = nullptr;
  Params params;
};

struct ResolvedAlgorithm : ResolvedPlugin {
  std::int64_t timesteps = 0;  // train: settings with this algorithm's overrides applied
  int n_envs = 1;
  bool normalize_observations = false;
  std::int64_t checkpoint_every = 0;  // 0: no checkpoints; not part of run_id()
};

// An experiment checked against the plugins it names: every plugin exists, every parameter fits
// its plugin's schema, and every plugin could be constructed with them (which is where a plugin
// checks rules that span parameters, or a reward checks the environment's features).
struct ResolvedExperiment {
  config::Experiment experiment;
  ResolvedPlugin env;
  ResolvedPlugin reward;
  std::vector<ResolvedAlgorithm> algorithms;
  // What the plugins said of themselves when they were constructed: the environment's spec
  // (features, actions and their catalog fields) and the names of the reward's components,
  // followed by the environment's counters as "env.<counter>" (both are reported per
  // evaluation episode, side by side).
  EnvSpec env_spec;
  std::vector<std::string> reward_components;
  // Whether an oracle exists for them (toolkit::oracle_unavailable): then runs are measured
  // against it ("% of oracle").
  bool has_oracle = false;

  // The experiment document with every plugin's parameters in full (defaults included):
  // what config.resolved.yaml holds.
  Value resolved_document() const;
};

// Checks an experiment against the plugins it names, constructing each once: every plugin
// exists, every parameter fits its plugin's schema, and every plugin constructs with them (a
// plugin checks there what spans parameters or plugins: a reward the environment's features,
// an algorithm the spaces), and a run asked to checkpoint has plugins that can. All problems
// are reported together in one ConfigError (one per line).
RECRL_API ResolvedExperiment resolve_experiment(const config::Experiment& experiment,
                                                const plugin::PluginRegistry& registry);

// Everything `recrl run` and `recrl validate` check before anything runs: the file with its
// --set overrides, the sweep's variants, the plugins found on the search path (the default
// folders, then `plugin_folders`, then the experiment's plugin_paths; scanned into `registry`),
// and each variant resolved as above.
RECRL_API std::vector<ResolvedExperiment> load_resolved_experiment(
    const std::filesystem::path& file, const std::vector<config::Override>& overrides,
    const std::vector<std::filesystem::path>& plugin_folders, plugin::PluginRegistry& registry);

// Why a run of `algorithm` (plugin `algorithm_plugin`) on `env` cannot checkpoint, naming the
// plugin that cannot, or nullopt when it can.
RECRL_API std::optional<std::string> checkpoint_refusal(const Algorithm& algorithm,
                                                        const std::string& algorithm_plugin,
                                                        const Environment& env);

// A logger named `name` that writes where the default logger writes, at its level.
RECRL_API std::shared_ptr<spdlog::logger> make_logger(const std::string& name);
// What a plugin of the experiment is given when constructed. A null logger means one named
// after the plugin's label.
RECRL_API PluginContext context_for(const ResolvedPlugin& p, const EnvSpec* env,
                                    const RewardFunction* reward, int n_envs,
                                    std::shared_ptr<spdlog::logger> logger, std::string run_dir);
// The same for an algorithm, which also learns its training budget.
RECRL_API PluginContext algorithm_context(const ResolvedAlgorithm& algo, const EnvSpec& env,
                                          const RewardFunction& reward,
                                          std::shared_ptr<spdlog::logger> logger,
                                          std::string run_dir);

}  // namespace recrl
