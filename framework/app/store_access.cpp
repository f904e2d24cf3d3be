#include "store_access.hpp"

#include <fmt/format.h>

#include "recrl/core/errors.hpp"

namespace recrl::app {

namespace {

// The store's own message, as a bad-argument error (exit 2) rather than a store fault (exit 1).
[[noreturn]] void rethrow_as_bad_argument(const store::StoreError& error) {
  throw ConfigError::combined({error.what()});
}

}  // namespace

void add_db_option(po::options_description& d, std::string& db) {
  d.add_options()("db", po::value(&db)->default_value(store::kDefaultStorePath),
                  "the result store (SQLite file)");
}

store::ResultStore open_store(const std::filesystem::path& file, bool read_only) {
  store::StoreOptions options;
  options.recrl_version = RECRL_VERSION;
  options.read_only = read_only;
  try {
    return store::ResultStore::open(file, options);
  } catch (const store::InvalidStoreError& error) {
    rethrow_as_bad_argument(error);
  }
}

store::ResultStore open_store_to_read(const std::string& file) {
  std::error_code error;
  if (!std::filesystem::exists(file, error)) {
    throw ConfigError(fmt::format(
        "{}: no such result store (recrl run writes one; --db FILE names another)", file));
  }
  return open_store(file, true);
}

store::RunRecord find_run(const store::ResultStore& store, const std::string& id) {
  try {
    return store.find_run(id);
  } catch (const store::StoreError& error) {
    rethrow_as_bad_argument(error);
  }
}

std::filesystem::path stored_policy(const store::ResultStore& store, const store::RunRecord& run) {
  std::filesystem::path policy;
  try {
    policy = store.policy_path(run.info.run_id);
  } catch (const store::StoreError& error) {
    rethrow_as_bad_argument(error);
  }
  std::error_code error;
  if (!std::filesystem::is_regular_file(policy, error)) {
    throw ConfigError(fmt::format("{}: the policy file of run {} is missing: {}",
                                  store.path().string(), run.info.run_id, policy.string()));
  }
  return policy;
}

}  // namespace recrl::app
