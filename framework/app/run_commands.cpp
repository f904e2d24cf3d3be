// recrl run / recrl validate
#include <algorithm>
#include <iostream>
#include <thread>

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
  std::vector<ResolvedExperiment> variants;
  RunOptions options;
};

// "I/N" with 1 <= I <= N.
void parse_shard(const std::string& text, RunOptions& options) {
  const auto slash = text.find('/');
  int index = 0;
  int count = 0;
  try {
    std::size_t used_index = 0;
    std::size_t used_count = 0;
    if (slash != std::string::npos) {
      index = std::stoi(text.substr(0, slash), &used_index);
      count = std::stoi(text.substr(slash + 1), &used_count);
    }
    if (slash == std::string::npos || used_index != slash ||
        used_count != text.size() - slash - 1) {
      index = 0;
    }
  } catch (const std::exception&) {
    index = 0;
  }
  if (index < 1 || count < 1 || index > count) {
    throw ConfigError("--shard '" + text +
                      "': expected I/N with 1 <= I <= N, e.g. --shard 1/4 for the first of four "
                      "shares");
  }
  options.shard_index = index;
  options.shard_count = count;
}

// Shared by run and validate: parse the arguments, load the experiment, find its plugins and
// check everything. Returns nullopt after --help.
std::optional<Loaded> load(const std::vector<std::string>& args, const std::string& usage) {
  CommonOptions common;
  std::string file;
  std::string shard = "1/1";
  Loaded loaded{std::make_unique<plugin::PluginRegistry>(), {}, {}};
  loaded.options.jobs = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  po::options_description options("options");
  options.add_options()("experiment", po::value(&file)->required(), "the experiment file (YAML)")(
      "jobs,j", po::value(&loaded.options.jobs),
      "runs at once (default: the number of cores); results do not depend on it")(
      "shard", po::value(&shard), "run only share I of N of the run list: I/N");
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
  if (loaded.options.jobs < 1) {
    throw ConfigError("--jobs " + std::to_string(loaded.options.jobs) + ": expected at least 1");
  }
  parse_shard(shard, loaded.options);
  const std::vector<config::Experiment> variants = config::load_experiment_variants(file, overrides);

  loaded.registry->scan(
      plugin_search_path(common.plugin_folders(), variants.front().plugin_paths));
  loaded.registry->throw_if_problems();
  for (const config::Experiment& variant : variants) {
    loaded.variants.push_back(resolve_experiment(variant, *loaded.registry));
  }
  return loaded;
}

}  // namespace

int run_command(const std::vector<std::string>& args) {
  const auto loaded =
      load(args, "usage: recrl run FILE.yaml [--set PATH=VALUE]... [--plugin-path DIR]...");
  if (!loaded) return 0;
  const ExperimentResult result =
      run_experiment(loaded->variants, *loaded->registry, loaded->options);
  std::cout << results_markdown(result);
  spdlog::info("results written to {}", (result.output / "results.md").string());
  return 0;
}

int validate_command(const std::vector<std::string>& args) {
  const auto loaded =
      load(args, "usage: recrl validate FILE.yaml [--set PATH=VALUE]... [--plugin-path DIR]...");
  if (!loaded) return 0;
  const auto& x = loaded->variants.front();
  const std::size_t variants = loaded->variants.size();
  const std::size_t runs = variants * x.algorithms.size() * x.experiment.seeds.size();
  std::cout << x.experiment.file.string() << ": ok ("
            << (variants > 1 ? std::to_string(variants) + " variants x " : "")
            << x.algorithms.size() << " algorithms x " << x.experiment.seeds.size()
            << " seeds = " << runs << " runs)\n";
  return 0;
}

}  // namespace recrl::app
