#pragma once

#include <cstdint>

// Counts the process's heap allocations, for tests that require a steady-state loop to
// allocate nothing. The counting allocator lives in toolkit_allocation_test.cpp: it interposes
// malloc, calloc, realloc and the aligned allocators of glibc (so operator new, std containers
// and Eigen's aligned_malloc, in this binary and in every shared library it loads, are all
// counted) and forwards to glibc's own implementations.
namespace recrl::test {

// Allocations since the process started.
std::uint64_t heap_allocations();

// Allocations made while running f().
template <typename F>
std::uint64_t allocations_during(F&& f) {
  const std::uint64_t before = heap_allocations();
  f();
  return heap_allocations() - before;
}

}  // namespace recrl::test
