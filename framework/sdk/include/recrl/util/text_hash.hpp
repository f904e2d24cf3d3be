#pragma once

#include <cstdint>
#include <string_view>

namespace recrl::util {

// FNV-1a, 64 bits: a hash of text that is the same on every platform and in every release,
// for ids and seeds derived from names and configurations.
inline std::uint64_t text_hash(std::string_view text) {
  std::uint64_t hash = 0xcbf29ce484222325ull;
  for (unsigned char c : text) {
    hash ^= c;
    hash *= 0x100000001b3ull;
  }
  return hash;
}

}  // namespace recrl::util
