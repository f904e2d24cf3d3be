#pragma once

#include <cstdint>
#include <string>

#include "recrl/core/export.hpp"
#include "recrl/core/params.hpp"

namespace recrl::toolkit {

// This machine's physical memory in bytes (0 when it cannot be read).
RECRL_API std::uint64_t physical_memory_bytes();

// Throws params.error(name, ...) when `bytes` (what the parameter `name` makes a plugin hold,
// `what` saying what it is) exceeds this machine's physical memory: a clear limit at the
// parameter's line instead of std::bad_alloc, or the kernel's OOM killer once pages are touched.
RECRL_API void require_memory(const Params& params, const std::string& name, double bytes,
                              const std::string& what);

}  // namespace recrl::toolkit
