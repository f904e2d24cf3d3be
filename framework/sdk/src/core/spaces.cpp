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

std::optional<double> EnvSpec::constant(const std::string& wanted) const {
  for (const auto& [key, value] : constants) {
    if (key == wanted) return value;
  }
  return std::nullopt;
}

}  // namespace recrl
