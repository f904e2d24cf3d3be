// The linear bandits' own work per decision, without an environment: act() in Explore mode and
// observe() of the reward (one rank-one update), one context at a time, with 9 actions and 10
// features. The plugins are the bundled ones, loaded as a run loads them. items_per_second is
// decisions learned per second on one thread.
#include <memory>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "recrl/core/algorithm.hpp"
#include "recrl/core/random.hpp"
#include "bench_plugins.hpp"

namespace {

using recrl::bench::bundled_plugins;

recrl::EnvSpec nine_actions_ten_features() {
  recrl::EnvSpec spec;
  spec.name = "bench";
  spec.observation.kind = recrl::Space::Kind::Box;
  spec.observation.size = 10;
  spec.observation.low.assign(10, -1e9);
  spec.observation.high.assign(10, 1e9);
  for (int i = 0; i < 10; ++i) spec.observation.labels.push_back("f" + std::to_string(i));
  spec.action.kind = recrl::Space::Kind::Discrete;
  spec.action.size = 9;
  for (int a = 0; a < 9; ++a) spec.action.labels.push_back("a" + std::to_string(a));
  spec.actions_affect_state = false;
  return spec;
}

void BM_BanditDecision(benchmark::State& state, const std::string& plugin) {
  const recrl::EnvSpec spec = nine_actions_ten_features();
  recrl::PluginContext ctx;
  ctx.env = &spec;
  const auto& info = bundled_plugins().get(recrl::plugin::Kind::Algorithm, plugin, {}, "bench");
  const auto algo = bundled_plugins().create_algorithm(
      plugin, recrl::Params::validate(info.schema, recrl::Value::null(), "bench", {}), ctx);
  // 1,024 contexts cycled through, and a reward linear in them plus noise.
  recrl::Rng rng(1);
  recrl::Matrix contexts(10, 1024);
  for (Eigen::Index i = 0; i < contexts.size(); ++i) contexts(i) = static_cast<float>(rng.normal());
  recrl::Matrix obs(10, 1);
  recrl::Vector reward(1);
  std::vector<int> action(1);
  const std::vector<std::uint8_t> ended{1}, cut{0};
  Eigen::Index next = 0;
  for (auto _ : state) {
    obs = contexts.col(next);
    next = (next + 1) % contexts.cols();
    algo->act(recrl::ObsBatch{obs, obs}, recrl::ActMode::Explore, rng, action);
    reward[0] = obs(action[0] % 10, 0) + static_cast<float>(rng.uniform());
    algo->observe(recrl::StepBatch{obs, action, reward, obs, obs, ended, cut});
    benchmark::DoNotOptimize(action.data());
  }
  state.SetItemsProcessed(state.iterations());
}

BENCHMARK_CAPTURE(BM_BanditDecision, eps_greedy, std::string("eps_greedy"));
BENCHMARK_CAPTURE(BM_BanditDecision, linucb, std::string("linucb"));
BENCHMARK_CAPTURE(BM_BanditDecision, lin_ts, std::string("lin_ts"));
BENCHMARK_CAPTURE(BM_BanditDecision, squarecb, std::string("squarecb"));

}  // namespace
