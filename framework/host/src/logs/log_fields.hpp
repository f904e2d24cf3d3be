#pragma once

#include <cmath>

#include <fmt/format.h>

#include "recrl/logs/csv_stream.hpp"

namespace recrl::logs {

// The checks every CSV log format applies to its fields, with the same messages.

// An action index: a whole number from 0.
inline int action_field(const CsvStream& csv, std::size_t column) {
  const double a = csv.number(column);
  if (a < 0 || a != std::floor(a) || a > 1e6) {
    throw csv.error(
        column, fmt::format("expected an action index (0, 1, ...), got '{}'", csv.field(column)));
  }
  return static_cast<int>(a);
}

// A propensity: a probability in (0, 1].
inline double propensity_field(const CsvStream& csv, std::size_t column) {
  const double p = csv.number(column);
  if (!(p > 0 && p <= 1)) {
    throw csv.error(column,
                    fmt::format("expected a probability in (0, 1], got '{}'", csv.field(column)));
  }
  return p;
}

// A position (slot): a whole number from 1.
inline int position_field(const CsvStream& csv, std::size_t column) {
  const double p = csv.number(column);
  if (p < 1 || p != std::floor(p) || p > 1e6) {
    throw csv.error(column,
                    fmt::format("expected a position (1, 2, ...), got '{}'", csv.field(column)));
  }
  return static_cast<int>(p);
}

}  // namespace recrl::logs
