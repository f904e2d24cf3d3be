#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "recrl/core/errors.hpp"
#include "recrl/core/export.hpp"

namespace recrl::util {

// Collects configuration problems so that a user sees all of them at once, not one per run of
// the program. Thrown as one ConfigError whose what() holds one problem per line and whose
// where() is the first problem's location.
class RECRL_API ProblemList {
 public:
  static constexpr std::size_t kMaxReported = 20;

  void add(const SourceLocation& where, const std::string& key_path, const std::string& message);
  // Takes every line of `error` (which may itself be a collection).
  void add(const ConfigError& error);

  bool empty() const { return lines_.empty(); }
  std::size_t size() const { return lines_.size(); }
  void throw_if_any() const;

 private:
  std::vector<std::string> lines_;
  SourceLocation first_where_;
};

}  // namespace recrl::util
