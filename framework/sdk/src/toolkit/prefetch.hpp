#pragma once

#include <Eigen/Core>

namespace recrl::toolkit {

// Requests the cache lines of a short contiguous run of values (a column of a buffer), so
// that a batch gathered from random places in a buffer waits for its cache misses together
// instead of one after the other.
template <typename T>
inline void prefetch_run(const T* first, Eigen::Index count) {
  constexpr Eigen::Index kLine = 64 / sizeof(T);
  for (Eigen::Index i = 0; i < count; i += kLine) __builtin_prefetch(first + i);
  __builtin_prefetch(first + count - 1);
}

}  // namespace recrl::toolkit
