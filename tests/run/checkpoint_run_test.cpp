// End-to-end: `recrl run` with train.checkpoint_every, killed after a checkpoint and resumed
// with --resume, ends exactly where an uninterrupted run ends; and the time split each run
// records.
#include <signal.h>

#include <chrono>
#include <fstream>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include <catch2/catch.hpp>

#include "child_recrl.hpp"
#include "cli.hpp"
#include "recrl/store/result_store.hpp"

namespace {

using recrl::test::read_text;
using recrl::test::run_recrl;
using recrl::test::scratch_dir;
using recrl::test::start_recrl;
using recrl::test::wait_for;
namespace store = recrl::store;
namespace fs = std::filesystem;

constexpr std::int64_t kTimesteps = 40000;
constexpr std::int64_t kCheckpointEvery = 1000;

// PPO on the recommendation environment: about two seconds, a checkpoint every 1000 steps.
void write_experiment(const fs::path& dir) {
  std::ofstream(dir / "ck.yaml") << "name: ck\n"
                                    "env: {plugin: recommendation}\n"
                                    "reward: {plugin: seed_rules}\n"
                                    "algorithms: [{plugin: ppo}]\n"
                                    "seeds: [0]\n"
                                    "train: {timesteps: "
                                 << kTimesteps
                                 << ", n_envs: 2, checkpoint_every: " << kCheckpointEvery
                                 << "}\n"
                                    "eval: {episodes: 200, every: 10000}\n"
                                    "output: out\n";
}

store::RunRecord only_run(const fs::path& file) {
  store::StoreOptions options;
  options.read_only = true;
  const auto runs = store::ResultStore::open(file, options).runs("ck");
  REQUIRE(runs.size() == 1);
  return runs.front();
}

// What must not depend on the run's interruptions: its metrics without the timings, and its
// learning curve without wall times.
struct StoredNumbers {
  store::Metrics metrics;
  std::vector<std::tuple<std::int64_t, double, double, std::int64_t>> curve;
  bool operator==(const StoredNumbers&) const = default;
};

const std::vector<std::string> kTimings = {"wall_s", "train_s",  "steps_per_s", "env_s",
                                           "act_s",  "update_s", "eval_s"};

StoredNumbers numbers_of(const fs::path& file) {
  store::StoreOptions options;
  options.read_only = true;
  const auto db = store::ResultStore::open(file, options);
  const std::string id = db.runs("ck").front().info.run_id;
  StoredNumbers n;
  n.metrics = db.metrics(id);
  for (const std::string& timing : kTimings) n.metrics.erase(timing);
  for (const auto& p : db.curve(id))
    n.curve.emplace_back(p.env_steps, p.eval_mean, p.eval_std, p.train_episodes);
  return n;
}

// Waits until the store records a checkpoint of the run and a point of its learning curve
// (so that the resumed run has evaluations both behind and ahead of it), or the child ends by
// itself. The deadline only guards against a hang.
bool wait_for_checkpoint(const fs::path& file, pid_t child) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (waitpid(child, &status, WNOHANG) == child) return false;
    try {
      store::StoreOptions options;
      options.read_only = true;
      const auto db = store::ResultStore::open(file, options);
      for (const auto& run : db.runs()) {
        if (run.checkpoint && !db.curve(run.info.run_id).empty()) return true;
      }
    } catch (const store::StoreError&) {
      // Not created yet.
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return false;
}

// The step the resumed run says it continues from; -1 if it does not say.
std::int64_t resumed_at(const std::string& log) {
  const std::string marker = "from its checkpoint at step ";
  const auto at = log.find(marker);
  if (at == std::string::npos) return -1;
  return std::stoll(log.substr(at + marker.size()));
}

}  // namespace

TEST_CASE("a run killed after a checkpoint resumes from it and ends as an uninterrupted run",
          "[e2e][run][checkpoint]") {
  const auto dir = scratch_dir("checkpoint_run_resume");
  write_experiment(dir);
  const fs::path run_dir = fs::path("runs") / "ppo__s0";

  const auto reference = run_recrl("run ck.yaml -q --db ref.db --set output=ref", dir);
  INFO(reference.err);
  REQUIRE(reference.status == 0);
  CHECK_FALSE(fs::exists(dir / "ref" / run_dir / "checkpoint.recrl"));

  const pid_t child = start_recrl(dir, {"run", "ck.yaml", "-q", "--db", "ck.db"});
  const bool checkpointed = wait_for_checkpoint(dir / "ck.db", child);
  if (checkpointed) kill(child, SIGKILL);
  INFO("the run must still be training when its first checkpoint appears");
  REQUIRE(checkpointed);
  REQUIRE(wait_for(child) == 128 + SIGKILL);
  const store::RunRecord killed = only_run(dir / "ck.db");
  CHECK(killed.status == store::RunStatus::running);
  REQUIRE(killed.checkpoint.has_value());
  CHECK(fs::equivalent(*killed.checkpoint, dir / "out" / run_dir / "checkpoint.recrl"));

  const auto resumed = run_recrl("run ck.yaml --db ck.db --resume", dir);
  INFO(resumed.err);
  REQUIRE(resumed.status == 0);
  const std::int64_t from = resumed_at(resumed.err);
  CHECK(from >= kCheckpointEvery);
  CHECK(from < kTimesteps);
  CHECK(from % kCheckpointEvery == 0);
  const store::RunRecord finished = only_run(dir / "ck.db");
  CHECK(finished.status == store::RunStatus::finished);
  CHECK(finished.attempts == 2);
  CHECK_FALSE(finished.checkpoint.has_value());  // a finished run has nothing to resume
  CHECK_FALSE(fs::exists(dir / "out" / run_dir / "checkpoint.recrl"));

  for (const char* file : {"metrics.csv", "policy.recrl"}) {
    INFO(file);
    CHECK(read_text(dir / "out" / run_dir / file) == read_text(dir / "ref" / run_dir / file));
  }
  CHECK(numbers_of(dir / "ck.db") == numbers_of(dir / "ref.db"));
}

TEST_CASE("every run records where its time went", "[e2e][run][checkpoint]") {
  const auto dir = scratch_dir("checkpoint_run_time_split");
  std::ofstream(dir / "split.yaml") << "name: ck\n"
                                       "env: {plugin: recommendation}\n"
                                       "reward: {plugin: seed_rules}\n"
                                       "algorithms: [{plugin: dqn}]\n"
                                       "train: {timesteps: 2000}\n"
                                       "eval: {episodes: 100}\n"
                                       "output: out\n";
  const auto run = run_recrl("run split.yaml -q --db split.db", dir);
  INFO(run.err);
  REQUIRE(run.status == 0);
  store::StoreOptions options;
  options.read_only = true;
  const auto db = store::ResultStore::open(dir / "split.db", options);
  const store::Metrics metrics = db.metrics(db.runs("ck").front().info.run_id);
  double phases = 0;
  for (const char* phase : {"env_s", "act_s", "update_s", "eval_s"}) {
    INFO(phase);
    REQUIRE(metrics.count(phase) == 1);
    CHECK(metrics.at(phase) > 0);
    phases += metrics.at(phase);
  }
  CHECK(phases <= metrics.at("wall_s"));
  // perf/* metrics are measurements, summed into the store, never logged per update.
  CHECK(read_text(dir / "out" / "runs" / "dqn__s0" / "metrics.csv").find("perf/") ==
        std::string::npos);
}

TEST_CASE("a negative checkpoint_every is a configuration error with its line",
          "[e2e][run][checkpoint]") {
  const auto dir = scratch_dir("checkpoint_run_negative");
  std::ofstream(dir / "bad.yaml") << "name: bad\n"
                                     "env: {plugin: recommendation}\n"
                                     "reward: {plugin: seed_rules}\n"
                                     "algorithms:\n"
                                     "  - {plugin: ppo, checkpoint_every: -3}\n"
                                     "train: {timesteps: 100, checkpoint_every: -5}\n"
                                     "output: out\n";
  const auto run = run_recrl("run bad.yaml -q --db bad.db", dir);
  CHECK(run.status == 2);
  CHECK_THAT(run.err, Catch::Contains("bad.yaml:5:") && Catch::Contains("bad.yaml:6:") &&
                          Catch::Contains("checkpoint_every"));
  CHECK_FALSE(fs::exists(dir / "out" / "results.md"));
}
