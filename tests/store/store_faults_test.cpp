#include <fstream>

#include <catch2/catch.hpp>

#include "store_test_support.hpp"

using namespace recrl;
using recrl::test::run_info;

TEST_CASE("a store written by a newer schema is refused with an upgrade hint", "[store][faults]") {
  const auto file = test::scratch_dir("store_newer") / "recrl.db";
  store::ResultStore::open(file, test::store_options());
  test::execute_sql(file,
                    "UPDATE meta SET value = '4' WHERE key = 'schema_version';"
                    "UPDATE meta SET value = '0.3' WHERE key = 'recrl_version';");
  CHECK_THROWS_WITH(store::ResultStore::open(file, test::store_options()),
                    "error: " + file.string() +
                        " was written by recrl 0.3 (store schema 4); this recrl reads schema 3: "
                        "upgrade recrl");
}

TEST_CASE("a file that is not a database is refused and left as it was", "[store][faults]") {
  const auto file = test::scratch_dir("store_corrupt") / "recrl.db";
  const std::string junk(4096, 'x');
  std::ofstream(file) << junk;
  CHECK_THROWS_AS(store::ResultStore::open(file, test::store_options()), store::StoreError);
  CHECK_THROWS_WITH(store::ResultStore::open(file, test::store_options()),
                    "error: " + file.string() +
                        ": could not open the store: the file is not a SQLite database, or a "
                        "corrupt one");
  CHECK(test::read_text(file) == junk);
}

TEST_CASE("a SQLite database of something else is not taken for a store", "[store][faults]") {
  const auto file = test::scratch_dir("store_foreign") / "recrl.db";
  test::execute_sql(file, "CREATE TABLE customers (id INTEGER PRIMARY KEY)");
  CHECK_THROWS_WITH(store::ResultStore::open(file, test::store_options()),
                    Catch::Contains("a SQLite database but not a recrl result store"));
}

TEST_CASE("a store locked beyond the busy timeout gives a clear error", "[store][faults]") {
  const auto file = test::scratch_dir("store_locked") / "recrl.db";
  auto holder = store::ResultStore::open(file, test::store_options());
  holder.record_experiment(test::experiment_record("demo"));
  auto options = test::store_options();
  options.busy_timeout = std::chrono::milliseconds(100);
  auto waiter = store::ResultStore::open(file, options);
  {
    auto batch = holder.begin_batch();
    holder.claim_run(run_info("demo", "r1"));
    CHECK_THROWS_WITH(waiter.claim_run(run_info("demo", "r2")),
                      "error: " + file.string() +
                          ": could not claim run r2: the store is locked by another process and "
                          "stayed locked for longer than the busy timeout (100 ms)");
    CHECK(waiter.runs().empty());  // readers are not blocked by a writer
    batch.commit();
  }
  CHECK(waiter.claim_run(run_info("demo", "r2")).run_it);
}

TEST_CASE("a write that fills the disk rolls back and says so", "[store][faults]") {
  const auto file = test::scratch_dir("store_full") / "recrl.db";
  {
    auto db = store::ResultStore::open(file, test::store_options());
    db.record_experiment(test::experiment_record("demo"));
    db.claim_run(run_info("demo", "r1"));
  }
  // A limit at the current size: any write that needs a new page fails as on a full disk.
  auto options = test::store_options();
  options.size_limit_bytes = static_cast<std::int64_t>(std::filesystem::file_size(file));
  store::FinishedRun big = test::finished_of(0.5);
  for (int i = 0; i < 5000; ++i) big.metrics.emplace("extra_metric_" + std::to_string(i), i);
  {
    auto db = store::ResultStore::open(file, options);
    CHECK_THROWS_WITH(db.finish_run("r1", big),
                      "error: " + file.string() +
                          ": could not record the end of run r1: the disk is full (or the store "
                          "reached its size limit); the write was rolled back, nothing of it was "
                          "stored");
    // The connection is still usable after the failure.
    CHECK(db.run("r1")->status == store::RunStatus::running);
  }
  auto db = store::ResultStore::open(file, test::store_options());
  CHECK(db.run("r1")->status == store::RunStatus::running);
  CHECK(db.metrics("r1").empty());
  CHECK(db.action_counts("r1").empty());
  CHECK(db.integrity_problems().empty());
  CHECK(db.finish_run("r1", test::finished_of(0.5)));
}

TEST_CASE("a failed write inside a batch rolls back the whole batch", "[store][faults]") {
  const auto file = test::scratch_dir("store_full_batch") / "recrl.db";
  {
    auto db = store::ResultStore::open(file, test::store_options());
    db.record_experiment(test::experiment_record("demo"));
  }
  auto options = test::store_options();
  options.size_limit_bytes = static_cast<std::int64_t>(std::filesystem::file_size(file)) + 8192;
  {
    auto db = store::ResultStore::open(file, options);
    auto batch = db.begin_batch();
    CHECK_THROWS_WITH(
        [&] {
          for (int i = 0; i < 1000; ++i)
            test::record_finished_run(db, run_info("demo", "r" + std::to_string(i)), 50);
        }(),
        Catch::Contains("the disk is full"));
    // Writing on, or committing, after a failed write is refused, not half done.
    CHECK_THROWS_WITH(db.plan_run(run_info("demo", "later")),
                      Catch::Contains("an earlier write in the same batch failed"));
    CHECK_THROWS_WITH(batch.commit(), Catch::Contains("an earlier write in the same batch failed"));
  }
  auto db = store::ResultStore::open(file, test::store_options());
  CHECK(db.runs().empty());
  CHECK(db.integrity_problems().empty());
}

TEST_CASE("a NaN metric is refused before anything is written", "[store][faults]") {
  const auto file = test::scratch_dir("store_nan") / "recrl.db";
  auto db = store::ResultStore::open(file, test::store_options());
  db.record_experiment(test::experiment_record("demo"));
  db.claim_run(run_info("demo", "r1"));
  auto finished = test::finished_of(0.5);
  finished.metrics["eval_mean"] = std::nan("");
  CHECK_THROWS_WITH(db.finish_run("r1", finished),
                    Catch::Contains("metric eval_mean of run r1 is NaN; it is not stored"));
  CHECK(db.run("r1")->status == store::RunStatus::running);
}

TEST_CASE("a run of an experiment the store does not know is refused", "[store][faults]") {
  const auto file = test::scratch_dir("store_no_experiment") / "recrl.db";
  auto db = store::ResultStore::open(file, test::store_options());
  CHECK_THROWS_WITH(db.claim_run(run_info("ghost", "r1")),
                    Catch::Contains("could not claim run r1: FOREIGN KEY constraint failed"));
  CHECK_THROWS_WITH(db.add_curve_point("nope", {}), Catch::Contains("no run nope"));
}
