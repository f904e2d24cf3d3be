// The bodies of recrl serve's requests (docs/serving.md): the first byte picks the route (rank,
// rank:batch, reward), the rest is the body, parsed against the recommendation environment's
// features and actions. The parsers answer a bad body with a RequestError: any exception is a
// finding, and so are a rank body the plain reader reads otherwise than the general one and an
// error that quotes more than a few hundred bytes of the body.
#include <cstdlib>
#include <string_view>

#include "fuzz_support.hpp"
#include "recrl/serve/requests.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const recrl::serve::RequestShape shape = [] {
    auto& registry = recrl::fuzz::bundled_plugins();
    const auto& info = registry.get(recrl::plugin::Kind::Environment, "recommendation", {}, "env");
    const recrl::EnvSpec spec =
        registry
            .create_environment(
                "recommendation",
                recrl::Params::validate(info.schema, recrl::Value::null(), "env", {}),
                recrl::PluginContext{})
            ->spec();
    return recrl::serve::RequestShape(spec.observation, spec.action.labels, false,
                                      {"click", "revenue"}, {1.0, 0.01});
  }();
  if (size == 0) return 0;
  const std::string_view body(reinterpret_cast<const char*>(data) + 1, size - 1);
  const auto check = [](const std::optional<recrl::serve::RequestError>& error) {
    if (error && error->field.size() + error->message.size() > 1000) std::abort();
  };
  switch (data[0] % 3) {
    case 0: {
      recrl::serve::RankRequest plain, any;
      if (recrl::serve::detail::read_plain_rank(body, shape, plain) &&
          (recrl::serve::detail::read_any_rank(body, shape, any) ||
           plain.event_id != any.event_id || plain.context != any.context ||
           plain.excluded != any.excluded || plain.defer_activation != any.defer_activation ||
           plain.explain != any.explain))
        std::abort();
      check(recrl::serve::parse_rank(body, shape, plain));
      break;
    }
    case 1: {
      std::vector<recrl::serve::RankRequest> requests;
      check(recrl::serve::parse_rank_batch(body, shape, requests));
      break;
    }
    default: {
      recrl::serve::RewardRequest reward;
      check(recrl::serve::parse_reward(body, shape, reward));
      break;
    }
  }
  return 0;
}
