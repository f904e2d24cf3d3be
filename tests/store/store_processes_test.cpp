// Several processes on one store: concurrent writers, and a writer killed mid-write.
#include <signal.h>
#include <unistd.h>

#include <thread>

#include <catch2/catch.hpp>

#include "store_test_support.hpp"

using namespace recrl;
using recrl::test::run_info;

namespace {

constexpr int kCurvePoints = 5;

// Claims, fills point by point (one transaction each, as a training run does) and finishes
// runs prefix0 .. prefix<count-1>, or the other way round.
void write_runs(const std::filesystem::path& file, const std::string& prefix, int count,
                bool backwards = false) {
  auto db = store::ResultStore::open(file, test::store_options());
  for (int k = 0; k < count; ++k) {
    const int i = backwards ? count - 1 - k : k;
    const auto info = run_info("demo", prefix + std::to_string(i), static_cast<std::uint64_t>(i));
    if (!db.claim_run(info).run_it) continue;
    for (const auto& point : test::curve_of(kCurvePoints)) db.add_curve_point(info.run_id, point);
    db.finish_run(info.run_id, test::finished_of(0.5));
  }
}

std::filesystem::path store_with_experiment(const std::string& name) {
  const auto file = test::scratch_dir(name) / "recrl.db";
  auto db = store::ResultStore::open(file, test::store_options());
  db.record_experiment(test::experiment_record("demo"));
  return file;
}

}  // namespace

TEST_CASE("two processes writing 200 runs each to one store lose nothing", "[store][processes]") {
  const auto file = store_with_experiment("store_two_writers");
  const pid_t first = test::fork_child([&] { write_runs(file, "first-", 200); });
  const pid_t second = test::fork_child([&] { write_runs(file, "second-", 200); });
  REQUIRE(test::wait_child(first) == 0);
  REQUIRE(test::wait_child(second) == 0);

  auto db = store::ResultStore::open(file, test::store_options());
  const auto runs = db.runs("demo");
  REQUIRE(runs.size() == 400);
  for (const auto& run : runs) {
    INFO(run.info.run_id);
    CHECK(run.status == store::RunStatus::finished);
  }
  CHECK(db.metrics_by_run("demo").size() == 400);
  CHECK(db.curve("first-199").size() == kCurvePoints);
  CHECK(db.curve("second-0").size() == kCurvePoints);
  CHECK(db.integrity_problems().empty());
}

TEST_CASE("two processes working through the same runs do each run exactly once",
          "[store][processes]") {
  const auto file = store_with_experiment("store_shared_runs");
  // From both ends, so that they meet in the middle and contend for the same runs.
  const pid_t first = test::fork_child([&] { write_runs(file, "shared-", 100); });
  const pid_t second = test::fork_child([&] { write_runs(file, "shared-", 100, true); });
  REQUIRE(test::wait_child(first) == 0);
  REQUIRE(test::wait_child(second) == 0);

  auto db = store::ResultStore::open(file, test::store_options());
  const auto runs = db.runs("demo");
  REQUIRE(runs.size() == 100);
  int finished = 0;
  for (const auto& run : runs) {
    INFO(run.info.run_id);
    CHECK(run.attempts == 1);
    finished += run.status == store::RunStatus::finished ? 1 : 0;
  }
  // A run the other process held at that moment is left to it, and it finished it.
  CHECK(finished == 100);
}

TEST_CASE("a writer killed with SIGKILL mid-write leaves a consistent store",
          "[store][processes]") {
  const auto file = store_with_experiment("store_kill9");
  int ready[2];
  REQUIRE(pipe(ready) == 0);
  const pid_t writer = test::fork_child([&] {
    close(ready[0]);
    auto db = store::ResultStore::open(file, test::store_options());
    for (int i = 0;; ++i) {
      const auto info = run_info("demo", "run-" + std::to_string(i), static_cast<std::uint64_t>(i));
      db.claim_run(info);
      for (const auto& point : test::curve_of(kCurvePoints)) db.add_curve_point(info.run_id, point);
      db.finish_run(info.run_id, test::finished_of(0.5));
      if (i == 20) {
        const char go = 'g';
        if (write(ready[1], &go, 1) != 1) throw std::runtime_error("pipe");
      }
    }
  });
  close(ready[1]);
  char go = 0;
  REQUIRE(read(ready[0], &go, 1) == 1);
  close(ready[0]);
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  kill(writer, SIGKILL);
  REQUIRE(test::wait_child(writer) == 128 + SIGKILL);

  auto db = store::ResultStore::open(file, test::store_options());
  CHECK(db.integrity_problems().empty());  // includes: every finished run has its metrics
  const auto runs = db.runs("demo");
  REQUIRE(runs.size() > 20);
  int unfinished = 0;
  for (const auto& run : runs) {
    INFO(run.info.run_id);
    if (run.status == store::RunStatus::finished) {
      CHECK(db.curve(run.info.run_id).size() == kCurvePoints);
      CHECK(db.metrics(run.info.run_id).size() == 7);
      CHECK(db.action_counts(run.info.run_id).size() == 2);
    } else {
      ++unfinished;
      CHECK(run.status == store::RunStatus::running);
      // Its owner is dead: the next claim takes it over.
      CHECK(db.claim_run(run.info).reason == store::ClaimReason::owner_died);
    }
  }
  CHECK(unfinished <= 1);
}
