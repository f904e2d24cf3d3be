#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "recrl/run/explain.hpp"

namespace recrl::app {

// What `recrl explain` and `recrl recommend --explain` share (docs/explain.md).

// The background customers: read from `file`, or drawn from the policy's environment; a
// ConfigError for a policy fitted from a log without a file.
Matrix explanation_background(Recommender& policy, const std::string& file);
// The cards, one after another.
std::string explanations_text(const std::vector<Explanation>& explanations);
// [{"action", "runner_up", "margin", "base_margin", "probability", "contributions"}, ...].
nlohmann::json explanations_json(const std::vector<Explanation>& explanations);

}  // namespace recrl::app
