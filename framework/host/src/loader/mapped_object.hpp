#pragma once

// Private to the loader: what a loaded shared object maps, so that the loader reads nothing of
// a plugin's descriptor that lies outside it and calls nothing that is not a function.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace recrl::plugin {

class MappedObject {
 public:
  // The load segments of the object opened as `handle` (a dlopen handle).
  explicit MappedObject(void* handle);

  // Whether [p, p + size) lies inside one readable segment of the object.
  bool holds(const void* p, std::size_t size) const;
  // Whether s points into a readable segment and its NUL comes before that segment ends.
  bool holds_text(const char* s) const;

  // Whether `address` lies in the object's executable code.
  bool in_code(const void* address) const;
  // Why the exported symbol at `address` may not be called as a function (the dynamic symbol
  // table says it is data, or it lies outside the object's code), or "" when it may.
  std::string why_not_callable(const void* address) const;

 private:
  struct Segment {
    std::uintptr_t begin;
    std::uintptr_t end;
    bool executable;
  };
  const Segment* segment_of(std::uintptr_t address) const;
  std::vector<Segment> readable_;
};

}  // namespace recrl::plugin
