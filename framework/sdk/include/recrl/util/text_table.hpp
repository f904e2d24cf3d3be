#pragma once

#include <string>
#include <vector>

#include "recrl/core/export.hpp"

namespace recrl::util {

// Cells laid out in columns for a terminal: each column as wide as its widest cell, two spaces
// between columns, no trailing spaces. `right_aligned[c]` right-aligns column c (numbers); a
// column it does not cover is left-aligned. Widths count bytes, so a cell with multi-byte
// UTF-8 text looks wider than it is.
RECRL_API std::string aligned_table(const std::vector<std::vector<std::string>>& rows,
                                    const std::vector<bool>& right_aligned);

}  // namespace recrl::util
