#include "policy_and_users.hpp"

#include "recrl/core/errors.hpp"
#include "store_access.hpp"

namespace recrl::app {

void PolicyAndUsers::add(po::options_description& options) {
  options.add_options()("policy", po::value(&policy), "a policy file")(
      "run", po::value(&run_id), "the policy of this stored run (an id or a unique prefix)")(
      "user", po::value(&user), "one customer: \"recency=15,frequency=3,...\" (every feature)")(
      "users", po::value(&users_file), "a CSV file of customers with a header naming the features");
  add_db_option(options, db_file);
}

void PolicyAndUsers::check(const std::string& command) const {
  if (policy.empty() == run_id.empty()) {
    throw ConfigError(command + ": give exactly one of --policy and --run");
  }
  if (user.empty() == users_file.empty()) {
    throw ConfigError(command + ": give exactly one of --user and --users");
  }
}

std::filesystem::path PolicyAndUsers::policy_file() const {
  if (run_id.empty()) return policy;
  const store::ResultStore db = open_store_to_read(db_file);
  return stored_policy(db, find_run(db, run_id));
}

Matrix PolicyAndUsers::users(const Recommender& recommender) const {
  const bool sparse = recommender.sparse_features();
  return user.empty() ? read_users_csv(users_file, recommender.spec(), sparse)
                      : Matrix(parse_user(user, recommender.spec(), sparse));
}

}  // namespace recrl::app
