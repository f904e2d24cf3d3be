// recrl slurm: the scripts' text, and the scripts run here as Slurm would run them.
#include <fstream>
#include <map>

#include <catch2/catch.hpp>

#include "cli.hpp"
#include "recrl/store/result_store.hpp"

namespace fs = std::filesystem;
using namespace recrl;

namespace {

void write_experiment(const fs::path& file) {
  std::ofstream(file)
      << "name: slurmed\n"
         "env:\n  plugin: recommendation\n"
         "  params: {users: {source: synthetic}, horizon: 1}\n"
         "reward: {plugin: seed_rules}\n"
         "algorithms:\n  - plugin: random\n  - {plugin: ppo, params: {n_steps: 64}}\n"
         "  - plugin: linucb\n"
         "seeds: [0, 1]\n"
         "train: {timesteps: 1000, n_envs: 4}\n"
         "eval: {episodes: 100, seed: 7}\n"
         "output: out\n";
}

// Each run's metrics without its timings, by run id.
std::map<std::string, store::Metrics> metrics_of(const fs::path& file) {
  store::StoreOptions options;
  options.read_only = true;
  const auto db = store::ResultStore::open(file, options);
  std::map<std::string, store::Metrics> all;
  for (const store::RunRecord& run : db.runs("slurmed")) {
    if (run.status != store::RunStatus::finished) continue;
    store::Metrics m = db.metrics(run.info.run_id);
    for (const char* timing :
         {"wall_s", "train_s", "steps_per_s", "env_s", "act_s", "update_s", "eval_s"})
      m.erase(timing);
    all[run.info.run_id] = m;
  }
  return all;
}

}  // namespace

TEST_CASE("recrl slurm writes an array of shards and a merge that depends on it", "[slurm]") {
  const auto dir = test::scratch_dir("slurm_text");
  write_experiment(dir / "x.yaml");
  const auto r = test::run_recrl(
      "slurm x.yaml --tasks 4 --partition short --time 01:00:00 --mem 2G --cpus-per-task 2 "
      "--sbatch=--qos=long --set \"algorithms.linucb.params.alpha=0.5\" --out jobs",
      dir);
  INFO(r.err);
  REQUIRE(r.status == 0);
  CHECK_THAT(r.out, Catch::Contains("6 runs in 4 tasks"));
  const std::string array = test::read_text(dir / "jobs" / "array.sbatch");
  for (const char* line :
       {"#SBATCH --array=1-4\n", "#SBATCH --partition=short\n", "#SBATCH --time=01:00:00\n",
        "#SBATCH --mem=2G\n", "#SBATCH --cpus-per-task=2\n", "#SBATCH --qos=long\n"})
    CHECK_THAT(array, Catch::Contains(line));
  CHECK_THAT(array, Catch::Contains("--shard \"${SLURM_ARRAY_TASK_ID}/4\""));
  CHECK_THAT(array, Catch::Contains("--set 'algorithms.linucb.params.alpha=0.5'"));
  CHECK_THAT(array, Catch::Contains("shard-${SLURM_ARRAY_TASK_ID}-of-4.db"));
  const std::string merge = test::read_text(dir / "jobs" / "merge.sbatch");
  CHECK_THAT(merge, Catch::Contains("shard-4-of-4.db' --into"));
  const std::string submit = test::read_text(dir / "jobs" / "submit.sh");
  CHECK_THAT(submit, Catch::Contains("--dependency=afterok:\"$array\""));
  // Written once: a second time needs --force.
  const auto again = test::run_recrl("slurm x.yaml --tasks 4 --out jobs", dir);
  CHECK(again.status == 2);
  CHECK_THAT(again.err, Catch::Contains("array.sbatch exists: --force replaces it"));
  CHECK(test::read_text(dir / "jobs" / "array.sbatch") == array);
  CHECK(test::run_recrl("slurm x.yaml --tasks 2 --out jobs --force", dir).status == 0);
  const auto bad = test::run_recrl("slurm x.yaml --tasks 0", dir);
  CHECK(bad.status == 2);
  CHECK_THAT(bad.err, Catch::Contains("--tasks 0: expected at least 1"));
}

TEST_CASE("the slurm scripts run their shards and merge into the numbers of one run", "[slurm]") {
  const auto dir = test::scratch_dir("slurm_local");
  write_experiment(dir / "x.yaml");
  REQUIRE(test::run_recrl("run x.yaml --jobs 1 --db one.db -q", dir).status == 0);
  fs::remove_all(dir / "out");
  REQUIRE(test::run_recrl("slurm x.yaml --tasks 3 --db all.db", dir).status == 0);
  // What Slurm would do: each array task with its index, then the merge.
  for (int i = 1; i <= 3; ++i) {
    const auto task = test::run_command(
        "SLURM_ARRAY_TASK_ID=" + std::to_string(i) + " bash out/slurm/array.sbatch", dir);
    INFO(task.err);
    REQUIRE(task.status == 0);
  }
  const auto merged = test::run_command("bash out/slurm/merge.sbatch", dir);
  INFO(merged.err);
  REQUIRE(merged.status == 0);
  CHECK_THAT(merged.out, Catch::Contains("merged 3 of 3 stores"));
  CHECK_THAT(merged.out, Catch::Contains("| linucb | 2 |"));
  CHECK(fs::exists(dir / "out" / "results.md"));
  const auto one = metrics_of(dir / "one.db");
  CHECK(one.size() == 6);
  CHECK(metrics_of(dir / "all.db") == one);
  // Outside a job array the task script says what it needs.
  const auto outside = test::run_command("bash out/slurm/array.sbatch", dir);
  CHECK(outside.status != 0);
  CHECK_THAT(outside.err, Catch::Contains("SLURM_ARRAY_TASK_ID"));
}
