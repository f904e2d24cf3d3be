// recrl plugins / recrl describe
#include <iostream>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "commands.hpp"
#include "options.hpp"
#include "recrl/core/errors.hpp"
#include "recrl/loader/registry.hpp"
#include "recrl/run/runner.hpp"

namespace recrl::app {

namespace {

std::string default_text(const ParamSpec& spec) {
  if (!spec.has_default()) return "(required)";
  const Value& v = spec.default_value;
  if (v.is_scalar()) return v.text();
  return v.is_list() && v.items().size() <= 8 ? v.text() : "(see README)";
}

}  // namespace

int plugins_command(const std::vector<std::string>& args) {
  CommonOptions common;
  po::options_description options("options");
  common.add_plugin_path(options);
  po::variables_map vm;
  if (!parse(args, "usage: recrl plugins [--plugin-path DIR]...", options, {}, vm)) return 0;

  plugin::PluginRegistry registry;
  registry.scan(plugin::search_path(common.plugin_folders()));
  std::cout << fmt::format("{:<12} {:<16} {:<8} {}\n", "kind", "name", "version", "file");
  for (const plugin::PluginInfo* p : registry.list()) {
    std::cout << fmt::format("{:<12} {:<16} {:<8} {}\n", plugin::to_string(p->kind), p->name,
                             p->version, p->file.string());
  }
  // The usable plugins are listed; the broken files still make the command fail.
  registry.throw_if_problems();
  return 0;
}

int describe_command(const std::vector<std::string>& args) {
  CommonOptions common;
  std::string name;
  std::string kind;
  po::options_description options("options");
  options.add_options()("name", po::value(&name)->required(), "the plugin's name")(
      "kind", po::value(&kind), "environment, reward or algorithm (when the name is ambiguous)");
  common.add_plugin_path(options);
  po::positional_options_description positional;
  positional.add("name", 1);
  po::variables_map vm;
  if (!parse(args, "usage: recrl describe NAME [--kind KIND] [--plugin-path DIR]...", options,
             positional, vm)) {
    return 0;
  }

  plugin::PluginRegistry registry;
  registry.scan(plugin::search_path(common.plugin_folders()));
  registry.throw_if_problems();
  std::vector<const plugin::PluginInfo*> matches;
  std::vector<std::string> known;
  for (const plugin::PluginInfo* p : registry.list()) {
    known.push_back(p->name);
    if (p->name == name && (kind.empty() || kind == plugin::to_string(p->kind)))
      matches.push_back(p);
  }
  if (matches.empty()) {
    throw ConfigError({"describe", 0, 0}, "",
                      fmt::format("no plugin named '{}'{} (plugins: {})", name,
                                  kind.empty() ? "" : " of kind " + kind, fmt::join(known, ", ")));
  }
  if (matches.size() > 1) {
    throw ConfigError({"describe", 0, 0}, "",
                      fmt::format("'{}' names plugins of several kinds; add --kind", name));
  }
  const plugin::PluginInfo& p = *matches.front();
  std::cout << fmt::format("{} {} {} — {}\nfile: {}\n\n", plugin::to_string(p.kind), p.name,
                           p.version, p.summary, p.file.string());
  if (p.schema.specs().empty()) {
    std::cout << "parameters: none\n";
    return 0;
  }
  std::cout << "| parameter | type | default | accepted | description |\n|---|---|---|---|---|\n";
  for (const ParamSpec& spec : p.schema.specs()) {
    std::cout << fmt::format("| {} | {} | {} | {} | {} |\n", spec.name, to_string(spec.type),
                             default_text(spec), spec.accepted(), spec.doc);
  }
  return 0;
}

}  // namespace recrl::app
