#pragma once

#include <filesystem>
#include <string>

#include "sqlite_connection.hpp"

namespace recrl::store::detail {

// Whether the database has any table (a recrl store or something else).
bool has_schema(Connection& db);

// Creates the schema in an empty database, or checks that an existing store has a schema this
// recrl reads. Throws StoreError naming `file` when the database is not a recrl store or was
// written by a newer schema. With `check_only`, an empty database is an error instead.
// Creating takes a write transaction around this call.
void create_or_check_schema(Connection& db, const std::filesystem::path& file,
                            const std::string& recrl_version, bool check_only);

}  // namespace recrl::store::detail
