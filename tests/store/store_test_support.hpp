#pragma once

// Helpers for the result store's tests: scratch stores, runs to record, direct SQL on a store
// file (to fake what only a newer recrl or a broken disk would write), and forked children.

#include <dlfcn.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <functional>
#include <stdexcept>
#include <string>

#include "cli.hpp"
#include "recrl/store/result_store.hpp"

namespace recrl::test {

inline store::StoreOptions store_options() {
  store::StoreOptions options;
  options.recrl_version = "0.1.0";
  options.busy_timeout = std::chrono::milliseconds(5000);
  return options;
}

inline store::ExperimentRecord experiment_record(const std::string& name) {
  return {name, "experiments/" + name + ".yaml", "name: " + name + "\nseeds: [0, 1]\n", 0, 0};
}

inline store::RunInfo run_info(const std::string& experiment, const std::string& run_id,
                               std::uint64_t seed = 0, const std::string& algorithm = "ppo") {
  store::RunInfo run;
  run.run_id = run_id;
  run.experiment = experiment;
  run.variant = "base";
  run.algorithm = algorithm;
  run.plugin = algorithm;
  run.plugin_version = "1.2.0";
  run.env_plugin = "recommendation";
  run.env_version = "1.0.0";
  run.reward_plugin = "seed_rules";
  run.reward_version = "1.0.0";
  run.seed = seed;
  run.resolved_yaml = "algorithm: " + algorithm + "\nseed: " + std::to_string(seed) + "\n";
  return run;
}

inline std::vector<store::CurvePoint> curve_of(int points, double scale = 1.0) {
  std::vector<store::CurvePoint> curve;
  for (int i = 1; i <= points; ++i) {
    const std::optional<double> train = i % 2 == 0 ? std::optional<double>(0.1 * i) : std::nullopt;
    curve.push_back({1000 * i, scale * 0.01 * i, 0.5, 3 * i, train, 0.25 * i});
  }
  return curve;
}

inline store::FinishedRun finished_of(double eval_mean) {
  store::FinishedRun finished;
  finished.metrics = {{"eval_mean", eval_mean}, {"eval_std", 0.25}, {"pct_oracle", 80.5},
                      {"env_steps", 100000},    {"wall_s", 2.5},    {"train_s", 2.0},
                      {"steps_per_s", 50000}};
  finished.policy = "results/demo/runs/x/policy.recrl";
  finished.action_counts = {{0, "discount 10% email", 70}, {1, "reminder email", 30}};
  finished.reward_components = {{"targeting", 0.5 * eval_mean}, {"channel", 0.25}};
  return finished;
}

// Claims, fills and finishes one run.
inline void record_finished_run(store::ResultStore& db, const store::RunInfo& run,
                                int curve_points = 10, double eval_mean = 0.5) {
  if (!db.claim_run(run).run_it) throw std::runtime_error("run " + run.run_id + " not claimed");
  db.add_curve_points(run.run_id, curve_of(curve_points));
  db.finish_run(run.run_id, finished_of(eval_mean));
}

// SQL on a store file through its own connection, for what the store's API would never write.
// libsqlite3 is loaded already (librecrl links it), so its functions are looked up there
// rather than linked into the test binary a second time.
inline void execute_sql(const std::filesystem::path& file, const std::string& sql) {
  using Open = decltype(&sqlite3_open);
  using Exec = decltype(&sqlite3_exec);
  using Close = decltype(&sqlite3_close);
  const auto open = reinterpret_cast<Open>(dlsym(RTLD_DEFAULT, "sqlite3_open"));
  const auto exec = reinterpret_cast<Exec>(dlsym(RTLD_DEFAULT, "sqlite3_exec"));
  const auto close = reinterpret_cast<Close>(dlsym(RTLD_DEFAULT, "sqlite3_close"));
  if (open == nullptr || exec == nullptr || close == nullptr)
    throw std::runtime_error("libsqlite3 is not loaded");
  sqlite3* db = nullptr;
  if (open(file.c_str(), &db) != SQLITE_OK)
    throw std::runtime_error("cannot open " + file.string());
  char* message = nullptr;
  const int code = exec(db, sql.c_str(), nullptr, nullptr, &message);
  const std::string text = message != nullptr ? message : "";
  close(db);
  if (code != SQLITE_OK) throw std::runtime_error("sql failed: " + text);
}

// Runs `body` in a child process and returns its pid. The child exits 0 when body returns, 1
// when it throws; it never returns into the test framework.
inline pid_t fork_child(const std::function<void()>& body) {
  const pid_t pid = fork();
  if (pid != 0) return pid;
  int status = 0;
  try {
    body();
  } catch (...) {
    status = 1;
  }
  _exit(status);
}

// Waits for the child; its exit code, or 128 + the signal that ended it.
inline int wait_child(pid_t pid) {
  int status = 0;
  waitpid(pid, &status, 0);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return WEXITSTATUS(status);
}

}  // namespace recrl::test
