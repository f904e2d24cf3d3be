#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <boost/program_options.hpp>

#include "recrl/loader/registry.hpp"
#include "recrl/logs/log_reader.hpp"

namespace recrl::app {

namespace po = boost::program_options;

// Options shared by the commands that load plugins and experiments.
struct CommonOptions {
  std::vector<std::string> plugin_paths;
  std::vector<std::string> overrides;
  bool quiet = false;
  bool verbose = false;

  void add_plugin_path(po::options_description& d);
  void add_overrides(po::options_description& d);
  void add_verbosity(po::options_description& d);
  // The three above, for the commands that load an experiment file (its positional argument,
  // "experiment", too).
  void add_experiment_options(po::options_description& d,
                              po::positional_options_description& positional);
  // Sets the log level from --quiet / --verbose.
  void apply_verbosity() const;
  std::vector<std::filesystem::path> plugin_folders() const;
  // For commands whose stdout is the answer (recommend, simulate, ope): plugins' progress notes
  // only with --verbose; then scans the plugin path into `registry`, refusing a broken plugin.
  void load_plugins_quietly(plugin::PluginRegistry& registry);
};

// Parses `args` with `options` and at most `positional` names; returns false (after printing
// the help) when --help was given.
bool parse(const std::vector<std::string>& args, const std::string& usage,
           po::options_description& options, const po::positional_options_description& positional,
           po::variables_map& vm);

// The value of --log-format (recrl, obd or vw); a ConfigError naming the accepted ones.
logs::LogFormat log_format_option(const std::string& value);

}  // namespace recrl::app
