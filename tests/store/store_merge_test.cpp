#include <catch2/catch.hpp>

#include "store_test_support.hpp"

using namespace recrl;
using recrl::test::run_info;

namespace {

// Counts every row the store holds, table by table, as one comparable value.
struct Contents {
  std::size_t experiments = 0, variants = 0, runs = 0, curve_points = 0, metrics = 0;
  bool operator==(const Contents&) const = default;
};

Contents contents_of(store::ResultStore& db) {
  Contents c;
  for (const auto& e : db.experiments()) {
    ++c.experiments;
    c.variants += db.variants(e.experiment.name).size();
  }
  for (const auto& r : db.runs()) {
    ++c.runs;
    c.curve_points += db.curve(r.info.run_id).size();
    c.metrics += db.metrics(r.info.run_id).size();
  }
  return c;
}

}  // namespace

TEST_CASE("merging shard stores brings every finished run once and again changes nothing",
          "[store][merge]") {
  const auto dir = test::scratch_dir("store_merge");
  const auto into = dir / "recrl.db";
  const auto shard = dir / "shard-1-of-2.db";
  {
    auto db = store::ResultStore::open(into, test::store_options());
    db.record_experiment(test::experiment_record("demo"));
    db.record_variant({"demo", "base", "{}"});
    test::record_finished_run(db, run_info("demo", "both-finished", 0), 10, 0.25);
    db.claim_run(run_info("demo", "unfinished-here", 1));
    db.add_curve_points("unfinished-here", test::curve_of(2));
  }
  {
    auto db = store::ResultStore::open(shard, test::store_options());
    db.record_experiment(test::experiment_record("demo"));
    db.record_variant({"demo", "base", "{}"});
    db.record_variant({"demo", "lr=1e-3", R"({"lr":0.001})"});
    db.record_experiment(test::experiment_record("other"));
    auto later = run_info("demo", "both-finished", 0);
    test::record_finished_run(db, later, 10, 0.75);  // finished later than the one in `into`
    test::record_finished_run(db, run_info("demo", "unfinished-here", 1), 10, 0.5);
    test::record_finished_run(db, run_info("other", "new-run", 2), 4, 0.5);
    db.claim_run(run_info("other", "running-in-shard", 3));
  }

  auto db = store::ResultStore::open(into, test::store_options());
  const store::MergeSummary summary = db.merge(shard);
  CHECK(summary.experiments_added == 1);
  CHECK(summary.variants_added == 1);
  CHECK(summary.runs_added == 1);
  CHECK(summary.runs_replaced == 2);
  CHECK(summary.runs_kept == 0);

  CHECK(db.runs().size() == 3);  // the shard's running run is not copied
  CHECK_FALSE(db.run("running-in-shard"));
  CHECK(db.run("unfinished-here")->status == store::RunStatus::finished);
  CHECK(db.curve("unfinished-here").size() == 10);  // the shard's curve, not both
  CHECK(db.metrics("both-finished").at("eval_mean") == Approx(0.75));
  CHECK(db.curve("new-run").size() == 4);
  CHECK(db.integrity_problems().empty());

  const Contents once = contents_of(db);
  const store::MergeSummary again = db.merge(shard);
  CHECK(again.experiments_added == 0);
  CHECK(again.variants_added == 0);
  CHECK(again.runs_added == 0);
  CHECK(again.runs_replaced == 0);
  CHECK(again.runs_kept == 3);
  CHECK(contents_of(db) == once);
}

TEST_CASE("merging a store into itself or from a bad file is refused", "[store][merge]") {
  const auto dir = test::scratch_dir("store_merge_bad");
  auto db = store::ResultStore::open(dir / "recrl.db", test::store_options());
  CHECK_THROWS_WITH(db.merge(dir / "recrl.db"),
                    Catch::Contains("cannot merge a store into itself"));
  CHECK_THROWS_WITH(db.merge(dir / "missing.db"),
                    Catch::Contains("missing.db: no such result store"));
  std::ofstream(dir / "junk.db") << std::string(2048, 'j');
  CHECK_THROWS_WITH(db.merge(dir / "junk.db"),
                    Catch::Contains("junk.db: could not open the store"));
}
