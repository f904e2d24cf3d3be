#include "recrl/plugin/abi.hpp"

namespace recrl::plugin {

const char* to_string(Kind kind) {
  switch (kind) {
    case Kind::Environment:
      return "environment";
    case Kind::Reward:
      return "reward";
    case Kind::Algorithm:
      return "algorithm";
  }
  // A descriptor read from a foreign library may hold any number here.
  return "unknown";
}

}  // namespace recrl::plugin
