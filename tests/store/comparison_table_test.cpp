// The comparison table of `recrl compare`, on a store filled through the API with numbers that
// can be checked by hand.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "recrl/core/errors.hpp"
#include "recrl/report/comparison_format.hpp"
#include "recrl/store/comparison_table.hpp"
#include "store_test_support.hpp"

using namespace recrl;

namespace {

// Scores with distinct mean, median and IQM: sorted 1 2 3 4 6 8 9 20.
//   mean = 53 / 8 = 6.625; median = (4 + 6) / 2 = 5; IQM drops floor(8 / 4) = 2 from each end
//   and averages 3 4 6 8 = 5.25; sample std = sqrt(259.875 / 7) = 6.09303...
const std::vector<double> kFirst = {4, 20, 1, 9, 3, 6, 2, 8};
// Interleaved with kFirst: no telling the two apart.
const std::vector<double> kOverlapping = {1.5, 2.5, 3.5, 4.5, 5.5, 7, 8.5, 19};
// Far above both.
const std::vector<double> kSeparated = {100, 101, 102, 103, 104, 105, 106, 107};

// Records one finished run per value, seeds 0, 1, ..., with eval_mean = the value (and, when
// `with_oracle`, pct_oracle = 10 x the value).
void record_runs(store::ResultStore& db, const std::string& experiment,
                 const std::string& algorithm, const std::vector<double>& values,
                 bool with_oracle = true) {
  db.record_experiment(test::experiment_record(experiment));
  for (std::size_t seed = 0; seed < values.size(); ++seed) {
    store::RunInfo run = test::run_info(
        experiment, experiment + "-" + algorithm + "-" + std::to_string(seed), seed, algorithm);
    run.variant = "";
    REQUIRE(db.claim_run(run).run_it);
    store::FinishedRun finished;
    finished.metrics = {{"eval_mean", values[seed]}, {"env_steps", 1000}, {"wall_s", 1.5}};
    if (with_oracle) finished.metrics["pct_oracle"] = 10 * values[seed];
    finished.policy = "policy.recrl";
    REQUIRE(db.finish_run(run.run_id, finished));
  }
}

store::ResultStore demo_store(const std::string& name) {
  store::ResultStore db =
      store::ResultStore::open(test::scratch_dir(name) / "recrl.db", test::store_options());
  record_runs(db, "demo", "first", kFirst);
  record_runs(db, "demo", "overlapping", kOverlapping);
  record_runs(db, "demo", "separated", kSeparated);
  return db;
}

const store::ComparisonRow& row_of(const store::ComparisonTable& table,
                                   const std::string& experiment, const std::string& algorithm) {
  for (const store::ComparisonRow& row : table.rows) {
    if (row.experiment == experiment && row.algorithm == algorithm) return row;
  }
  FAIL("no row " << experiment << " " << algorithm);
  throw std::logic_error("unreachable");
}

std::string pair_lines(const store::ComparisonTable& table) {
  std::string lines;
  for (const store::ComparisonPair& pair : table.pairs) lines += pair.str() + "\n";
  return lines;
}

}  // namespace

TEST_CASE("a comparison row has the hand-computed mean median IQM and std with intervals",
          "[store][compare]") {
  const store::ResultStore db = demo_store("compare_row");
  const store::ComparisonTable table = store::build_comparison(db, {"demo"});
  REQUIRE(table.rows.size() == 3);
  const store::ComparisonRow& row = row_of(table, "demo", "first");
  CHECK(row.values.size() == 8);
  CHECK(row.mean == Approx(6.625).margin(1e-12));
  CHECK(row.median == Approx(5.0).margin(1e-12));
  CHECK(row.iqm.estimate == Approx(5.25).margin(1e-12));
  REQUIRE(row.std.has_value());
  CHECK(*row.std == Approx(6.0930).margin(1e-4));
  REQUIRE(row.iqm.has_bounds());
  CHECK(row.iqm.bounds->lower <= 5.25);
  CHECK(row.iqm.bounds->upper >= 5.25);
  CHECK(row.iqm.bounds->lower < row.iqm.bounds->upper);
  REQUIRE(row.mean_interval.has_bounds());
  CHECK(row.mean_interval.estimate == Approx(6.625).margin(1e-12));
  CHECK(row.mean_interval.bounds->lower >= 1.0);
  CHECK(row.mean_interval.bounds->upper <= 20.0);
}

TEST_CASE("the comparison says plainly which rows are not distinguishable", "[store][compare]") {
  const store::ResultStore db = demo_store("compare_verdicts");
  const store::ComparisonTable table = store::build_comparison(db, {"demo"});
  const std::string lines = pair_lines(table);
  CHECK(table.pairs.size() == 3);
  CHECK_THAT(lines, Catch::Contains("demo: first ~ overlapping: not distinguishable at 95%"));
  CHECK_THAT(lines, Catch::Contains("demo: separated > first (P = 1.00 [1.00, 1.00])"));
  CHECK_THAT(lines, Catch::Contains("demo: separated > overlapping (P = 1.00"));
  CHECK_THAT(lines,
             !Catch::Contains("separated: not distinguishable") && !Catch::Contains("separated ~"));
  // The text table carries the same verdicts.
  const std::string text = store::format_comparison(table, store::ComparisonFormat::table);
  CHECK_THAT(text, Catch::Contains("first ~ overlapping: not distinguishable at 95%"));
}

TEST_CASE("the same algorithm in two experiments is compared across them", "[store][compare]") {
  store::ResultStore db = demo_store("compare_across");
  record_runs(db, "demo-last-week", "first", kOverlapping);
  record_runs(db, "demo-last-week", "separated", kFirst);
  const store::ComparisonTable table = store::build_comparison(db, {"demo-last-week", "demo"});
  REQUIRE(table.rows.size() == 5);
  CHECK(table.rows.front().experiment == "demo-last-week");  // in the order given
  const std::string lines = pair_lines(table);
  CHECK_THAT(lines, Catch::Contains(
                        "first in demo-last-week ~ first in demo: not distinguishable at 95%"));
  CHECK_THAT(lines, Catch::Contains("separated in demo > separated in demo-last-week (P = 1.00"));
  // Different algorithms in different experiments are not paired.
  CHECK_THAT(lines, !Catch::Contains("overlapping in"));

  // Without names, every experiment of the store, in the order they were recorded.
  const store::ComparisonTable all = store::build_comparison(db, {});
  CHECK(all.rows.size() == 5);
  CHECK(all.rows.front().experiment == "demo");
}

TEST_CASE("the comparison table is the same every time and follows the confidence",
          "[store][compare]") {
  const store::ResultStore db = demo_store("compare_reproducible");
  const auto text = [&](double confidence) {
    store::ComparisonOptions options;
    options.bootstrap.confidence = confidence;
    return store::format_comparison(store::build_comparison(db, {"demo"}, options),
                                    store::ComparisonFormat::json);
  };
  CHECK(text(0.95) == text(0.95));
  CHECK(text(0.9) != text(0.95));
  const auto doc = nlohmann::json::parse(text(0.9));
  CHECK(doc["confidence"] == 0.9);
  CHECK_THAT(pair_lines(store::build_comparison(db, {"demo"},
                                                [] {
                                                  store::ComparisonOptions o;
                                                  o.bootstrap.confidence = 0.9;
                                                  return o;
                                                }())),
             Catch::Contains("not distinguishable at 90%"));
}

TEST_CASE("pct_oracle rows leave out groups without an oracle and say so", "[store][compare]") {
  store::ResultStore db = demo_store("compare_oracle");
  record_runs(db, "no-oracle", "first", kFirst, false);
  store::ComparisonOptions options;
  options.metric = "pct_oracle";
  const store::ComparisonTable table = store::build_comparison(db, {"demo", "no-oracle"}, options);
  CHECK(table.rows.size() == 3);
  CHECK(row_of(table, "demo", "first").mean == Approx(66.25).margin(1e-9));
  REQUIRE(table.omitted.size() == 1);
  CHECK(table.omitted.front() == "no-oracle first: none of its 8 finished runs has pct_oracle");
  CHECK_THAT(store::format_comparison(table, store::ComparisonFormat::markdown),
             Catch::Contains("- no-oracle first: none of its 8 finished runs has pct_oracle"));
}

TEST_CASE("the comparison refuses an unknown experiment metric format or confidence",
          "[store][compare]") {
  const store::ResultStore db = demo_store("compare_errors");
  CHECK_THROWS_WITH(store::build_comparison(db, {"demo", "nope"}),
                    "error: " + db.path().string() + ": no experiment 'nope' (experiments: demo)");
  store::ComparisonOptions options;
  options.metric = "reward";
  CHECK_THROWS_AS(store::build_comparison(db, {}, options), ConfigError);
  CHECK_THROWS_WITH(store::build_comparison(db, {}, options),
                    "error: --metric 'reward': not a metric recrl compares (accepted: eval_mean, "
                    "pct_oracle, steps_per_s, wall_s, env_steps, reward/<component>, "
                    "env/<counter>)");
  CHECK_THROWS_WITH(store::comparison_format("xml"),
                    "error: --format 'xml': not a format (accepted: table, md, csv, json)");
  options.metric = "eval_mean";
  options.bootstrap.confidence = 1.5;
  CHECK_THROWS_AS(store::build_comparison(db, {}, options), ConfigError);
}

TEST_CASE("the comparison prints as an aligned table Markdown CSV and JSON", "[store][compare]") {
  const store::ResultStore db = demo_store("compare_formats");
  const store::ComparisonTable table = store::build_comparison(db, {"demo"});

  const std::string text = store::format_comparison(table, store::ComparisonFormat::table);
  CHECK_THAT(text, Catch::Contains("experiment  algorithm    seeds") &&
                       Catch::Contains("IQM [95% CI]") &&
                       Catch::Contains("demo        first            8") &&
                       Catch::Contains(" 6.6250 [") && Catch::Contains("first ~ overlapping"));

  const std::string md = store::format_comparison(table, store::ComparisonFormat::markdown);
  CHECK_THAT(md,
             Catch::Contains("| experiment | algorithm | seeds | mean [95% CI] | std | median | "
                             "IQM [95% CI] |\n|---|---|---:|---:|---:|---:|---:|\n") &&
                 Catch::Contains("| demo | first | 8 | 6.6250 [") &&
                 Catch::Contains("| 6.0930 | 5.0000 | 5.2500 ["));

  const std::string csv = store::format_comparison(table, store::ComparisonFormat::csv);
  CHECK(std::count(csv.begin(), csv.end(), '\n') == 4);
  CHECK_THAT(csv, Catch::StartsWith("experiment,variant,algorithm,plugin,metric,seeds,mean,") &&
                      Catch::Contains("\ndemo,,first,first,eval_mean,8,6.625,"));

  const auto json =
      nlohmann::json::parse(store::format_comparison(table, store::ComparisonFormat::json));
  CHECK(json["metric"] == "eval_mean");
  REQUIRE(json["rows"].size() == 3);
  CHECK(json["rows"][0]["algorithm"] == "first");
  CHECK(json["rows"][0]["iqm"].get<double>() == Approx(5.25));
  CHECK(json["rows"][0]["iqm_ci"].size() == 2);
  REQUIRE(json["pairs"].size() == 3);
  CHECK(json["pairs"][0]["verdict"] == "not_distinguishable");
}

TEST_CASE("the comparison shows reward components and compares by one of them",
          "[store][compare]") {
  store::ResultStore db = store::ResultStore::open(
      test::scratch_dir("compare_components") / "recrl.db", test::store_options());
  db.record_experiment(test::experiment_record("demo"));
  // Two runs of each algorithm: targeting 0.5 and 0.3 for "a", 0.1 and 0.2 for "b".
  const auto record = [&](const std::string& algorithm, int seed, double targeting) {
    store::RunInfo run = test::run_info("demo", algorithm + std::to_string(seed), seed, algorithm);
    run.variant = "";
    REQUIRE(db.claim_run(run).run_it);
    store::FinishedRun finished;
    finished.metrics = {{"eval_mean", targeting + 0.25}};
    finished.reward_components = {{"targeting", targeting}, {"channel", 0.25}};
    REQUIRE(db.finish_run(run.run_id, finished));
  };
  record("a", 0, 0.5);
  record("a", 1, 0.3);
  record("b", 0, 0.1);
  record("b", 1, 0.2);

  store::ComparisonOptions options;
  const auto table = store::build_comparison(db, {}, options);
  const auto& a = row_of(table, "demo", "a");
  REQUIRE(a.components.size() == 2);
  CHECK(a.components[0].name == "targeting");
  CHECK(a.components[0].mean == Approx(0.4));
  CHECK(a.components[1].mean == Approx(0.25));
  const std::string text = store::format_comparison(table, store::ComparisonFormat::table);
  CHECK_THAT(text, Catch::Contains("targeting") && Catch::Contains("0.4000"));
  const auto csv = store::format_comparison(table, store::ComparisonFormat::csv);
  CHECK_THAT(csv, Catch::Contains(",reward.targeting,reward.channel\n"));
  const auto json =
      nlohmann::json::parse(store::format_comparison(table, store::ComparisonFormat::json));
  CHECK(json["rows"][0]["reward_components"]["targeting"].get<double>() == Approx(0.4));

  options.metric = "reward/targeting";
  const auto by_targeting = store::build_comparison(db, {}, options);
  CHECK(by_targeting.metric.description ==
        "the reward component targeting, mean per evaluation episode");
  CHECK(row_of(by_targeting, "demo", "b").values == std::vector<double>{0.1, 0.2});
  options.metric = "reward/reach";
  const auto unknown = store::build_comparison(db, {}, options);
  CHECK(unknown.rows.empty());
  CHECK(unknown.omitted.size() == 2);
}
