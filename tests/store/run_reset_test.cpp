// ResultStore::reset_run: how `recrl run` without --resume redoes a run from zero.
#include <catch2/catch.hpp>

#include "store_test_support.hpp"

using namespace recrl;
using recrl::test::run_info;

TEST_CASE("reset_run makes a finished run pending and drops what it left", "[store][reset]") {
  const auto file = test::scratch_dir("store_reset_finished") / "recrl.db";
  auto db = store::ResultStore::open(file, test::store_options());
  db.record_experiment(test::experiment_record("demo"));
  const auto run = run_info("demo", "r1");
  test::record_finished_run(db, run, 5);
  db.set_checkpoint("r1", "ckpt/r1.bin");
  const auto other = run_info("demo", "r2", 1);
  test::record_finished_run(db, other, 5);

  REQUIRE(db.reset_run("r1"));
  const auto record = db.run("r1");
  REQUIRE(record);
  CHECK(record->status == store::RunStatus::pending);
  CHECK_FALSE(record->policy);
  CHECK_FALSE(record->checkpoint);
  CHECK_FALSE(record->finished_at);
  CHECK(db.curve("r1").empty());
  CHECK(db.metrics("r1").empty());
  CHECK(db.action_counts("r1").empty());
  // The other run keeps everything.
  CHECK(db.curve("r2").size() == 5);
  CHECK(db.metrics("r2").size() == 7);
  CHECK(db.integrity_problems().empty());

  // The next claim runs it from zero: no checkpoint is handed back.
  const auto claim = db.claim_run(run);
  CHECK(claim.run_it);
  CHECK(claim.reason == store::ClaimReason::planned);
  CHECK_FALSE(claim.checkpoint);
  CHECK(db.run("r1")->attempts == 2);
}

TEST_CASE("reset_run leaves a running run and an unknown one alone", "[store][reset]") {
  const auto file = test::scratch_dir("store_reset_running") / "recrl.db";
  auto db = store::ResultStore::open(file, test::store_options());
  db.record_experiment(test::experiment_record("demo"));
  const auto run = run_info("demo", "r1");
  REQUIRE(db.claim_run(run).run_it);
  db.add_curve_points("r1", test::curve_of(3));

  CHECK_FALSE(db.reset_run("r1"));
  CHECK(db.run("r1")->status == store::RunStatus::running);
  CHECK(db.curve("r1").size() == 3);
  CHECK_FALSE(db.reset_run("nope"));

  // A failed run is reset as well, with its error cleared.
  db.fail_run("r1", "interrupted");
  REQUIRE(db.reset_run("r1"));
  CHECK(db.run("r1")->status == store::RunStatus::pending);
  CHECK(db.run("r1")->error.empty());
  CHECK(db.curve("r1").empty());
}

TEST_CASE("reset_run and claim_run in one batch leave no moment the run is free",
          "[store][reset]") {
  const auto file = test::scratch_dir("store_reset_batch") / "recrl.db";
  auto db = store::ResultStore::open(file, test::store_options());
  db.record_experiment(test::experiment_record("demo"));
  const auto run = run_info("demo", "r1");
  test::record_finished_run(db, run, 4);
  {
    auto batch = db.begin_batch();
    db.reset_run("r1");
    REQUIRE(db.claim_run(run).run_it);
    batch.commit();
  }
  CHECK(db.run("r1")->status == store::RunStatus::running);
  CHECK(db.curve("r1").empty());
}
