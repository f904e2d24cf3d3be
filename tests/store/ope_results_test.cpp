// Off-policy evaluations in the result store: recorded, replaced, read back, carried by merge
// and by the upgrade of an older store, and shown by the comparison.
#include <catch2/catch.hpp>

#include "recrl/store/comparison_table.hpp"
#include "store_test_support.hpp"

using namespace recrl;

namespace {

store::OpeRecord evaluation(const std::string& id, const std::string& label, double dr) {
  store::OpeRecord e;
  e.evaluation_id = id;
  e.experiment = "demo";
  e.label = label;
  e.target = "/policies/" + label + ".recrl";
  e.log = "/logs/log.csv";
  e.log_format = "recrl";
  e.rows = 1000;
  e.settings = "estimators=ipw,dr";
  e.confidence = 0.9;
  e.effective_sample_size = 123.5;
  e.max_weight = 10;
  e.mean_weight = 0.98;
  e.zero_target_share = 0.5;
  e.true_value = 0.75;
  e.estimates = {{"ipw", 0.7, 0.6, 0.8}, {"dr", dr, std::nullopt, std::nullopt}};
  return e;
}

}  // namespace

TEST_CASE("an off-policy evaluation is recorded, replaced and read back", "[store][ope]") {
  const auto dir = test::scratch_dir("store_ope");
  auto db = store::ResultStore::open(dir / "recrl.db", test::store_options());
  db.record_experiment(test::experiment_record("demo"));
  test::record_finished_run(db, test::run_info("demo", "r1"));
  auto first = evaluation("e1", "ppo", 0.72);
  first.run_id = "r1";
  db.record_ope(first);
  db.record_ope(evaluation("e2", "a2c", 0.71));
  db.record_ope(evaluation("e1", "ppo", 0.73));  // the same evaluation again: replaced

  const auto all = db.ope_results();
  REQUIRE(all.size() == 2);
  CHECK(all[0].label == "a2c");  // by experiment, then label
  const store::OpeRecord& ppo = all[1];
  CHECK(ppo.evaluation_id == "e1");
  CHECK_FALSE(ppo.run_id);  // replaced by the record without a run
  CHECK(ppo.rows == 1000);
  CHECK(ppo.confidence == 0.9);
  CHECK(ppo.effective_sample_size == 123.5);
  CHECK(ppo.true_value == 0.75);
  CHECK(ppo.recorded_at > 0);
  REQUIRE(ppo.estimates.size() == 2);
  CHECK(ppo.estimates[0].estimator == "ipw");
  CHECK(ppo.estimates[0].ci_low == 0.6);
  CHECK(ppo.estimates[1].value == 0.73);
  CHECK_FALSE(ppo.estimates[1].ci_high);
  CHECK(db.ope_results(std::string("other")).empty());
  CHECK(db.integrity_problems().empty());
}

TEST_CASE("the comparison shows an experiment's evaluations beside the run they judged",
          "[store][ope]") {
  const auto dir = test::scratch_dir("store_ope_comparison");
  auto db = store::ResultStore::open(dir / "recrl.db", test::store_options());
  db.record_experiment(test::experiment_record("demo"));
  test::record_finished_run(db, test::run_info("demo", "r1"));
  auto judged = evaluation("e1", "ppo", 0.72);
  judged.run_id = "r1";
  db.record_ope(judged);
  auto outside = evaluation("e2", "bts", 0.7);
  outside.experiment = "campaign";  // an experiment with evaluations only
  db.record_ope(outside);

  const auto demo = store::build_comparison(db, {"demo"});
  REQUIRE(demo.off_policy.size() == 1);
  REQUIRE(demo.off_policy[0].simulated);
  CHECK(*demo.off_policy[0].simulated == db.metrics("r1").at("eval_mean"));
  const auto campaign = store::build_comparison(db, {"campaign"});
  CHECK(campaign.rows.empty());
  REQUIRE(campaign.off_policy.size() == 1);
  CHECK_FALSE(campaign.off_policy[0].simulated);
  CHECK(store::build_comparison(db, {}).off_policy.size() == 2);
}

TEST_CASE("merge brings evaluations once; a schema-2 store gains their tables", "[store][ope]") {
  const auto dir = test::scratch_dir("store_ope_merge");
  {
    auto shard = store::ResultStore::open(dir / "shard.db", test::store_options());
    shard.record_ope(evaluation("e1", "ppo", 0.72));
  }
  { store::ResultStore::open(dir / "old.db", test::store_options()); }
  test::execute_sql(dir / "old.db",
                    "DROP TABLE ope_estimates; DROP TABLE ope_evaluations;"
                    "UPDATE meta SET value = '2' WHERE key = 'schema_version';");
  {
    auto read_only = test::store_options();
    read_only.read_only = true;
    CHECK(store::ResultStore::open(dir / "old.db", read_only).ope_results().empty());
  }
  auto db = store::ResultStore::open(dir / "old.db", test::store_options());
  CHECK(db.merge(dir / "shard.db").evaluations_added == 1);
  CHECK(db.merge(dir / "shard.db").evaluations_added == 0);
  const auto merged = db.ope_results();
  REQUIRE(merged.size() == 1);
  CHECK(merged[0].estimates.size() == 2);
  CHECK(db.integrity_problems().empty());
}
