#pragma once

#include <array>
#include <charconv>
#include <cmath>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

#include "recrl/core/export.hpp"

namespace recrl::util {

// The shortest decimal text that reads back as exactly `d` ("0.1", "1e-05", "3"), with YAML's
// spellings for the non-finite values. Messages and written YAML use it so that numbers look as
// the user wrote them and round-trip bit for bit.
inline std::string shortest_number_text(double d) {
  if (std::isnan(d)) return ".nan";
  if (std::isinf(d)) return d > 0 ? ".inf" : "-.inf";
  std::array<char, 32> buffer{};
  const auto result = std::to_chars(buffer.data(), buffer.data() + buffer.size(), d);
  return std::string(buffer.data(), result.ptr);
}

// As above, but always recognisable as a floating-point number ("3.0", not "3"), so that a YAML
// reader gives back a double and not an integer.
inline std::string real_number_text(double d) {
  std::string text = shortest_number_text(d);
  if (text.find_first_of(".en") == std::string::npos) text += ".0";
  return text;
}

// The finite number the whole of `text` spells, spaces around it allowed, in the decimal forms
// of std::from_chars ("12", "-0.5", "1e-3", "+2"); nullopt for anything else, hexadecimal,
// "nan" and "inf" included. One reading of a number for every table and command-line value
// that holds one.
RECRL_API std::optional<double> parse_finite_number(std::string_view text);

// Whether `d` is finite as a 32-bit float, the type of every feature: a double past
// 3.4028235e38 in magnitude would become infinite there.
inline bool fits_float(double d) {
  return std::isfinite(d) && std::abs(d) <= static_cast<double>(std::numeric_limits<float>::max());
}
// What a message says a feature value must be when it does not fit.
inline constexpr std::string_view kFloatRangeText =
    "a number of magnitude at most 3.4e38 (features are 32-bit floats)";

}  // namespace recrl::util
