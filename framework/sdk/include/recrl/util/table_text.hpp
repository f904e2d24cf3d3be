#pragma once

#include <string>

#include <fmt/format.h>

namespace recrl::util {

// Text for the tables people read and the CSV files programs read: one definition for the
// results table, the comparison table and the HTML report.

// 100000 -> "100,000" (rounded to a whole number).
inline std::string grouped_thousands(double x) {
  const std::string digits = fmt::format("{:.0f}", x);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    const std::size_t left = digits.size() - i;
    if (i > 0 && left % 3 == 0 && digits[i - 1] != '-') out += ',';
    out += digits[i];
  }
  return out;
}

// A CSV field, quoted when it holds a comma, a quote or a line break (RFC 4180).
inline std::string csv_field(const std::string& text) {
  if (text.find_first_of(",\"\n\r") == std::string::npos) return text;
  std::string quoted = "\"";
  for (char c : text) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  return quoted + "\"";
}

}  // namespace recrl::util
