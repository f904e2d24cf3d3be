#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "recrl/report/results.hpp"

namespace {

recrl::RunResult run(const std::string& label, std::uint64_t seed, double mean) {
  recrl::RunResult r;
  r.label = label;
  r.plugin = label == "fast" ? "ppo" : label;
  r.seed = seed;
  r.eval_mean = mean;
  r.pct_oracle = 100 * mean / 0.8;
  r.env_steps = 1000;
  r.wall_s = 2;
  r.train_s = 1;
  r.steps_per_s = 1000;
  r.policy = "runs/x/policy.recrl";
  return r;
}

recrl::ExperimentResult experiment() {
  recrl::ExperimentResult e;
  e.experiment = "demo";
  e.env = "recommendation";
  e.reward = "seed_rules";
  e.eval_episodes = 10000;
  e.oracle_mean = 0.8;
  e.runs = {run("random", 0, 0.3), run("fast", 0, 0.6), run("random", 1, 0.34),
            run("fast", 1, 0.8)};
  return e;
}

}  // namespace

TEST_CASE("the summary has one row per algorithm with mean and sample std over seeds",
          "[unit][run]") {
  const auto rows = recrl::summarize(experiment());
  REQUIRE(rows.size() == 2);
  CHECK(rows[0].label == "random");
  CHECK(rows[0].seeds == 2);
  CHECK(rows[0].mean == Approx(0.32));
  CHECK(rows[0].std == Approx(0.0282842712));
  CHECK(rows[1].label == "fast");
  CHECK(*rows[1].pct_oracle == Approx(87.5));
}

TEST_CASE("results.json lists every run with the agreed fields", "[unit][run]") {
  const auto doc = nlohmann::json::parse(recrl::results_json(experiment()));
  CHECK(doc["experiment"] == "demo");
  REQUIRE(doc["runs"].size() == 4);
  for (const char* key : {"algorithm", "plugin", "seed", "eval_mean", "pct_oracle", "env_steps",
                          "wall_s", "steps_per_s", "policy"}) {
    CHECK(doc["runs"][1].contains(key));
  }
  CHECK(doc["runs"][1]["algorithm"] == "fast");
  CHECK(doc["runs"][1]["plugin"] == "ppo");
}

TEST_CASE("the markdown table names the algorithm with its plugin and formats counts",
          "[unit][run]") {
  const std::string md = recrl::results_markdown(experiment());
  CHECK_THAT(md, Catch::Contains("| fast (ppo) | 2 | 0.7000 ± 0.1414 | 0.7000 [0.6000, 0.8000] | "
                                 "87.5 | 1,000 |"));
  CHECK_THAT(md,
             Catch::Contains("| random | 2 | 0.3200 ± 0.0283 | 0.3200 [0.3000, 0.3400] | 40.0 |"));
  // Two seeds each, and every fast run beats every random one.
  CHECK_THAT(md, Catch::Contains("- fast > random (P = 1.00 [1.00, 1.00])"));
}

TEST_CASE("the summary gives each algorithm an interquartile mean with a bootstrap interval",
          "[unit][run]") {
  auto e = experiment();
  e.runs.push_back(run("random", 2, 0.9));
  e.runs.push_back(run("random", 3, 0.1));
  const auto rows = recrl::summarize(e);
  // Seeds 0.1, 0.3, 0.34, 0.9: trim one from each end, mean of 0.3 and 0.34.
  CHECK(rows[0].iqm == Approx(0.32));
  REQUIRE(rows[0].iqm_interval);
  CHECK(rows[0].iqm_interval->first <= rows[0].iqm);
  CHECK(rows[0].iqm_interval->second >= rows[0].iqm);
  // The same data give the same interval.
  CHECK(recrl::summarize(e)[0].iqm_interval == rows[0].iqm_interval);
}

TEST_CASE("results report each reward component's mean per run and per algorithm", "[unit][run]") {
  auto e = experiment();
  e.reward_components = {"targeting", "channel"};
  for (auto& r : e.runs) r.reward_components = {{"targeting", r.eval_mean / 2}, {"channel", 0.1}};
  const auto rows = recrl::summarize(e);
  REQUIRE(rows[0].component_means.size() == 2);
  CHECK(rows[0].component_means[0] == Approx(0.16));  // random: (0.3 + 0.34) / 2 / 2
  CHECK(rows[1].component_means[1] == Approx(0.1));

  const std::string md = recrl::results_markdown(e);
  CHECK_THAT(md, Catch::Contains("| algorithm | targeting | channel |") &&
                     Catch::Contains("| random | 0.1600 | 0.1000 |"));
  const std::string csv = recrl::results_csv(e);
  CHECK_THAT(csv, Catch::Contains(",policy,reward.targeting,reward.channel\n") &&
                      Catch::Contains(",runs/x/policy.recrl,0.15,0.1\n"));
  const auto doc = nlohmann::json::parse(recrl::results_json(e));
  CHECK(doc["reward_components"] == nlohmann::json({"targeting", "channel"}));
  CHECK(doc["runs"][0]["reward_components"]["targeting"].get<double>() == Approx(0.15));
  CHECK(doc["summary"][1]["reward_components"]["targeting"].get<double>() == Approx(0.35));
}
