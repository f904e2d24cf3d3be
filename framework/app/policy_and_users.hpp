#pragma once

#include <filesystem>
#include <string>

#include "options.hpp"
#include "recrl/run/recommend.hpp"

namespace recrl::app {

// The options that name a policy (--policy FILE | --run RUN_ID [--db FILE]) and the customers
// to act on (--user "name=value,..." | --users FILE.csv): what `recommend` and `explain` share.
struct PolicyAndUsers {
  std::string policy, run_id, db_file, user, users_file;

  void add(po::options_description& options);
  // Exactly one of --policy and --run, and of --user and --users; `command` names the command
  // in the ConfigError.
  void check(const std::string& command) const;
  // The policy file: --policy, or the stored run's.
  std::filesystem::path policy_file() const;
  // The customers, [features x n], in the policy's feature order (sparse features default to 0
  // for a policy fitted from an OBD or VW log).
  Matrix users(const Recommender& recommender) const;
};

}  // namespace recrl::app
