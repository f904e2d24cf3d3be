#pragma once

#include <cstdint>
#include <string>

#include "recrl/store/records.hpp"

namespace recrl::store::detail {

// Who claims a run: the host name and process id, enough to tell on the same host whether the
// owner still lives.
struct ProcessIdentity {
  std::string host;
  std::int64_t pid = 0;

  static ProcessIdentity current();
  std::string str() const { return host + ":" + std::to_string(pid); }
};

// Whether a process with this id exists on this host (it may be one that reused the id of a
// dead owner: the heartbeat rule catches that case).
bool process_alive(std::int64_t pid);

Timestamp now();

}  // namespace recrl::store::detail
