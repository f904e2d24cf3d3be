#pragma once

#include <filesystem>
#include <string>

#include "recrl/core/export.hpp"
#include "recrl/core/value.hpp"

namespace recrl::config {

// Parses a YAML file into a Value whose nodes carry "file:line:column" (1-based). A missing,
// unreadable or empty file, or a syntax error, throws ConfigError naming the file (and the
// position yaml-cpp reports). Quoted scalars stay strings; plain ones become bool, int, double
// (".inf"/".nan" included, so that validation can reject them by name) or string.
RECRL_API Value load_yaml_file(const std::filesystem::path& file);
// The same for text held in memory; `name` stands for the file in messages.
RECRL_API Value parse_yaml(const std::string& text, const std::string& name);

// Writes `v` as block-style YAML (what config.resolved.yaml holds). Round-trips through
// parse_yaml to an equal Value (same_as).
RECRL_API std::string to_yaml(const Value& v);

}  // namespace recrl::config
