// End-to-end: `recrl run` records its runs in the result store, redoes or resumes them, and
// stops cleanly on SIGINT and SIGTERM.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <map>
#include <thread>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

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

// Two algorithms x two seeds on tiny budgets, with an evaluation midway: four runs of about
// a tenth of a second each.
void write_tiny_experiment(const std::filesystem::path& dir) {
  std::ofstream(dir / "tiny.yaml") << "name: tiny\n"
                                      "env: {plugin: recommendation}\n"
                                      "reward: {plugin: seed_rules}\n"
                                      "algorithms: [{plugin: random}, {plugin: oracle}]\n"
                                      "seeds: [0, 1]\n"
                                      "train: {timesteps: 400, n_envs: 2}\n"
                                      "eval: {episodes: 200, every: 200}\n"
                                      "output: out\n";
}

store::ResultStore open_store(const std::filesystem::path& file) {
  store::StoreOptions options;
  options.busy_timeout = std::chrono::milliseconds(5000);
  return store::ResultStore::open(file, options);
}

// What must not depend on when, where or with how many jobs a run ran.
struct RunNumbers {
  store::Metrics metrics;  // without the timings
  std::vector<std::pair<std::int64_t, double>> curve;
  std::vector<std::int64_t> action_counts;
  bool operator==(const RunNumbers&) const = default;
};

std::map<std::string, RunNumbers> numbers_of(const std::filesystem::path& file) {
  auto db = open_store(file);
  std::map<std::string, RunNumbers> numbers;
  for (const auto& run : db.runs("tiny")) {
    RunNumbers& n = numbers[run.info.run_id];
    n.metrics = db.metrics(run.info.run_id);
    for (const char* timing :
         {"wall_s", "train_s", "steps_per_s", "env_s", "act_s", "update_s", "eval_s"})
      n.metrics.erase(timing);
    for (const auto& point : db.curve(run.info.run_id))
      n.curve.emplace_back(point.env_steps, point.eval_mean);
    for (const auto& count : db.action_counts(run.info.run_id))
      n.action_counts.push_back(count.count);
  }
  return numbers;
}

std::map<std::string, int> attempts_of(const std::filesystem::path& file) {
  std::map<std::string, int> attempts;
  for (const auto& run : open_store(file).runs("tiny")) attempts[run.info.run_id] = run.attempts;
  return attempts;
}

std::string recrl_version(const std::filesystem::path& dir) {
  const auto result = run_recrl("--version", dir);
  REQUIRE(result.status == 0);
  REQUIRE(result.out.rfind("recrl ", 0) == 0);
  return result.out.substr(6, result.out.find('\n') - 6);
}

// Waits until the store shows the run labelled `algorithm` running. A deadline only guards
// against a hang: a child that never gets there fails the test.
bool wait_until_running(const std::filesystem::path& file, const std::string& algorithm,
                        pid_t child) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (waitpid(child, &status, WNOHANG) == child) return false;  // it ended by itself
    try {
      store::StoreOptions options;
      options.read_only = true;
      for (const auto& run : store::ResultStore::open(file, options).runs()) {
        if (run.info.algorithm == algorithm && run.status == store::RunStatus::running) return true;
      }
    } catch (const store::StoreError&) {
      // Not created yet.
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

}  // namespace

TEST_CASE("recrl run records runs curves and metrics in the result store",
          "[e2e][run][store_run]") {
  const auto dir = scratch_dir("store_run_record");
  write_tiny_experiment(dir);
  const auto result = run_recrl("run tiny.yaml -q --jobs 2", dir);
  INFO(result.err);
  REQUIRE(result.status == 0);
  CHECK_THAT(result.out, Catch::Contains("| random | 2 |") && Catch::Contains("| oracle | 2 |"));

  const auto file = dir / "results" / "recrl.db";
  REQUIRE(std::filesystem::exists(file));
  auto db = open_store(file);
  const auto experiment = db.experiment("tiny");
  REQUIRE(experiment);
  CHECK(experiment->file == "tiny.yaml");
  CHECK_THAT(experiment->resolved_yaml, Catch::Contains("seed_rules"));
  REQUIRE(db.variants("tiny").size() == 1);
  CHECK(db.variants("tiny").front().assignments_json == "{}");

  const auto results = nlohmann::json::parse(read_text(dir / "out" / "results.json"));
  const std::string version = recrl_version(dir);
  const auto runs = db.runs("tiny");
  REQUIRE(runs.size() == 4);
  for (const auto& run : runs) {
    INFO(run.info.run_id);
    CHECK(run.status == store::RunStatus::finished);
    CHECK(run.attempts == 1);
    CHECK(run.recrl_version == version);
    CHECK(run.info.env_plugin == "recommendation");
    REQUIRE(run.policy);
    CHECK(run.policy->is_absolute());
    CHECK(std::filesystem::exists(*run.policy));
    CHECK(db.curve(run.info.run_id).size() == 2);  // at 200 steps and the final one at 400
    CHECK(db.action_counts(run.info.run_id).size() > 0);
    const auto metrics = db.metrics(run.info.run_id);
    CHECK(metrics.at("env_steps") == 400);
    CHECK(metrics.count("pct_oracle") == 1);
    // The table the command wrote is the store's.
    bool found = false;
    for (const auto& r : results["runs"]) {
      if (r["run_id"] == run.info.run_id) {
        found = true;
        CHECK(r["eval_mean"].get<double>() == metrics.at("eval_mean"));
      }
    }
    CHECK(found);
  }
  CHECK(db.integrity_problems().empty());
}

TEST_CASE("recrl run twice in one folder redoes every run and keeps one row per run",
          "[e2e][run][store_run]") {
  const auto dir = scratch_dir("store_run_twice");
  write_tiny_experiment(dir);
  const auto file = dir / "results" / "recrl.db";
  REQUIRE(run_recrl("run tiny.yaml -q --jobs 2", dir).status == 0);
  const auto first = numbers_of(file);
  const auto second_run = run_recrl("run tiny.yaml -q --jobs 2", dir);
  INFO(second_run.err);
  REQUIRE(second_run.status == 0);
  CHECK(numbers_of(file) == first);
  const auto attempts = attempts_of(file);
  REQUIRE(attempts.size() == 4);
  for (const auto& [id, count] : attempts) CHECK(count == 2);
}

TEST_CASE("recrl run gives identical stored numbers with one job or two", "[e2e][run][store_run]") {
  const auto dir = scratch_dir("store_run_jobs");
  write_tiny_experiment(dir);
  REQUIRE(run_recrl("run tiny.yaml -q --jobs 1 --db one.db", dir).status == 0);
  REQUIRE(run_recrl("run tiny.yaml -q --jobs 2 --db two.db", dir).status == 0);
  const auto one = numbers_of(dir / "one.db");
  REQUIRE(one.size() == 4);
  CHECK(one == numbers_of(dir / "two.db"));
  CHECK_FALSE(std::filesystem::exists(dir / "results" / "recrl.db"));
}

TEST_CASE("recrl run --resume redoes only the unfinished runs with the same numbers",
          "[e2e][run][store_run]") {
  const auto dir = scratch_dir("store_run_resume");
  write_tiny_experiment(dir);
  const auto file = dir / "results" / "recrl.db";
  REQUIRE(run_recrl("run tiny.yaml -q --jobs 2", dir).status == 0);
  const auto finished = numbers_of(file);
  std::vector<store::RunRecord> runs = open_store(file).runs("tiny");
  REQUIRE(runs.size() == 4);
  {
    // What an interruption leaves: one run pending, one failed, one running by a dead process.
    auto db = open_store(file);
    REQUIRE(db.reset_run(runs[1].info.run_id));
    REQUIRE(db.reset_run(runs[2].info.run_id));
    REQUIRE(db.claim_run(runs[2].info).run_it);
    db.fail_run(runs[2].info.run_id, "interrupted");
    REQUIRE(db.reset_run(runs[3].info.run_id));
  }
  const pid_t claimer = fork();
  if (claimer == 0) {
    int status = 0;
    try {
      auto db = open_store(file);
      status = db.claim_run(runs[3].info).run_it ? 0 : 1;
    } catch (...) {
      status = 2;
    }
    _exit(status);
  }
  REQUIRE(wait_for(claimer) == 0);  // now running, with a pid that is gone
  REQUIRE(open_store(file).run(runs[3].info.run_id)->status == store::RunStatus::running);

  const auto resumed = run_recrl("run tiny.yaml -q --jobs 2 --resume", dir);
  INFO(resumed.err);
  REQUIRE(resumed.status == 0);
  const auto attempts = attempts_of(file);
  CHECK(attempts.at(runs[0].info.run_id) == 1);  // finished: skipped
  CHECK(attempts.at(runs[1].info.run_id) == 2);  // pending: run
  CHECK(attempts.at(runs[2].info.run_id) == 3);  // failed: run again
  CHECK(attempts.at(runs[3].info.run_id) == 3);  // its owner died: taken over
  CHECK(open_store(file).run(runs[0].info.run_id)->started_at == runs[0].started_at);
  CHECK(numbers_of(file) == finished);
  // The table has the skipped run too.
  const auto results = nlohmann::json::parse(read_text(dir / "out" / "results.json"));
  CHECK(results["runs"].size() == 4);

  // Resuming a finished experiment runs nothing.
  REQUIRE(run_recrl("run tiny.yaml -q --resume", dir).status == 0);
  CHECK(attempts_of(file) == attempts);
}

TEST_CASE("recrl run refuses a run another live process is running", "[e2e][run][store_run]") {
  const auto dir = scratch_dir("store_run_busy");
  write_tiny_experiment(dir);
  const auto file = dir / "results" / "recrl.db";
  REQUIRE(run_recrl("run tiny.yaml -q", dir).status == 0);
  auto db = open_store(file);
  const auto busy = db.runs("tiny").front();
  REQUIRE(db.reset_run(busy.info.run_id));
  REQUIRE(db.claim_run(busy.info).run_it);  // this test process is the live owner

  const auto again = run_recrl("run tiny.yaml -q --jobs 1", dir);
  CHECK(again.status == 1);
  CHECK_THAT(again.err, Catch::Contains(busy.info.run_id) && Catch::Contains("--resume"));

  const auto resumed = run_recrl("run tiny.yaml -q --jobs 1 --resume", dir);
  CHECK(resumed.status == 1);
  CHECK_THAT(resumed.err,
             Catch::Contains("1 of 4 runs are not finished (oracle s0 is being run by"));
  CHECK_FALSE(std::filesystem::exists(dir / "out" / "results.md"));
  CHECK(db.run(busy.info.run_id)->status == store::RunStatus::running);
}

TEST_CASE("SIGINT or SIGTERM stops recrl run and marks its run interrupted",
          "[e2e][run][store_run]") {
  const auto dir = scratch_dir("store_run_signal");
  // A quick run first, then one too long to end by itself (with --jobs 1, in this order).
  std::ofstream(dir / "tiny.yaml") << "name: tiny\n"
                                      "env: {plugin: recommendation}\n"
                                      "reward: {plugin: seed_rules}\n"
                                      "algorithms:\n"
                                      "  - {plugin: random, label: quick, timesteps: 200}\n"
                                      "  - {plugin: random, label: slow, timesteps: 2000000000}\n"
                                      "seeds: [0]\n"
                                      "eval: {episodes: 100}\n"
                                      "output: out\n";
  for (const auto& [signal, status] : {std::pair{SIGINT, 130}, std::pair{SIGTERM, 143}}) {
    INFO("signal " << signal);
    const auto file = dir / (std::to_string(signal) + ".db");
    const pid_t child =
        start_recrl(dir, {"run", "tiny.yaml", "--jobs", "1", "--db", file.string()});
    const bool running = wait_until_running(file, "slow", child);
    if (!running) kill(child, SIGKILL);
    REQUIRE(running);
    REQUIRE(kill(child, signal) == 0);
    CHECK(wait_for(child) == status);
    const std::string err = read_text(dir / "stderr.txt");
    CHECK_THAT(err, Catch::Contains("interrupted by") && Catch::Contains("--resume"));

    auto db = open_store(file);
    for (const auto& run : db.runs("tiny")) {
      INFO(run.info.algorithm);
      if (run.info.algorithm == "quick") {
        CHECK(run.status == store::RunStatus::finished);
      } else {
        CHECK(run.status == store::RunStatus::failed);
        CHECK(run.error == "interrupted");
      }
    }
    CHECK_FALSE(std::filesystem::exists(dir / "out" / "results.md"));
  }
}

TEST_CASE("a --db that is not a store is one error line and exit 2", "[e2e][run][store_run]") {
  const auto dir = scratch_dir("store_run_bad_db");
  write_tiny_experiment(dir);
  std::filesystem::create_directories(dir / "a_folder");
  std::ofstream(dir / "notes.txt") << "these are not the droids you are looking for\n";
  for (const std::string db : {"a_folder", "notes.txt"}) {
    const auto result = run_recrl("run tiny.yaml -q --db " + db, dir);
    INFO(result.err);
    CHECK(result.status == 2);
    CHECK_THAT(result.err, Catch::StartsWith("error: " + db));
    CHECK(std::count(result.err.begin(), result.err.end(), '\n') == 1);
    CHECK_FALSE(std::filesystem::exists(dir / "out" / "results.md"));
  }
}
