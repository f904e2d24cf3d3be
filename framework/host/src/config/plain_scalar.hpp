#pragma once

#include <string>

#include "recrl/core/value.hpp"

namespace recrl::config::detail {

// What an unquoted YAML scalar means under the YAML 1.2 core schema: null (~, null), a
// boolean (true/false in three spellings), an integer (decimal, 0x hex, 0o octal), a double
// (1.5, 1e-3, .inf, -.inf, .nan) or else the text itself. YAML 1.1's yes/no/on/off stay text,
// as in every YAML 1.2 reader.
Value resolve_plain_scalar(const std::string& text, const SourceLocation& where);

}  // namespace recrl::config::detail
