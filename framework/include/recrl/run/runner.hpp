#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "recrl/config/experiment.hpp"
#include "recrl/core/export.hpp"
#include "recrl/core/params.hpp"
#include "recrl/plugin/registry.hpp"
#include "recrl/run/results.hpp"

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
};

// An experiment checked against the plugins it names: every plugin exists, every parameter fits
// its plugin's schema, and every plugin could be constructed with them (which is where a plugin
// checks rules that span parameters, or a reward checks the environment's features).
struct ResolvedExperiment {
  config::Experiment experiment;
  ResolvedPlugin env;
  ResolvedPlugin reward;
  std::vector<ResolvedAlgorithm> algorithms;

  // The experiment document with every plugin's parameters in full (defaults included):
  // what config.resolved.yaml holds.
  Value resolved_document() const;
};

// The plugin search path of a command: the default folders (see PluginRegistry), then the
// --plugin-path folders, then the experiment's plugin_paths.
RECRL_API std::vector<std::filesystem::path> plugin_search_path(
    const std::vector<std::filesystem::path>& command_line_paths,
    const std::vector<std::filesystem::path>& experiment_paths = {});

// Resolves and checks everything before anything runs. All problems found are reported
// together in one ConfigError (one per line).
RECRL_API ResolvedExperiment resolve_experiment(const config::Experiment& experiment,
                                                const plugin::PluginRegistry& registry);

// Trains every algorithm on every seed, evaluates each final policy on the held-out episodes,
// saves policies and learning curves under <output>/runs/<label>__s<seed>/, and writes
// config.resolved.yaml and results.{md,csv,json} into the output folder. Results files are
// written only when every run has finished.
RECRL_API ExperimentResult run_experiment(const ResolvedExperiment& experiment,
                                          const plugin::PluginRegistry& registry);

}  // namespace recrl
