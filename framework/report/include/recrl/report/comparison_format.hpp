#pragma once

#include <string>
#include <string_view>

#include "recrl/core/export.hpp"
#include "recrl/store/comparison_table.hpp"

namespace recrl::store {

// How `recrl compare` prints a ComparisonTable.
enum class ComparisonFormat {
  table,     // aligned plain text for a terminal, with the pairs' verdicts below
  markdown,  // a Markdown table with the verdicts as a list
  csv,       // one line per row (RFC 4180), full precision; the verdicts are in json only
  json,      // rows, pairs with their verdicts, and what was omitted
};

// "table", "md", "csv", "json"; throws ConfigError naming the accepted names.
RECRL_API ComparisonFormat comparison_format(std::string_view name);

RECRL_API std::string format_comparison(const ComparisonTable& table, ComparisonFormat format);

}  // namespace recrl::store
