#pragma once

#include <string>

#include "problem_list.hpp"
#include "recrl/core/params.hpp"

namespace recrl::detail {

// The checking behind Params::validate, shared with the experiment-file validation (which
// describes its own sections with ParamSchemas). Returns a map with one entry per declared
// name, in declaration order: the given value (integers widened to doubles where a number is
// declared) or the default. Every problem goes to `problems`; a name that has a problem or no
// value at all is left out. `noun` names an entry in messages: "parameter" or "key".
Value validate_map(const ParamSchema& schema, const Value& given, const std::string& key_path,
                   const SourceLocation& where, const std::string& noun, ProblemList& problems);

// "a.b" from "a" and "b"; just "b" when the parent path is empty.
std::string join_key_path(const std::string& parent, const std::string& name);

}  // namespace recrl::detail
