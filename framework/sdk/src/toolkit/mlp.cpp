#include "recrl/toolkit/mlp.hpp"

#include <array>
#include <string>

namespace recrl::toolkit {

std::optional<Activation> activation_from_name(std::string_view name) {
  // rl-zoo writes activations as Python expressions (activation_fn=nn.ReLU): accept the module
  // path prefixes that appear there, then the class name in any case.
  for (std::string_view prefix : {"torch.nn.", "th.nn.", "nn."}) {
    if (name.substr(0, prefix.size()) == prefix) {
      name.remove_prefix(prefix.size());
      break;
    }
  }
  std::string lower(name);
  for (char& c : lower) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  if (lower == "tanh") return Activation::Tanh;
  if (lower == "relu") return Activation::Relu;
  return std::nullopt;
}

const char* activation_name(Activation activation) {
  switch (activation) {
    case Activation::Tanh:
      return "tanh";
    case Activation::Relu:
      return "relu";
  }
  return "unknown";
}

}  // namespace recrl::toolkit
