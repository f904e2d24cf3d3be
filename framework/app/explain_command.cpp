// recrl explain
#include <iostream>

#include <fmt/format.h>

#include "commands.hpp"
#include "explanation_output.hpp"
#include "options.hpp"
#include "recrl/core/errors.hpp"
#include "recrl/loader/registry.hpp"
#include "recrl/run/explain.hpp"
#include "store_access.hpp"

namespace recrl::app {

int explain_command(const std::vector<std::string>& args) {
  CommonOptions common;
  std::string policy, run_id, db_file, user, users_file, background_file, format = "text";
  po::options_description options("options");
  options.add_options()("policy", po::value(&policy), "a policy file")(
      "run", po::value(&run_id), "the policy of this stored run (an id or a unique prefix)")(
      "user", po::value(&user), "one customer: \"recency=15,frequency=3,...\"")(
      "users", po::value(&users_file), "a CSV file of customers")(
      "background", po::value(&background_file),
      "a CSV of customers the contributions are measured against (default: 32 drawn from the "
      "policy's environment)")("format", po::value(&format), "text (default) or json");
  add_db_option(options, db_file);
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
  if (policy.empty() == run_id.empty()) {
    throw ConfigError("explain: give exactly one of --policy and --run");
  }
  if (user.empty() == users_file.empty()) {
    throw ConfigError("explain: give exactly one of --user and --users");
  }
  if (format != "text" && format != "json") {
    throw ConfigError("explain: --format must be text or json, got '" + format + "'");
  }
  if (!run_id.empty()) {
    const store::ResultStore db = open_store_to_read(db_file);
    policy = stored_policy(db, find_run(db, run_id)).string();
  }
  plugin::PluginRegistry registry;
  common.load_plugins_quietly(registry);
  Recommender recommender(policy, registry);
  const bool sparse = recommender.sparse_features();
  const Matrix users = user.empty() ? read_users_csv(users_file, recommender.spec(), sparse)
                                    : Matrix(parse_user(user, recommender.spec(), sparse));
  const Matrix background = explanation_background(recommender, background_file);
  const auto explanations = explain_decisions(recommender, users, background);
  std::cout << (format == "json" ? explanations_json(explanations).dump(2) + "\n"
                                 : explanations_text(explanations));
  return 0;
}

}  // namespace recrl::app
