#include <signal.h>
#include <unistd.h>

#include <thread>

#include <catch2/catch.hpp>

#include "store_test_support.hpp"

using namespace recrl;
using recrl::test::run_info;

namespace {

// A child process that claims `run_id`, then waits until the parent closes the pipe.
struct ClaimingChild {
  pid_t pid = 0;
  int release_fd = -1;

  ClaimingChild(const std::filesystem::path& file, const std::string& run_id) {
    int claimed[2];
    int release[2];
    REQUIRE(pipe(claimed) == 0);
    REQUIRE(pipe(release) == 0);
    pid = test::fork_child([&] {
      close(claimed[0]);
      close(release[1]);
      auto db = store::ResultStore::open(file, test::store_options());
      const char ok = db.claim_run(run_info("demo", run_id)).run_it ? 'y' : 'n';
      if (write(claimed[1], &ok, 1) != 1) throw std::runtime_error("pipe");
      char ignored = 0;
      while (read(release[0], &ignored, 1) > 0) {
      }
    });
    close(claimed[1]);
    close(release[0]);
    release_fd = release[1];
    char ok = 0;
    REQUIRE(read(claimed[0], &ok, 1) == 1);
    close(claimed[0]);
    REQUIRE(ok == 'y');
  }

  // Lets the child exit and reaps it, so its pid is gone.
  int end() {
    close(release_fd);
    return test::wait_child(pid);
  }
};

std::filesystem::path store_with_experiment(const std::string& name) {
  const auto file = test::scratch_dir(name) / "recrl.db";
  auto db = store::ResultStore::open(file, test::store_options());
  db.record_experiment(test::experiment_record("demo"));
  return file;
}

}  // namespace

TEST_CASE("a finished run is skipped and a failed or planned one is run again", "[store][claim]") {
  const auto file = store_with_experiment("claim_statuses");
  auto db = store::ResultStore::open(file, test::store_options());
  test::record_finished_run(db, run_info("demo", "done"));
  const auto again = db.claim_run(run_info("demo", "done"));
  CHECK_FALSE(again.run_it);
  CHECK(again.reason == store::ClaimReason::already_finished);

  db.claim_run(run_info("demo", "broken"));
  db.set_checkpoint("broken", "runs/broken/checkpoint.recrl");
  db.fail_run("broken", "interrupted");
  const auto retry = db.claim_run(run_info("demo", "broken"));
  CHECK(retry.run_it);
  CHECK(retry.reason == store::ClaimReason::retry_failed);
  REQUIRE(retry.checkpoint);
  CHECK(*retry.checkpoint == "runs/broken/checkpoint.recrl");
  CHECK(db.run("broken")->attempts == 2);
  CHECK(db.run("broken")->error.empty());

  db.plan_run(run_info("demo", "planned"));
  CHECK(db.run("planned")->status == store::RunStatus::pending);
  CHECK(db.claim_run(run_info("demo", "planned")).reason == store::ClaimReason::planned);
}

TEST_CASE("a run held by a live process is left and taken over once that process dies",
          "[store][claim]") {
  const auto file = store_with_experiment("claim_live_then_dead");
  ClaimingChild child(file, "r1");
  {
    auto db = store::ResultStore::open(file, test::store_options());
    const auto claim = db.claim_run(run_info("demo", "r1"));
    CHECK_FALSE(claim.run_it);
    CHECK(claim.reason == store::ClaimReason::running_elsewhere);
    CHECK_FALSE(db.heartbeat("r1"));  // not ours
  }
  REQUIRE(child.end() == 0);
  auto db = store::ResultStore::open(file, test::store_options());
  const auto claim = db.claim_run(run_info("demo", "r1"));
  CHECK(claim.run_it);
  CHECK(claim.reason == store::ClaimReason::owner_died);
  CHECK(claim.previous_owner.find(":" + std::to_string(child.pid)) != std::string::npos);
  CHECK(db.run("r1")->pid == static_cast<std::int64_t>(getpid()));
  CHECK(db.heartbeat("r1"));
}

TEST_CASE("a live owner whose heartbeat is older than the limit loses its run", "[store][claim]") {
  const auto file = store_with_experiment("claim_stale");
  ClaimingChild child(file, "r1");
  auto options = test::store_options();
  options.stale_after = std::chrono::seconds(0);
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  {
    auto db = store::ResultStore::open(file, options);
    const auto claim = db.claim_run(run_info("demo", "r1"));
    CHECK(claim.run_it);
    CHECK(claim.reason == store::ClaimReason::owner_silent);
    // The old owner may still fail it: that must not undo the new owner's claim.
  }
  REQUIRE(child.end() == 0);
}

TEST_CASE("a run held on another host is left while its heartbeat is fresh", "[store][claim]") {
  const auto file = store_with_experiment("claim_other_host");
  {
    auto db = store::ResultStore::open(file, test::store_options());
    db.claim_run(run_info("demo", "r1"));
  }
  // Owned on another host: its pid says nothing here, only its heartbeat counts.
  test::execute_sql(file, "UPDATE runs SET host = 'elsewhere', pid = 999999 WHERE run_id = 'r1'");
  {
    auto db = store::ResultStore::open(file, test::store_options());
    CHECK(db.claim_run(run_info("demo", "r1")).reason == store::ClaimReason::running_elsewhere);
    db.fail_run("r1", "not mine to fail");
    CHECK(db.run("r1")->status == store::RunStatus::running);
  }
  test::execute_sql(file, "UPDATE runs SET heartbeat_at = heartbeat_at - 3600 WHERE run_id = 'r1'");
  auto db = store::ResultStore::open(file, test::store_options());
  const auto claim = db.claim_run(run_info("demo", "r1"));
  CHECK(claim.run_it);
  CHECK(claim.reason == store::ClaimReason::owner_silent);
  CHECK(claim.previous_owner == "elsewhere:999999");
}
