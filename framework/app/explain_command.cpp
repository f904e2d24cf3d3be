// recrl explain
#include <iostream>

#include <fmt/format.h>

#include "commands.hpp"
#include "explanation_output.hpp"
#include "policy_and_users.hpp"
#include "options.hpp"
#include "recrl/core/errors.hpp"
#include "recrl/loader/registry.hpp"
#include "recrl/run/explain.hpp"

namespace recrl::app {

int explain_command(const std::vector<std::string>& args) {
  CommonOptions common;
  PolicyAndUsers target;
  std::string background_file, format = "text";
  po::options_description options("options");
  target.add(options);
  options.add_options()("background", po::value(&background_file),
                        "a CSV of customers the contributions are measured against (default: "
                        "32 drawn from the policy's environment)")("format", po::value(&format),
                                                                   "text (default) or json");
  common.add_plugin_path(options);
  common.add_verbosity(options);
  po::variables_map vm;
  if (!parse(args,
             "usage: recrl explain (--policy FILE | --run RUN_ID [--db FILE]) "
             "(--user \"name=value,...\" | --users FILE.csv) [--background FILE.csv] "
             "[--format text|json]",
             options, {}, vm)) {
    return 0;
  }
  target.check("explain");
  if (format != "text" && format != "json") {
    throw ConfigError("explain: --format must be text or json, got '" + format + "'");
  }
  plugin::PluginRegistry registry;
  common.load_plugins_quietly(registry);
  Recommender recommender(target.policy_file(), registry);
  const Matrix users = target.users(recommender);
  const Matrix background = explanation_background(recommender, background_file);
  const auto explanations =
      explain_decisions(recommender, users, recommender.recommend(users), background);
  std::cout << (format == "json" ? explanations_json(explanations).dump(2) + "\n"
                                 : explanations_text(explanations));
  return 0;
}

}  // namespace recrl::app
