#pragma once

#include <string>
#include <vector>

#include "recrl/core/export.hpp"

namespace recrl::util {

// The candidates within edit distance 2 of `word`, closest first (ties keep the candidates'
// order): the raw material of "did you mean" hints.
RECRL_API std::vector<std::string> close_spellings(const std::string& word,
                                                   const std::vector<std::string>& candidates);

// "did you mean 'clip_coef'?" (or "... 'a' or 'b'?" on a tie), or "" when nothing is close.
RECRL_API std::string did_you_mean_hint(const std::string& word,
                                        const std::vector<std::string>& candidates);

}  // namespace recrl::util
