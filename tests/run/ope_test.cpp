// recrl ope: a target policy judged on a log another policy wrote, against the truth the
// simulator keeps; and the log's bad rows.
#include <fstream>
#include <sstream>
#include <string>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "cli.hpp"
#include "driven_algorithm.hpp"

namespace {

using recrl::test::run_recrl;

// A uniformly random logger and a trained squarecb target, on the noise-free seed reward.
struct Policies {
  std::filesystem::path logger, target;
};

const Policies& policies() {
  static const Policies p = [] {
    const auto result =
        recrl::test::run_yaml("ope_policies",
                              "name: ope_policies\n"
                              "env: {plugin: recommendation}\n"
                              "reward: {plugin: seed_rules}\n"
                              "algorithms: [{plugin: random}, {plugin: squarecb}]\n"
                              "seeds: [0]\n"
                              "train: {timesteps: 5000, n_envs: 1, normalize_observations: false}\n"
                              "eval: {episodes: 100}\n");
    return Policies{result.runs.at(0).policy, result.runs.at(1).policy};
  }();
  return p;
}

std::string quoted(const std::filesystem::path& path) { return "'" + path.string() + "'"; }

}  // namespace

TEST_CASE("ope on a simulated log covers the target's true value", "[run][ope]") {
  const auto dir = recrl::test::scratch_dir("ope_truth");
  REQUIRE(run_recrl("simulate --policy " + quoted(policies().logger) +
                        " --episodes 100000 --out log.csv --seed 1",
                    dir)
              .status == 0);
  const auto result = run_recrl("ope --log log.csv --policy " + quoted(policies().target) +
                                    " --validate --format json --bootstrap 500",
                                dir);
  INFO(result.err);
  REQUIRE(result.status == 0);
  const auto json = nlohmann::json::parse(result.out);
  CHECK(json["n"] == 100000);
  const double truth = json["true_value"];
  CHECK(truth > 0.6);  // a trained policy, far above the random logger's 0.32
  for (const auto& e : json["estimates"]) {
    const std::string name = e["estimator"];
    INFO(name << " " << e.dump());
    if (name == "dm") continue;  // a linear model of a rule with thresholds: biased
    CHECK(e["ci_low"].get<double>() <= truth);
    CHECK(truth <= e["ci_high"].get<double>());
  }
  const auto& d = json["diagnostics"];
  CHECK(d["mean_weight"].get<double>() == Approx(1.0).margin(0.03));
  CHECK(d["effective_sample_size"].get<double>() > 5000);
}

TEST_CASE("ope takes an external target as probabilities per row", "[run][ope]") {
  const auto dir = recrl::test::scratch_dir("ope_target_probs");
  REQUIRE(run_recrl("simulate --policy " + quoted(policies().logger) +
                        " --episodes 2000 --out log.csv --seed 2",
                    dir)
              .status == 0);
  // The logger judged by itself: uniform probabilities, so every weight is 1 and IPW is the
  // logged rewards' mean.
  {
    std::ofstream probs(dir / "uniform.csv");
    probs << "p_0,p_1,p_2,p_3,p_4,p_5,p_6,p_7,p_8,p_9\n";
    for (int i = 0; i < 2000; ++i) probs << "0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1\n";
  }
  const auto result = run_recrl(
      "ope --log log.csv --target-probs uniform.csv --estimators ipw,snipw --format json", dir);
  INFO(result.err);
  REQUIRE(result.status == 0);
  const auto json = nlohmann::json::parse(result.out);
  const double ipw = json["estimates"][0]["value"];
  const double snipw = json["estimates"][1]["value"];
  CHECK(ipw == Approx(snipw).epsilon(1e-5));
  CHECK(json["diagnostics"]["max_weight"].get<double>() == Approx(1.0).epsilon(1e-5));
}

TEST_CASE("bad log rows are errors naming the file, line and column", "[run][ope]") {
  const auto dir = recrl::test::scratch_dir("ope_bad_rows");
  const std::string header = "decision_id,x.a,action,propensity,reward\n";
  const auto check = [&](const std::string& body, const std::string& message) {
    std::ofstream(dir / "bad.csv") << header << body;
    std::ofstream probs(dir / "p.csv");
    probs << "p_0,p_1\n0.5,0.5\n0.5,0.5\n";
    const auto result = run_recrl("ope --log bad.csv --target-probs p.csv --estimators ipw", dir);
    INFO(body);
    CHECK(result.status == 2);
    CHECK_THAT(result.err, Catch::Contains(message));
  };
  check("0,1,0,0.5,1\n1,1,1,1.5,0\n",
        "bad.csv:3:4: error: column 'propensity': expected a probability in (0, 1], got '1.5'");
  check("0,1,0,0,1\n1,1,1,0.5,0\n", "bad.csv:2:4: error: column 'propensity'");
  check("0,1,0,0.5,nan\n1,1,1,0.5,0\n",
        "bad.csv:2:5: error: column 'reward': expected a finite number, got 'nan'");
  check("0,1,0.5,0.5,1\n1,1,1,0.5,0\n", "bad.csv:2:3: error: column 'action'");
  check("0,1,0,0.5\n", "bad.csv:2:1: error: 4 fields where the header has 5");
  std::ofstream(dir / "empty.csv").flush();
  auto empty = run_recrl("ope --log empty.csv --target-probs p.csv", dir);
  CHECK(empty.status == 2);
  CHECK_THAT(empty.err, Catch::Contains("empty.csv:1:1: error: empty: no header row"));
  std::ofstream(dir / "nocol.csv") << "decision_id,action,reward\n0,0,1\n";
  const auto result = run_recrl("ope --log nocol.csv --target-probs p.csv", dir);
  CHECK(result.status == 2);
  CHECK_THAT(result.err, Catch::Contains("nocol.csv:1:1: error: no 'propensity' column"));
  // A damaged decision log is not read as a CSV that lacks its columns.
  std::ofstream(dir / "serve.db") << "not a database";
  const auto damaged = run_recrl("ope --log serve.db --target-probs p.csv", dir);
  CHECK(damaged.status == 2);
  CHECK_THAT(damaged.err, Catch::Contains("serve.db: error: not a SQLite database"));
}

TEST_CASE("a policy's probabilities written per row judge it the same way", "[run][ope]") {
  const auto dir = recrl::test::scratch_dir("ope_probs_out");
  REQUIRE(run_recrl("simulate --policy " + quoted(policies().logger) +
                        " --episodes 3000 --out log.csv --seed 6",
                    dir)
              .status == 0);
  const std::string common = " --estimators ipw,snipw --bootstrap 200 --format json";
  const auto by_policy = run_recrl("ope --log log.csv --policy " + quoted(policies().target) +
                                       common + " --target-probs-out probs.csv",
                                   dir);
  INFO(by_policy.err);
  REQUIRE(by_policy.status == 0);
  const auto by_probs = run_recrl("ope --log log.csv --target-probs probs.csv" + common, dir);
  INFO(by_probs.err);
  REQUIRE(by_probs.status == 0);
  auto policy_json = nlohmann::json::parse(by_policy.out);
  auto probs_json = nlohmann::json::parse(by_probs.out);
  CHECK(probs_json["target"] == "probs.csv");
  policy_json.erase("target");
  probs_json.erase("target");
  CHECK(policy_json == probs_json);
  // The file is not replaced unless asked.
  const auto again = run_recrl("ope --log log.csv --policy " + quoted(policies().target) + common +
                                   " --target-probs-out probs.csv",
                               dir);
  CHECK(again.status == 2);
  CHECK_THAT(again.err, Catch::Contains("--target-probs-out probs.csv: the file exists"));
}

TEST_CASE("ope records its estimates; compare and report show them", "[run][ope][store]") {
  const auto dir = recrl::test::scratch_dir("ope_record");
  const auto run = run_recrl("run '" + recrl::test::project_file("experiments/seed.yaml") +
                                 "' --quiet --db r.db --set seeds=[0] --set train.timesteps=3000 "
                                 "--set eval.episodes=50 --set output=out "
                                 "--set 'algorithms=[{plugin: random}, {plugin: squarecb}]'",
                             dir);
  INFO(run.err);
  REQUIRE(run.status == 0);
  const auto runs = run_recrl("runs --db r.db", dir);
  REQUIRE(runs.status == 0);
  std::string random_id, squarecb_id;  // from lines "id experiment algorithm seed ..."
  std::istringstream lines(runs.out);
  for (std::string line; std::getline(lines, line);) {
    std::istringstream fields(line);
    std::string id, experiment, algorithm;
    fields >> id >> experiment >> algorithm;
    if (algorithm == "random") random_id = id;
    if (algorithm == "squarecb") squarecb_id = id;
  }
  REQUIRE(!random_id.empty());
  REQUIRE(!squarecb_id.empty());
  REQUIRE(run_recrl("simulate --run " + random_id + " --db r.db --episodes 5000 --out log.csv", dir)
              .status == 0);
  const auto ope = run_recrl(
      "ope --log log.csv --run " + squarecb_id + " --db r.db --validate --bootstrap 100", dir);
  INFO(ope.err);
  REQUIRE(ope.status == 0);
  CHECK_THAT(ope.out, Catch::Contains("under experiment 'seed' as 'squarecb'"));
  // An external target, recorded under a name of the user's.
  {
    std::ofstream probs(dir / "uniform.csv");
    probs << "p_0,p_1,p_2,p_3,p_4,p_5,p_6,p_7,p_8,p_9\n";
    for (int i = 0; i < 5000; ++i) probs << "0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1\n";
  }
  const auto unnamed =
      run_recrl("ope --log log.csv --target-probs uniform.csv --record --db r.db", dir);
  CHECK(unnamed.status == 2);
  CHECK_THAT(unnamed.err, Catch::Contains("give --experiment and --label"));
  REQUIRE(run_recrl("ope --log log.csv --target-probs uniform.csv --record --db r.db "
                    "--experiment seed --label uniform --estimators ipw,snipw",
                    dir)
              .status == 0);

  const auto compare = run_recrl("compare seed --db r.db --format json", dir);
  INFO(compare.err);
  REQUIRE(compare.status == 0);
  const auto off_policy = nlohmann::json::parse(compare.out)["off_policy"];
  REQUIRE(off_policy.size() == 2);
  const auto& judged = off_policy[0]["target"] == "squarecb" ? off_policy[0] : off_policy[1];
  CHECK(judged["n"] == 5000);
  CHECK(judged["estimates"].size() == 6);
  CHECK(judged["simulated"].is_number());
  CHECK(judged["true_value"].is_number());
  CHECK_THAT(run_recrl("compare seed --db r.db", dir).out,
             Catch::Contains("Off-policy estimates (recrl ope)"));

  REQUIRE(run_recrl("report seed --db r.db --out report.html", dir).status == 0);
  const std::string html = recrl::test::read_text(dir / "report.html");
  CHECK_THAT(html, Catch::Contains("<h2>Off-policy estimates</h2>"));
  CHECK_THAT(html, Catch::Contains("forest-plot"));
}

TEST_CASE("several targets are judged on one log and the estimators over them", "[run][ope]") {
  const auto dir = recrl::test::scratch_dir("ope_targets");
  REQUIRE(run_recrl("simulate --policy " + quoted(policies().logger) +
                        " --episodes 20000 --out log.csv --seed 9",
                    dir)
              .status == 0);
  const std::string targets =
      " --policy " + quoted(policies().target) + " --policy " + quoted(policies().logger);
  const auto json_run =
      run_recrl("ope --log log.csv" + targets + " --validate --bootstrap 200 --format json", dir);
  INFO(json_run.err);
  REQUIRE(json_run.status == 0);
  const auto json = nlohmann::json::parse(json_run.out);
  REQUIRE(json["targets"].size() == 2);
  CHECK(json["targets"][0]["target"] == policies().target.string());
  // The logger judged by itself: every weight is 1, so IPW is the logged rewards' mean.
  const auto& self = json["targets"][1];
  CHECK(self["diagnostics"]["max_weight"].get<double>() == Approx(1.0));
  REQUIRE(json["validation"].size() == 6);
  for (const auto& v : json["validation"]) {
    INFO(v.dump());
    CHECK(v["targets"] == 2);
    if (v["estimator"] == "dm") continue;  // the linear model's bias
    CHECK(v["mean_relative_error"].get<double>() < 0.05);
  }
  const auto table = run_recrl("ope --log log.csv" + targets + " --validate --bootstrap 100", dir);
  CHECK_THAT(table.out, Catch::Contains("The estimators over the 2 targets"));
  const auto one_name = run_recrl("ope --log log.csv" + targets + " --record --label x", dir);
  CHECK(one_name.status == 2);
  CHECK_THAT(one_name.err, Catch::Contains("--label names one target"));
}
