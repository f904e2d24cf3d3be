#pragma once

#include <string>
#include <vector>

#include "recrl/run/off_policy.hpp"

namespace recrl::app {

// `recrl ope`'s table: per target, the estimates (with the truth under --validate) and the
// weight diagnostics; for several validated targets, each estimator's relative error over them.
std::string ope_table(const std::vector<OffPolicyReport>& reports, const OffPolicyRequest& request);

// `recrl ope --format json` (docs/ope.md): one target's object {"target", "n", "estimates",
// "diagnostics"[, "true_value"]}, or for several {"targets": [...][, "validation": [...]]}.
std::string ope_json(const std::vector<OffPolicyReport>& reports);

}  // namespace recrl::app
