// One served explanation (docs/explain.md) without HTTP: explain_decision for one customer
// against 8 prototypes of 256 simulated customers, as `recrl serve` explains a rank request, for
// a PPO policy (the seed's [64, 64] tanh networks) and a linucb one, each trained briefly on the
// seed environment when the benchmark starts (the cost does not depend on how well they learnt).
// items_per_second is explanations per second on one thread.
#include <filesystem>
#include <fstream>
#include <string>

#include <unistd.h>

#include <benchmark/benchmark.h>
#include <spdlog/spdlog.h>

#include "bench_plugins.hpp"
#include "recrl/config/experiment.hpp"
#include "recrl/config/resolved_experiment.hpp"
#include "recrl/core/random.hpp"
#include "recrl/run/explain.hpp"
#include "recrl/run/recommend.hpp"
#include "recrl/run/runner.hpp"

namespace {

// The policy file of `algorithm` trained for `timesteps` on the seed environment, in a folder
// removed when the process ends.
std::filesystem::path trained_policy(const std::string& algorithm, int timesteps) {
  static const struct Scratch {
    std::filesystem::path dir = std::filesystem::temp_directory_path() /
                                ("recrl_explain_bench_" + std::to_string(::getpid()));
    ~Scratch() {
      std::error_code ignored;
      std::filesystem::remove_all(dir, ignored);
    }
  } scratch;
  const auto dir = scratch.dir / algorithm;
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "experiment.yaml")
      << "name: explain_bench\nenv: {plugin: recommendation}\nreward: {plugin: seed_rules}\n"
      << "algorithms: [{plugin: " << algorithm << "}]\nseeds: [0]\n"
      << "train: {timesteps: " << timesteps << ", normalize_observations: true}\n"
      << "eval: {episodes: 10}\noutput: " << (dir / "out").string() << "\n";
  spdlog::set_level(spdlog::level::warn);  // the runs' progress is not the benchmark's output
  auto& plugins = recrl::bench::bundled_plugins();
  const auto experiment = recrl::config::load_experiment(dir / "experiment.yaml");
  return recrl::run_experiment(recrl::resolve_experiment(experiment, plugins), plugins)
      .runs.at(0)
      .policy;
}

void BM_ExplainDecision(benchmark::State& state, const std::string& algorithm) {
  recrl::Recommender policy(trained_policy(algorithm, 2048), recrl::bench::bundled_plugins());
  const recrl::Background background =
      recrl::prototypes(recrl::sampled_background(policy, 256), 8, policy.record().seed);
  // Other customers of the same simulator, explained one after the other.
  recrl::Matrix users(policy.spec().observation.size, 64);
  recrl::Rng rng(7);
  for (Eigen::Index j = 0; j < users.cols(); ++j) policy.environment().reset(rng, users.col(j));
  const std::vector<recrl::Recommendation> decisions = policy.recommend(users);
  recrl::ExplainBuffers buffers;
  Eigen::Index next = 0;
  for (auto _ : state) {
    const recrl::Vector user = users.col(next);
    const recrl::Explanation e =
        recrl::explain_decision(policy, user, decisions[static_cast<std::size_t>(next)].action,
                                std::nullopt, {}, background, buffers);
    benchmark::DoNotOptimize(e.margin);
    next = (next + 1) % users.cols();
  }
  state.SetItemsProcessed(state.iterations());
}

BENCHMARK_CAPTURE(BM_ExplainDecision, ppo, std::string("ppo"))->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_ExplainDecision, linucb, std::string("linucb"))->Unit(benchmark::kMicrosecond);

}  // namespace
