#pragma once

#include <filesystem>
#include <string>

#include "options.hpp"
#include "recrl/store/result_store.hpp"

namespace recrl::app {

// --db FILE, defaulting to store::kDefaultStorePath.
void add_db_option(po::options_description& d, std::string& db);

// Opens the store at `file` (created if missing, unless read-only). A file that is not a usable
// result store (store::InvalidStoreError: not a database, corrupt, another program's, a newer
// schema, a damaged one) is a bad argument, exit 2; a store that is locked or cannot be written
// stays a store error, exit 1.
store::ResultStore open_store(const std::filesystem::path& file, bool read_only);

// Opens the store at `file` for queries only. A missing file is a bad argument (ConfigError,
// exit 2) and nothing is created.
store::ResultStore open_store_to_read(const std::string& file);

// The run whose id starts with `id` (store::ResultStore::find_run); an unknown or ambiguous id
// is a bad argument.
store::RunRecord find_run(const store::ResultStore& store, const std::string& id);

// The run's policy file; a run without one, or whose file is gone, is a bad argument.
std::filesystem::path stored_policy(const store::ResultStore& store, const store::RunRecord& run);

}  // namespace recrl::app
