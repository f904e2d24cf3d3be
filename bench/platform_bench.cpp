// Micro-benchmarks of the experiment platform's bookkeeping: recording a finished run in the
// SQLite result store, and the stratified bootstrap behind every results table. Both run once
// per run or per table, so they only need to stay far below a training run's cost; these
// numbers show that they do (timings belong here, not in the tests).
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <unistd.h>

#include <benchmark/benchmark.h>

#include "recrl/core/random.hpp"
#include "recrl/stats/aggregate.hpp"
#include "recrl/stats/bootstrap.hpp"
#include "recrl/store/result_store.hpp"

namespace {

namespace store = recrl::store;
namespace stats = recrl::stats;

store::RunInfo run_info(std::int64_t index) {
  store::RunInfo run;
  run.run_id = "run-" + std::to_string(index);
  run.experiment = "bench";
  run.variant = "base";
  run.algorithm = run.plugin = "ppo";
  run.plugin_version = run.env_version = run.reward_version = "1.0.0";
  run.env_plugin = "recommendation";
  run.reward_plugin = "seed_rules";
  run.seed = static_cast<std::uint64_t>(index);
  run.resolved_yaml = "algorithm: ppo\nseed: " + std::to_string(index) + "\n";
  return run;
}

// One run with a 100-point learning curve, claimed, filled and finished inside a batch (as a
// sweep records it); items/s is runs recorded per second.
void BM_StoreRecordRun(benchmark::State& state) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("recrl_bench_store_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  {
    auto db = store::ResultStore::open(dir / "recrl.db", store::StoreOptions{});
    db.record_experiment({"bench", "bench.yaml", "name: bench\n", 0, 0});
    std::vector<store::CurvePoint> curve;
    for (int i = 1; i <= 100; ++i)
      curve.push_back({1000 * i, 0.01 * i, 0.5, 3 * i, 0.1 * i, 0.25 * i});
    store::FinishedRun finished;
    finished.metrics = {{"eval_mean", 0.5}, {"steps_per_s", 50000}};
    auto batch = db.begin_batch();
    std::int64_t index = 0;
    for (auto _ : state) {
      const auto run = run_info(index++);
      db.claim_run(run);
      db.add_curve_points(run.run_id, curve);
      db.finish_run(run.run_id, finished);
    }
    batch.commit();
    state.SetItemsProcessed(index);
  }
  std::filesystem::remove_all(dir);
}

// The IQM's 95% interval over ten seeds with the default 2000 repetitions.
void BM_BootstrapIqm(benchmark::State& state) {
  const std::vector<double> scores{0.61, 0.72, 0.58, 0.80, 0.69, 0.75, 0.66, 0.71, 0.63, 0.77};
  const stats::ScoreMatrix matrix = stats::single_task(scores);
  recrl::Rng rng(0);
  for (auto _ : state) {
    benchmark::DoNotOptimize(stats::bootstrap_interval(matrix, stats::Aggregate::Iqm, rng));
  }
}

}  // namespace

BENCHMARK(BM_StoreRecordRun);
BENCHMARK(BM_BootstrapIqm)->Unit(benchmark::kMillisecond);
