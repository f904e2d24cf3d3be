#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "recrl/core/export.hpp"
#include "recrl/core/params.hpp"

namespace recrl::toolkit {

// This machine's physical memory in bytes (0 when it cannot be read).
RECRL_API std::uint64_t physical_memory_bytes();

// The memory a plugin may plan to hold, and where that figure comes from.
struct MemoryLimit {
  std::uint64_t bytes = 0;  // 0 when nothing could be read: no limit is enforced
  std::string source;       // "this machine's memory", "RECRL_MEMORY_LIMIT", ...
};

// The smallest of: this machine's physical memory; the memory.max of this process's cgroup
// (cgroup v2) and of the cgroups above it; RECRL_MEMORY_LIMIT (a size such as 8G, 512M or a
// count of bytes), which lowers it for a shared machine. A malformed RECRL_MEMORY_LIMIT is a
// ConfigError naming the variable.
RECRL_API MemoryLimit memory_limit();

// Throws params.error(name, ...) when `bytes` (what the parameter `name` makes a plugin hold,
// `what` saying what it is) exceeds memory_limit(): a clear limit at the parameter's line
// instead of std::bad_alloc, or the kernel's OOM killer once pages are touched.
RECRL_API void require_memory(const Params& params, const std::string& name, double bytes,
                              const std::string& what);

// What training a dense network (input -> hidden layers -> output) holds: `copies` floats per
// parameter (the weights, their gradients, an optimiser's moments, a target network's copy) and,
// for batches of up to `batch` samples, each layer's input and output and their gradients.
struct NetworkFootprint {
  double parameters = 0;       // weights and biases
  double parameter_bytes = 0;  // their copies
  double batch_bytes = 0;      // a batch's activations and their gradients
  NetworkFootprint& operator+=(const NetworkFootprint& other) {
    parameters += other.parameters;
    parameter_bytes += other.parameter_bytes;
    batch_bytes += other.batch_bytes;
    return *this;
  }
};
RECRL_API NetworkFootprint mlp_footprint(std::int64_t input, const std::vector<int>& hidden,
                                         std::int64_t output, std::int64_t batch, int copies);

// Throws when `networks` would need more than memory_limit(): at `policy_kwargs` when their
// parameters take most of it, at `batch_param` (what sets the batch of `batch` samples:
// batch_size, n_steps) when the batch's activations do.
RECRL_API void require_network_memory(const Params& params, const NetworkFootprint& networks,
                                      std::int64_t batch, const std::string& batch_param);

}  // namespace recrl::toolkit
