// recrl simulate
#include <iostream>

#include <fmt/format.h>

#include "commands.hpp"
#include "options.hpp"
#include "recrl/core/errors.hpp"
#include "recrl/loader/registry.hpp"
#include "recrl/run/simulate.hpp"
#include "store_access.hpp"

namespace recrl::app {

int simulate_command(const std::vector<std::string>& args) {
  CommonOptions common;
  std::string policy;
  std::string run_id;
  std::string db_file;
  std::string out;
  std::int64_t episodes = 0;
  std::uint64_t seed = 0;
  bool force = false;
  po::options_description options("options");
  options.add_options()("policy", po::value(&policy), "the logging policy: a policy file")(
      "run", po::value(&run_id), "the logging policy: a stored run's (an id or unique prefix)")(
      "episodes", po::value(&episodes)->required(), "episodes to simulate (each a customer)")(
      "out", po::value(&out)->required(), "the log to write (CSV, docs/logs.md)")(
      "seed", po::value(&seed), "seed of the environment, reward and policy draws (default 0)")(
      "force", po::bool_switch(&force), "replace the log (and its truth file) if they exist");
  add_db_option(options, db_file);
  common.add_plugin_path(options);
  common.add_verbosity(options);
  po::variables_map vm;
  if (!parse(args,
             "usage: recrl simulate (--policy FILE | --run RUN_ID [--db FILE]) --episodes N "
             "--out LOG.csv [--seed S] [--force]",
             options, {}, vm)) {
    return 0;
  }
  if (policy.empty() == run_id.empty()) {
    throw ConfigError("simulate: give exactly one of --policy and --run");
  }
  if (episodes < 1 || episodes > 100'000'000) {
    throw ConfigError(fmt::format("--episodes {}: expected 1 to 100000000", episodes));
  }
  if (!run_id.empty()) {
    const store::ResultStore db = open_store_to_read(db_file);
    policy = stored_policy(db, find_run(db, run_id)).string();
  }
  plugin::PluginRegistry registry;
  common.load_plugins_quietly(registry);
  Recommender recommender(policy, registry);
  SimulateOptions simulate_options;
  simulate_options.episodes = episodes;
  simulate_options.seed = seed;
  simulate_options.out = out;
  simulate_options.replace = force;
  const SimulateSummary summary = simulate(recommender, simulate_options);
  std::cout << fmt::format("wrote {} decisions of {} episodes to {}; mean logged reward {:.4f}\n",
                           summary.rows, episodes, out, summary.mean_reward);
  if (summary.truth_file) {
    std::cout << fmt::format(
        "each action's expected reward per decision: {}; the logging policy's true value "
        "{:.4f}\n",
        summary.truth_file->string(), *summary.policy_value);
  }
  return 0;
}

}  // namespace recrl::app
