#include <catch2/catch.hpp>

#include "recrl/store/run_metrics.hpp"
#include "store_test_support.hpp"

using namespace recrl;
using recrl::test::run_info;

TEST_CASE("opening a new store creates its folders and schema and reopening keeps the data",
          "[store]") {
  const auto dir = test::scratch_dir("store_create");
  const auto file = dir / "results" / "nested" / "recrl.db";
  {
    auto db = store::ResultStore::open(file, test::store_options());
    CHECK(db.path() == file);
    db.record_experiment(test::experiment_record("demo"));
  }
  REQUIRE(std::filesystem::exists(file));
  auto db = store::ResultStore::open(file, test::store_options());
  const auto experiments = db.experiments();
  REQUIRE(experiments.size() == 1);
  CHECK(experiments[0].experiment.name == "demo");
  CHECK(experiments[0].experiment.file == "experiments/demo.yaml");
  CHECK(experiments[0].experiment.created_at > 0);
  CHECK(db.integrity_problems().empty());
}

TEST_CASE("a run with its curve metrics and action counts reads back as written", "[store]") {
  const auto dir = test::scratch_dir("store_round_trip");
  auto db = store::ResultStore::open(dir / "recrl.db", test::store_options());
  db.record_experiment(test::experiment_record("demo"));
  db.record_variant({"demo", "lr=3e-4", R"({"algorithms.0.params.learning_rate":0.0003})"});
  auto info = run_info("demo", "a1b2c3", 0xFFFFFFFFFFFFFFF0ULL);
  info.variant = "lr=3e-4";

  const store::Claim claim = db.claim_run(info);
  CHECK(claim.run_it);
  CHECK(claim.reason == store::ClaimReason::new_run);
  db.add_curve_points(info.run_id, test::curve_of(3));
  db.add_curve_point(info.run_id, {1000, 0.5, 0.1, 4, 0.25, 9.0});  // replaces the first point
  CHECK(db.finish_run(info.run_id, test::finished_of(0.75)));

  const auto record = db.run(info.run_id);
  REQUIRE(record);
  CHECK(record->status == store::RunStatus::finished);
  CHECK(record->info.seed == 0xFFFFFFFFFFFFFFF0ULL);
  CHECK(record->info.variant == "lr=3e-4");
  CHECK(record->info.plugin_version == "1.2.0");
  CHECK(record->info.reward_plugin == "seed_rules");
  CHECK(record->info.resolved_yaml == info.resolved_yaml);
  CHECK(record->recrl_version == "0.1.0");
  CHECK(record->pid == static_cast<std::int64_t>(getpid()));
  CHECK(record->attempts == 1);
  REQUIRE(record->started_at);
  REQUIRE(record->finished_at);
  CHECK(*record->finished_at >= *record->started_at);
  CHECK(db.policy_path(info.run_id) == "results/demo/runs/x/policy.recrl");

  const auto curve = db.curve(info.run_id);
  REQUIRE(curve.size() == 3);
  CHECK(curve[0].env_steps == 1000);
  CHECK(curve[0].eval_mean == Approx(0.5));
  CHECK(curve[0].train_return_mean == Approx(0.25));
  CHECK(curve[0].wall_s == Approx(9.0));
  CHECK(curve[1].train_return_mean == Approx(0.2));
  CHECK_FALSE(curve[2].train_return_mean.has_value());

  const auto metrics = db.metrics(info.run_id);
  CHECK(metrics.size() == 7);
  CHECK(metrics.at("eval_mean") == Approx(0.75));
  CHECK(metrics.at("pct_oracle") == Approx(80.5));
  CHECK(db.metrics_by_run("demo").at(info.run_id).at("steps_per_s") == Approx(50000));

  const auto counts = db.action_counts(info.run_id);
  REQUIRE(counts.size() == 2);
  CHECK(counts[1].label == "reminder email");
  CHECK(counts[1].count == 30);

  const auto variants = db.variants("demo");
  REQUIRE(variants.size() == 1);
  CHECK(variants[0].assignments_json == R"({"algorithms.0.params.learning_rate":0.0003})");
}

TEST_CASE("runs are listed by experiment with their status and summed per experiment", "[store]") {
  const auto dir = test::scratch_dir("store_listing");
  auto db = store::ResultStore::open(dir / "recrl.db", test::store_options());
  db.record_experiment(test::experiment_record("alpha"));
  db.record_experiment(test::experiment_record("beta"));
  test::record_finished_run(db, run_info("alpha", "alpha-1", 1));
  test::record_finished_run(db, run_info("alpha", "alpha-0", 0));
  db.plan_run(run_info("alpha", "alpha-2", 2));
  db.claim_run(run_info("beta", "beta-0", 0));
  db.fail_run("beta-0", "ppo: loss is NaN at update 3");

  const auto alpha = db.runs("alpha");
  REQUIRE(alpha.size() == 3);
  CHECK(alpha[0].info.run_id == "alpha-0");  // ordered by seed
  CHECK(alpha[2].status == store::RunStatus::pending);
  CHECK(db.runs().size() == 4);
  const auto beta = db.run("beta-0");
  REQUIRE(beta);
  CHECK(beta->status == store::RunStatus::failed);
  CHECK(beta->error == "ppo: loss is NaN at update 3");

  const auto experiments = db.experiments();
  REQUIRE(experiments.size() == 2);
  CHECK(experiments[0].finished == 2);
  CHECK(experiments[0].pending == 1);
  CHECK(experiments[1].failed == 1);
  CHECK(db.metrics_by_run("alpha").size() == 2);
}

TEST_CASE("a run is found by a unique prefix of its id and an unknown one is refused", "[store]") {
  const auto dir = test::scratch_dir("store_find_run");
  auto db = store::ResultStore::open(dir / "recrl.db", test::store_options());
  db.record_experiment(test::experiment_record("demo"));
  test::record_finished_run(db, run_info("demo", "3f9a01"));
  test::record_finished_run(db, run_info("demo", "3f9b77"));
  CHECK(db.find_run("3f9a").info.run_id == "3f9a01");
  CHECK(db.find_run("3f9b77").info.run_id == "3f9b77");
  CHECK_THROWS_WITH(db.find_run("3f9"),
                    Catch::Contains("3f9 starts several run ids (3f9a01, 3f9b77)"));
  CHECK_THROWS_WITH(db.find_run("zz"), Catch::Contains("no run zz"));
  CHECK_THROWS_AS(db.find_run("zz"), store::StoreError);
  db.claim_run(run_info("demo", "unfinished"));
  CHECK_THROWS_WITH(db.policy_path("unfinished"),
                    Catch::Contains("run unfinished has no policy (it is running)"));
}

TEST_CASE("a finished run keeps its first result when finished again", "[store]") {
  const auto dir = test::scratch_dir("store_finish_twice");
  auto db = store::ResultStore::open(dir / "recrl.db", test::store_options());
  db.record_experiment(test::experiment_record("demo"));
  test::record_finished_run(db, run_info("demo", "r1"), 5, 0.5);
  CHECK_FALSE(db.finish_run("r1", test::finished_of(0.9)));
  CHECK(db.metrics("r1").at("eval_mean") == Approx(0.5));
}

TEST_CASE("final metrics of a run result use the agreed names", "[store]") {
  RunResult run;
  run.eval_mean = 0.6;
  run.pct_oracle = 73.0;
  run.env_steps = 5000;
  run.steps_per_s = 1234;
  run.policy = "p.recrl";
  run.action_counts = {5, 7};
  const auto finished = store::finished_run_of(run, {"discount email"});
  CHECK(finished.metrics.at("eval_mean") == Approx(0.6));
  CHECK(finished.metrics.at("pct_oracle") == Approx(73.0));
  CHECK(finished.metrics.at("env_steps") == Approx(5000));
  CHECK(finished.metrics.count("train_s") == 1);
  REQUIRE(finished.action_counts.size() == 2);
  CHECK(finished.action_counts[0].label == "discount email");
  CHECK(finished.action_counts[1].label.empty());
  CHECK(finished.action_counts[1].count == 7);
  run.pct_oracle.reset();
  CHECK(store::finished_run_of(run, {}).metrics.count("pct_oracle") == 0);
}

TEST_CASE("a run result read back from its stored metrics is the result recorded", "[store]") {
  RunResult run;
  run.eval_mean = 0.6;
  run.eval_std = 0.2;
  run.pct_oracle = 73.0;
  run.env_steps = 5000;
  run.wall_s = 3;
  run.train_s = 2.5;
  run.steps_per_s = 2000;
  run.env_s = 0.5;
  run.act_s = 0.25;
  run.update_s = 1.75;
  run.eval_s = 0.5;
  run.update_flops = 1e9;
  run.action_counts = {5, 0, 7};
  run.reward_components = {{"targeting", 0.5}, {"channel", 0.1}};
  const auto finished = store::finished_run_of(run, {"a", "b", "c"});
  store::RunRecord record;
  record.info = run_info("demo", "r1", 3);
  record.policy = "p.recrl";
  const RunResult back = store::run_result_of(record, finished.metrics, finished.action_counts,
                                              finished.reward_components);
  CHECK(back.run_id == "r1");
  CHECK(back.seed == 3);
  CHECK(back.eval_mean == run.eval_mean);
  CHECK(back.eval_std == run.eval_std);
  CHECK(back.pct_oracle == run.pct_oracle);
  CHECK(back.env_steps == run.env_steps);
  CHECK(back.train_s == run.train_s);
  CHECK(back.steps_per_s == run.steps_per_s);
  CHECK(back.update_s == run.update_s);
  CHECK(back.update_flops == run.update_flops);
  CHECK(back.action_counts == run.action_counts);
  REQUIRE(back.reward_components.size() == 2);
  CHECK(back.reward_components[1].name == "channel");
  CHECK(back.reward_components[1].mean == 0.1);
  CHECK(back.policy == "p.recrl");
}

TEST_CASE("reward components are stored in the reward's order, reset and merged with the run",
          "[store]") {
  const auto dir = test::scratch_dir("store_components");
  auto db = store::ResultStore::open(dir / "recrl.db", test::store_options());
  db.record_experiment(test::experiment_record("demo"));
  test::record_finished_run(db, run_info("demo", "r1"), 2, 0.8);
  auto components = db.reward_components("r1");
  REQUIRE(components.size() == 2);
  CHECK(components[0].name == "targeting");  // declared first, though it sorts after channel
  CHECK(components[0].mean == 0.4);
  CHECK(db.reward_components_by_run("demo").at("r1")[1].name == "channel");
  REQUIRE(db.reset_run("r1"));
  CHECK(db.reward_components("r1").empty());

  auto other = store::ResultStore::open(dir / "other.db", test::store_options());
  other.record_experiment(test::experiment_record("demo"));
  test::record_finished_run(other, run_info("demo", "r2"), 2, 0.6);
  db.merge(dir / "other.db");
  components = db.reward_components("r2");
  REQUIRE(components.size() == 2);
  CHECK(components[0].mean == Approx(0.3));
}

TEST_CASE("a schema-1 store is read as it is and upgraded when opened to write", "[store]") {
  const auto dir = test::scratch_dir("store_schema1");
  const auto file = dir / "recrl.db";
  {
    auto db = store::ResultStore::open(file, test::store_options());
    db.record_experiment(test::experiment_record("demo"));
    test::record_finished_run(db, run_info("demo", "r1"));
  }
  // What recrl wrote before reward components (and off-policy evaluations) were recorded.
  test::execute_sql(file,
                    "DROP TABLE reward_components; DROP TABLE ope_estimates; "
                    "DROP TABLE ope_evaluations;"
                    "UPDATE meta SET value = '1' WHERE key = 'schema_version';");
  {
    store::StoreOptions read_only = test::store_options();
    read_only.read_only = true;
    const auto db = store::ResultStore::open(file, read_only);
    CHECK(db.runs().size() == 1);
    CHECK(db.reward_components("r1").empty());
    CHECK(db.reward_components_by_run("demo").empty());
  }
  auto db = store::ResultStore::open(file, test::store_options());
  test::record_finished_run(db, run_info("demo", "r2"));
  CHECK(db.reward_components("r2").size() == 2);
  CHECK(db.integrity_problems().empty());
}

TEST_CASE("a read-only store answers queries and refuses writes", "[store]") {
  const auto dir = test::scratch_dir("store_read_only");
  {
    auto db = store::ResultStore::open(dir / "recrl.db", test::store_options());
    db.record_experiment(test::experiment_record("demo"));
    test::record_finished_run(db, run_info("demo", "r1"));
  }
  auto options = test::store_options();
  options.read_only = true;
  auto db = store::ResultStore::open(dir / "recrl.db", options);
  CHECK(db.runs().size() == 1);
  CHECK_THROWS_WITH(db.record_experiment(test::experiment_record("other")),
                    Catch::Contains("the store was opened read-only"));
  CHECK_THROWS_WITH(store::ResultStore::open(dir / "missing.db", options),
                    Catch::Contains("missing.db: no such result store"));
  CHECK_FALSE(std::filesystem::exists(dir / "missing.db"));
}

TEST_CASE("a batch commits its writes together or not at all", "[store]") {
  const auto dir = test::scratch_dir("store_batch");
  auto db = store::ResultStore::open(dir / "recrl.db", test::store_options());
  db.record_experiment(test::experiment_record("demo"));
  {
    auto batch = db.begin_batch();
    test::record_finished_run(db, run_info("demo", "kept"));
    batch.commit();
  }
  {
    auto batch = db.begin_batch();
    test::record_finished_run(db, run_info("demo", "dropped"));
  }  // destroyed without commit
  CHECK(db.run("kept"));
  CHECK_FALSE(db.run("dropped"));
  CHECK(db.curve("dropped").empty());
}

TEST_CASE("500 runs with 100 point curves recorded in one batch are all kept", "[store]") {
  // How fast this is: bench/platform_bench.cpp (BM_StoreRecordRun), not a timed assertion.
  const auto dir = test::scratch_dir("store_batch_many");
  auto db = store::ResultStore::open(dir / "recrl.db", test::store_options());
  db.record_experiment(test::experiment_record("demo"));
  const auto curve = test::curve_of(100);
  const auto finished = test::finished_of(0.5);
  constexpr int kRuns = 500;
  {
    auto batch = db.begin_batch();
    for (int i = 0; i < kRuns; ++i) {
      const auto info = run_info("demo", "run-" + std::to_string(i), static_cast<std::uint64_t>(i));
      db.claim_run(info);
      db.add_curve_points(info.run_id, curve);
      db.finish_run(info.run_id, finished);
    }
    batch.commit();
  }
  CHECK(db.curve("run-0").size() == 100);
  CHECK(db.curve("run-499").size() == 100);
  REQUIRE(db.run("run-250"));
}
