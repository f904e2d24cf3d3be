#pragma once

#include <Eigen/Core>

namespace recrl::toolkit {

// Requests the cache lines of a short contiguous run of values (an observation column: its
// first and last element's lines), so that a batch gathered from random places in a buffer
// waits for its cache misses together instead of one after the other.
template <typename T>
inline void prefetch_run(const T* first, Eigen::Index count) {
  __builtin_prefetch(first);
  __builtin_prefetch(first + count - 1);
}

}  // namespace recrl::toolkit
