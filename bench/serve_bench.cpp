// Micro-benchmarks of recrl serve's request path without HTTP: parsing a rank request, and
// committing decisions to the decision log in groups of 1, 4, 16 and 64 (as the server's group
// commit does under load). items/s is decisions per second.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <unistd.h>

#include <benchmark/benchmark.h>

#include "recrl/serve/requests.hpp"
#include "recrl/store/decision_log.hpp"

namespace {

namespace store = recrl::store;
namespace serve = recrl::serve;

const std::vector<std::string> kFeatures = {
    "recency",           "frequency",          "monetary_value",
    "engagement_score",  "discount_sensitive", "free_shipping_preferred",
    "email_opens",       "sms_response",       "push_response",
    "last_purchase_days"};

std::vector<std::string> actions() {
  std::vector<std::string> labels;
  for (int a = 0; a < 9; ++a) labels.push_back("[offer " + std::to_string(a) + ", email]");
  return labels;
}

void BM_DecisionLogAppend(benchmark::State& state) {
  const auto group = static_cast<std::size_t>(state.range(0));
  const auto dir =
      std::filesystem::temp_directory_path() / ("recrl_bench_log_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  {
    store::DecisionLogSchema schema;
    schema.features = kFeatures;
    schema.actions = actions();
    auto log = store::DecisionLog::open(dir / "serve.db", schema);
    std::vector<store::LoggedDecision> decisions(group);
    std::vector<char> is_new(group);
    std::int64_t next = 0;
    for (auto _ : state) {
      for (auto& d : decisions) {
        d.event_id = std::to_string(1'000'000'000 + ++next);
        d.created_ms = 1'700'000'000'000 + next;
        d.model_version = 1;
        d.action = static_cast<int>(next % 9);
        d.context.assign(kFeatures.size(), 0.25f);
        d.probabilities.assign(9, 1.0f / 9);
      }
      log.append(decisions, is_new);
    }
    state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(group));
  }
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_DecisionLogAppend)->Arg(1)->Arg(4)->Arg(16)->Arg(64);

void BM_ParseRank(benchmark::State& state) {
  recrl::Space features;
  features.size = static_cast<int>(kFeatures.size());
  features.labels = kFeatures;
  const serve::RequestShape shape(features, actions(), false, {}, {});
  const std::string body =
      R"({"eventId":"a1b2c3","context":{"recency":12,"frequency":3,"monetary_value":250,)"
      R"("engagement_score":0.7,"discount_sensitive":1,"free_shipping_preferred":0,)"
      R"("email_opens":0.87,"sms_response":0.1,"push_response":0.2,"last_purchase_days":30}})";
  serve::RankRequest request;
  for (auto _ : state) {
    auto error = serve::parse_rank(body, shape, request);
    benchmark::DoNotOptimize(error);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ParseRank);

}  // namespace
