#include "options.hpp"

#include <iostream>

#include <spdlog/spdlog.h>

#include "recrl/core/errors.hpp"

namespace recrl::app {

void CommonOptions::add_plugin_path(po::options_description& d) {
  d.add_options()("plugin-path", po::value(&plugin_paths)->composing(),
                  "also search DIR for plugins (repeatable)");
}

void CommonOptions::add_overrides(po::options_description& d) {
  d.add_options()("set", po::value(&overrides)->composing(),
                  "override a value of the experiment file: PATH=VALUE, e.g. "
                  "train.timesteps=5000 or algorithms.0.params.learning_rate=1e-3 (repeatable)");
}

void CommonOptions::add_verbosity(po::options_description& d) {
  d.add_options()("quiet,q", po::bool_switch(&quiet), "print only warnings, errors and results")(
      "verbose,v", po::bool_switch(&verbose), "print debug messages (per-update metrics)");
}

void CommonOptions::add_experiment_options(po::options_description& d,
                                           po::positional_options_description& positional) {
  add_overrides(d);
  add_plugin_path(d);
  add_verbosity(d);
  positional.add("experiment", 1);
}

void CommonOptions::apply_verbosity() const {
  if (quiet) spdlog::set_level(spdlog::level::warn);
  if (verbose) spdlog::set_level(spdlog::level::debug);
}

void CommonOptions::load_plugins_quietly(plugin::PluginRegistry& registry) {
  quiet = !verbose;
  apply_verbosity();
  registry.scan(plugin::search_path(plugin_folders()));
  registry.throw_if_problems();
}

std::vector<std::filesystem::path> CommonOptions::plugin_folders() const {
  return {plugin_paths.begin(), plugin_paths.end()};
}

bool parse(const std::vector<std::string>& args, const std::string& usage,
           po::options_description& options, const po::positional_options_description& positional,
           po::variables_map& vm) {
  options.add_options()("help,h", "show this help");
  po::store(po::command_line_parser(args).options(options).positional(positional).run(), vm);
  if (vm.count("help")) {
    std::cout << usage << "\n" << options << "\n";
    return false;
  }
  try {
    po::notify(vm);
  } catch (const po::required_option& e) {
    // A missing positional argument is named by its place in the usage line, not as the
    // "--experiment" option program_options knows it by.
    if (positional.max_total_count() > 0 &&
        e.get_option_name() == "--" + positional.name_for_position(0)) {
      throw po::error("missing the " + positional.name_for_position(0) + " argument; " + usage);
    }
    throw;
  }
  return true;
}

logs::LogFormat log_format_option(const std::string& value) {
  const auto format = logs::parse_log_format(value);
  if (!format) throw ConfigError("--log-format: expected recrl, obd or vw, got '" + value + "'");
  return *format;
}

}  // namespace recrl::app
