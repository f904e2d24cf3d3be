#include "recrl/util/problem_list.hpp"

#include <algorithm>
#include <sstream>

namespace recrl::util {

void ProblemList::add(const SourceLocation& where, const std::string& key_path,
                      const std::string& message) {
  add(ConfigError(where, key_path, message));
}

void ProblemList::add(const ConfigError& error) {
  if (lines_.empty()) first_where_ = error.where();
  std::istringstream text(error.what());
  for (std::string line; std::getline(text, line);) {
    if (!line.empty()) lines_.push_back(line);
  }
}

void ProblemList::throw_if_any() const {
  if (lines_.empty()) return;
  // ConfigError formats its first line as "<where>: error: <message>"; rebuild exactly the
  // collected text by giving it the first problem's location and the rest of the text.
  const std::string where_text = first_where_.str();
  const std::string prefix = where_text.empty() ? "error: " : where_text + ": error: ";
  std::string message = lines_[0].substr(lines_[0].rfind(prefix, 0) == 0 ? prefix.size() : 0);
  const std::size_t shown = std::min(lines_.size(), kMaxReported);
  for (std::size_t i = 1; i < shown; ++i) message += "\n" + lines_[i];
  if (lines_.size() > shown) {
    message += "\n... and " + std::to_string(lines_.size() - shown) + " more problems";
  }
  throw ConfigError(first_where_, "", message);
}

}  // namespace recrl::util
