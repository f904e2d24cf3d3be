// recrl fit: a bandit learned from another policy's log, its weights worked out by hand, and
// the policy it writes put to work by recommend and ope.
#include <fstream>
#include <string>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "cli.hpp"
#include "driven_algorithm.hpp"

namespace {

using recrl::test::run_recrl;

std::string quoted(const std::filesystem::path& path) { return "'" + path.string() + "'"; }

// One feature f, two actions. Action 0 was logged at f = 1 (p 0.5, r 1) and f = 2 (p 0.25,
// r 3); action 1 at f = 1 (p 0.5, r 0).
void write_tiny_log(const std::filesystem::path& dir) {
  std::ofstream(dir / "tiny.csv") << "decision_id,x.f,action,action_label,propensity,reward\n"
                                     "a,1,0,send,0.5,1\n"
                                     "b,2,0,send,0.25,3\n"
                                     "c,1,1,wait,0.5,0\n";
}

double predicted_at_3(const std::filesystem::path& dir, const std::string& policy) {
  const auto result = run_recrl("recommend --policy " + policy + " --user f=3 --format json", dir);
  INFO(result.err);
  REQUIRE(result.status == 0);
  const auto json = nlohmann::json::parse(result.out);
  REQUIRE(json[0]["predicted"] == true);
  REQUIRE(json[0]["label"] == "send");
  return json[0]["reward"];
}

}  // namespace

TEST_CASE("fit weighs each row by 1/propensity, scaled to a mean of 1", "[run][fit]") {
  const auto dir = recrl::test::scratch_dir("fit_weights");
  write_tiny_log(dir);
  // Weights 1/p = 2, 4, 2 scaled by 3/8: 0.75, 1.5, 0.75. Action 0's ridge on [f; 1], lambda 1:
  // A = I + 0.75 [1 1; 1 1] + 1.5 [4 2; 2 1] = [7.75 3.75; 3.75 3.25],
  // b = 0.75 [1; 1] + 1.5 * 3 [2; 1] = [9.75; 5.25], theta = A^-1 b = [12; 4.125] / 11.125,
  // and at f = 3 the prediction is (36 + 4.125) / 11.125.
  const auto weighted = run_recrl("fit --log tiny.csv --algorithm linucb --out w.recrl", dir);
  INFO(weighted.err);
  REQUIRE(weighted.status == 0);
  CHECK(predicted_at_3(dir, "w.recrl") == Approx(40.125 / 11.125).epsilon(1e-6));
  // Unweighted: A = [6 3; 3 3], b = [7; 4], theta = [1; 1/3]: 3 + 1/3 at f = 3.
  REQUIRE(run_recrl("fit --log tiny.csv --algorithm eps_greedy --weights none --out u.recrl", dir)
              .status == 0);
  CHECK(predicted_at_3(dir, "u.recrl") == Approx(10.0 / 3).epsilon(1e-6));
}

TEST_CASE("a bandit fitted from a random logger's log is judged and serves", "[run][fit]") {
  const auto dir = recrl::test::scratch_dir("fit_serve");
  const auto result =
      recrl::test::run_yaml("fit_logger",
                            "name: fit_logger\n"
                            "env: {plugin: recommendation}\n"
                            "reward: {plugin: seed_rules}\n"
                            "algorithms: [{plugin: random}]\n"
                            "seeds: [0]\n"
                            "train: {timesteps: 100, n_envs: 1, normalize_observations: false}\n"
                            "eval: {episodes: 10}\n");
  REQUIRE(run_recrl("simulate --policy " + quoted(result.runs.at(0).policy) +
                        " --episodes 20000 --out log.csv --seed 5",
                    dir)
              .status == 0);
  const auto fit = run_recrl(
      "fit --log log.csv --algorithm squarecb --params gamma_scale=20 --out fitted.recrl", dir);
  INFO(fit.err);
  REQUIRE(fit.status == 0);
  CHECK_THAT(fit.out, Catch::Contains("fitted squarecb on 20000 rows of log.csv (10 features, 10 "
                                      "actions)"));

  // Judged on the log it learned from, against the simulator's truth: far above the logger's
  // 0.32, where a trained policy stands (about 0.8).
  const auto ope = run_recrl(
      "ope --log log.csv --policy fitted.recrl --validate --estimators dr --format json", dir);
  INFO(ope.err);
  REQUIRE(ope.status == 0);
  const auto json = nlohmann::json::parse(ope.out);
  CHECK(json["true_value"].get<double>() > 0.7);

  const auto recommend = run_recrl(
      "recommend --policy fitted.recrl --user recency=5,frequency=10,monetary_value=500,"
      "engagement_score=0.8,discount_sensitive=1,free_shipping_preferred=0,email_opens=0.9,"
      "sms_response=0.1,push_response=0.2,last_purchase_days=10",
      dir);
  INFO(recommend.err);
  REQUIRE(recommend.status == 0);
  CHECK_THAT(recommend.out, Catch::Contains("Agent Action Chosen:"));
  CHECK_THAT(recommend.out, Catch::Contains("Predicted Reward:"));

  const auto simulate = run_recrl("simulate --policy fitted.recrl --episodes 5 --out x.csv", dir);
  CHECK(simulate.status == 2);
  CHECK_THAT(simulate.err, Catch::Contains("has no environment to simulate"));
}

TEST_CASE("fit refuses what it cannot do and writes nothing", "[run][fit]") {
  const auto dir = recrl::test::scratch_dir("fit_refusals");
  write_tiny_log(dir);
  const auto ppo = run_recrl("fit --log tiny.csv --algorithm ppo --out p.recrl", dir);
  CHECK(ppo.status == 2);
  CHECK_THAT(ppo.err, Catch::Contains("'ppo' cannot learn from a log"));
  CHECK_FALSE(std::filesystem::exists(dir / "p.recrl"));

  const auto param =
      run_recrl("fit --log tiny.csv --algorithm linucb --params alpah=1 --out p.recrl", dir);
  CHECK(param.status == 2);
  CHECK_THAT(param.err, Catch::Contains("alpah"));

  std::ofstream(dir / "keep.recrl") << "mine";
  const auto exists = run_recrl("fit --log tiny.csv --algorithm linucb --out keep.recrl", dir);
  CHECK(exists.status == 2);
  CHECK(recrl::test::read_text(dir / "keep.recrl") == "mine");

  std::ofstream(dir / "bad.csv") << "x.f,action,propensity,reward\n1,0,0,1\n";
  const auto bad = run_recrl("fit --log bad.csv --algorithm linucb --out b.recrl", dir);
  CHECK(bad.status == 2);
  CHECK_THAT(bad.err, Catch::Contains("bad.csv:2:3: error: column 'propensity'"));
  CHECK_FALSE(std::filesystem::exists(dir / "b.recrl"));

  const auto weights =
      run_recrl("fit --log tiny.csv --algorithm linucb --weights some --out w.recrl", dir);
  CHECK(weights.status == 2);
  CHECK_THAT(weights.err, Catch::Contains("--weights: expected propensity or none"));
}

TEST_CASE("a policy fitted from a VW log serves users who name only some features", "[run][fit]") {
  const auto dir = recrl::test::scratch_dir("fit_vw");
  // Tom likes sports (cost -1 when shown it), Anna politics.
  std::string log;
  for (int i = 0; i < 20; ++i) {
    log += "shared |User user=Tom\n|Action politics\n0:-1:0.5 |Action sports\n\n";
    log += "shared |User user=Anna\n0:-1:0.5 |Action politics\n|Action sports\n\n";
    log += "shared |User user=Anna\n|Action politics\n0:0:0.5 |Action sports\n\n";
  }
  std::ofstream(dir / "train.vw") << log;
  const auto fit =
      run_recrl("fit --log train.vw --log-format vw --algorithm linucb --out vw.recrl", dir);
  INFO(fit.err);
  REQUIRE(fit.status == 0);
  const auto tom = run_recrl("recommend --policy vw.recrl --user User^user=Tom=1", dir);
  INFO(tom.err);
  REQUIRE(tom.status == 0);
  CHECK_THAT(tom.out, Catch::Contains("Action #1 \u2192 Action sports"));
  std::ofstream(dir / "users.csv") << "User^user=Anna\n1\n";
  const auto anna = run_recrl("recommend --policy vw.recrl --users users.csv", dir);
  INFO(anna.err);
  REQUIRE(anna.status == 0);
  CHECK_THAT(anna.out, Catch::Contains("Action #0 \u2192 Action politics"));
  const auto misspelt = run_recrl("recommend --policy vw.recrl --user User^user=Tim=1", dir);
  CHECK(misspelt.status == 2);
  CHECK_THAT(misspelt.err, Catch::Contains("unknown feature 'User^user=Tim'"));
}
