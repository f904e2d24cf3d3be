#pragma once

#include <string>
#include <vector>

namespace recrl::config {

// "algorithms.0.params.lr" -> {"algorithms", "0", "params", "lr"}; empty segments are kept, so
// that callers can report them.
inline std::vector<std::string> path_segments(const std::string& path) {
  std::vector<std::string> segments;
  std::size_t start = 0;
  for (std::size_t dot; (dot = path.find('.', start)) != std::string::npos; start = dot + 1) {
    segments.push_back(path.substr(start, dot - start));
  }
  segments.push_back(path.substr(start));
  return segments;
}

}  // namespace recrl::config
