// `recrl recommend --user "name=value,..."` against the recommendation environment's features.
#include <string>

#include "fuzz_support.hpp"
#include "recrl/core/errors.hpp"
#include "recrl/run/recommend.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const recrl::EnvSpec spec = [] {
    auto& registry = recrl::fuzz::bundled_plugins();
    const auto& info = registry.get(recrl::plugin::Kind::Environment, "recommendation", {}, "env");
    return registry
        .create_environment("recommendation",
                            recrl::Params::validate(info.schema, recrl::Value::null(), "env", {}),
                            recrl::PluginContext{})
        ->spec();
  }();
  try {
    recrl::parse_user(std::string(reinterpret_cast<const char*>(data), size), spec);
  } catch (const recrl::Error&) {
  }
  return 0;
}
