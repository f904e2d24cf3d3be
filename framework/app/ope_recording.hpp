#pragma once

#include <optional>
#include <string>

#include "recrl/run/off_policy.hpp"
#include "recrl/store/records.hpp"

namespace recrl::app {

// What an off-policy evaluation is recorded under in the result store.
struct OpeTarget {
  std::string experiment;
  std::string label;
  std::optional<std::string> run_id;  // when the target is a stored run's policy
};

// The store's record of `report` (docs/ope.md): paths made absolute, the settings as text, and
// an id derived from what was evaluated, so that the same evaluation recorded again replaces
// the first.
store::OpeRecord ope_record(const OffPolicyRequest& request, const OffPolicyReport& report,
                            const OpeTarget& target);

}  // namespace recrl::app
