// A users CSV as `recrl recommend --users` and the recommendation environment read it.
#include "fuzz_support.hpp"
#include "recrl/core/errors.hpp"
#include "recrl/run/recommend.hpp"
#include "recrl/toolkit/csv.hpp"

namespace {

const recrl::EnvSpec& recommendation_spec() {
  static const auto env = [] {
    auto& registry = recrl::fuzz::bundled_plugins();
    const auto& info = registry.get(recrl::plugin::Kind::Environment, "recommendation", {}, "env");
    recrl::PluginContext ctx;
    ctx.logger = nullptr;
    return registry.create_environment(
        "recommendation", recrl::Params::validate(info.schema, recrl::Value::null(), "env", {}),
        ctx);
  }();
  return env->spec();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto file = recrl::fuzz::as_file(data, size, ".csv");
  try {
    recrl::read_users_csv(file, recommendation_spec());
  } catch (const recrl::Error&) {
  }
  return 0;
}
