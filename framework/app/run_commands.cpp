// recrl run / recrl validate
#include <iostream>

#include <spdlog/spdlog.h>

#include "commands.hpp"
#include "options.hpp"
#include "recrl/config/experiment.hpp"
#include "recrl/core/errors.hpp"
#include "recrl/plugin/registry.hpp"
#include "recrl/run/results.hpp"
#include "recrl/run/runner.hpp"

namespace recrl::app {

namespace {

struct Loaded {
  std::unique_ptr<plugin::PluginRegistry> registry;
  ResolvedExperiment experiment;
};

// Shared by run and validate: parse the arguments, load the experiment, find its plugins and
// check everything. Returns nullopt after --help.
std::optional<Loaded> load(const std::vector<std::string>& args, const std::string& usage) {
  CommonOptions common;
  std::string file;
  po::options_description options("options");
  options.add_options()("experiment", po::value(&file)->required(), "the experiment file (YAML)");
  common.add_overrides(options);
  common.add_plugin_path(options);
  common.add_verbosity(options);
  po::positional_options_description positional;
  positional.add("experiment", 1);
  po::variables_map vm;
  if (!parse(args, usage, options, positional, vm)) return std::nullopt;
  common.apply_verbosity();

  std::vector<config::Override> overrides;
  for (const std::string& o : common.overrides) overrides.push_back(config::parse_override(o));
  const config::Experiment experiment = config::load_experiment(file, overrides);

  Loaded loaded{std::make_unique<plugin::PluginRegistry>(), {}};
  loaded.registry->scan(plugin_search_path(common.plugin_folders(), experiment.plugin_paths));
  loaded.registry->throw_if_problems();
  loaded.experiment = resolve_experiment(experiment, *loaded.registry);
  return loaded;
}

}  // namespace

int run_command(const std::vector<std::string>& args) {
  const auto loaded =
      load(args, "usage: recrl run FILE.yaml [--set PATH=VALUE]... [--plugin-path DIR]...");
  if (!loaded) return 0;
  const ExperimentResult result = run_experiment(loaded->experiment, *loaded->registry);
  std::cout << results_markdown(result);
  spdlog::info("results written to {}", (result.output / "results.md").string());
  return 0;
}

int validate_command(const std::vector<std::string>& args) {
  const auto loaded =
      load(args, "usage: recrl validate FILE.yaml [--set PATH=VALUE]... [--plugin-path DIR]...");
  if (!loaded) return 0;
  const auto& x = loaded->experiment;
  std::size_t runs = x.algorithms.size() * x.experiment.seeds.size();
  std::cout << x.experiment.file.string() << ": ok (" << x.algorithms.size() << " algorithms x "
            << x.experiment.seeds.size() << " seeds = " << runs << " runs)\n";
  return 0;
}

}  // namespace recrl::app
