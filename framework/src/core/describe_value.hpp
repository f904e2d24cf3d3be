#pragma once

#include <string>

#include "recrl/core/value.hpp"

namespace recrl::detail {

// How a value is named after "got" in a message: "'abc'" for text, "1.5" for other scalars,
// "a list" / "a map" / "an empty value" otherwise.
std::string describe_value(const Value& v);

}  // namespace recrl::detail
