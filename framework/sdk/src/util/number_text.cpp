#include "recrl/util/number_text.hpp"

#include <charconv>
#include <cmath>

namespace recrl::util {

std::optional<double> parse_finite_number(std::string_view text) {
  const auto first = text.find_first_not_of(" \t");
  if (first == std::string_view::npos) return std::nullopt;
  std::string_view s = text.substr(first, text.find_last_not_of(" \t") - first + 1);
  if (s.front() == '+') s.remove_prefix(1);  // from_chars refuses a leading '+'
  if (s.empty()) return std::nullopt;
  double value = 0.0;
  const auto [end, error] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (error != std::errc() || end != s.data() + s.size() || !std::isfinite(value)) {
    return std::nullopt;
  }
  return value;
}

}  // namespace recrl::util
