#pragma once

#include <filesystem>
#include <string>

#include "sqlite_connection.hpp"

namespace recrl::store::detail {

// Whether the database has any table (a recrl store or something else).
bool has_schema(Connection& db);

// Creates the schema in an empty database, or checks that an existing store has a schema this
// recrl reads. Returns the store's schema version (older ones are readable: see upgrade_schema).
// Throws StoreError naming `file` when the database is not a recrl store or was written by a
// newer schema. With `check_only`, an empty database is an error instead. Creating takes a
// write transaction around this call.
int create_or_check_schema(Connection& db, const std::filesystem::path& file,
                           const std::string& recrl_version, bool check_only);

// Brings a store of an older schema (`from`) to ResultStore::kSchemaVersion, in the caller's
// write transaction. Opening a store to write does it; a store opened read-only stays as it is.
void upgrade_schema(Connection& db, int from);

}  // namespace recrl::store::detail
