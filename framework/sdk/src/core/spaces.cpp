#include "recrl/core/spaces.hpp"

namespace recrl {

std::optional<int> Space::index_of(const std::string& label) const {
  for (std::size_t i = 0; i < labels.size(); ++i) {
    if (labels[i] == label) return static_cast<int>(i);
  }
  return std::nullopt;
}

const std::string* ActionInfo::field(const std::string& name) const {
  for (const auto& [key, value] : fields) {
    if (key == name) return &value;
  }
  return nullptr;
}

}  // namespace recrl
