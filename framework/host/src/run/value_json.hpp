#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "recrl/core/value.hpp"

namespace recrl {

// Values to JSON and back (policy files and results carry plugin parameters). Locations are
// not kept in JSON; values read back are located at `file`.
nlohmann::json to_json(const Value& v);
Value from_json(const nlohmann::json& j, const std::string& file);

}  // namespace recrl
