// recrl simulate: a policy's interaction log on its simulator, with the propensities it acted
// with and, for a contextual bandit, each action's expected reward in a truth file.
#include <cmath>
#include <fstream>
#include <string>

#include <fmt/format.h>

#include <catch2/catch.hpp>

#include "cli.hpp"
#include "driven_algorithm.hpp"
#include "recrl/toolkit/csv.hpp"

namespace {

using recrl::test::run_recrl;

// A squarecb policy trained briefly on the seed environment (noise-free reward: the logged
// reward is the expected reward of the logged action).
std::filesystem::path trained_policy() {
  static const std::filesystem::path policy = [] {
    const auto result =
        recrl::test::run_yaml("simulate_policy",
                              "name: simulate_policy\n"
                              "env: {plugin: recommendation}\n"
                              "reward: {plugin: seed_rules}\n"
                              "algorithms: [{plugin: squarecb}]\n"
                              "seeds: [0]\n"
                              "train: {timesteps: 3000, n_envs: 1, normalize_observations: false}\n"
                              "eval: {episodes: 100}\n");
    return result.runs.at(0).policy;
  }();
  return policy;
}

double number(const recrl::toolkit::CsvTable& table, std::size_t row, const std::string& column) {
  return table.number(row, table.require_column(column));
}

}  // namespace

TEST_CASE("simulate logs every decision with the propensity it was taken with", "[run][simulate]") {
  const auto dir = recrl::test::scratch_dir("simulate_log");
  const std::string policy = "--policy '" + trained_policy().string() + "'";
  const auto result = run_recrl("simulate " + policy + " --episodes 20000 --out log.csv", dir);
  REQUIRE(result.status == 0);
  CHECK_THAT(result.out, Catch::Contains("wrote 20000 decisions of 20000 episodes to log.csv"));

  const auto log = recrl::toolkit::CsvTable::read_file(dir / "log.csv");
  const auto truth = recrl::toolkit::CsvTable::read_file(dir / "log.truth.csv");
  REQUIRE(log.rows() == 20000);
  REQUIRE(truth.rows() == 20000);
  CHECK(log.header().front() == "decision_id");
  CHECK(log.find_column("x.recency"));
  CHECK(log.find_column("r.targeting"));
  double value = 0;
  double logged = 0;
  for (std::size_t row = 0; row < log.rows(); ++row) {
    const int action = static_cast<int>(number(log, row, "action"));
    const double propensity = number(log, row, "propensity");
    CHECK(propensity == number(log, row, "p_" + std::to_string(action)));
    double sum = 0;
    double row_value = 0;
    for (int a = 0; a < 10; ++a) {
      const double p = number(log, row, "p_" + std::to_string(a));
      sum += p;
      row_value += p * number(truth, row, "q_" + std::to_string(a));
    }
    CHECK(sum == Approx(1.0).epsilon(1e-5));
    // Noise-free: the logged reward is the logged action's expected reward.
    CHECK(number(log, row, "reward") == number(truth, row, "q_" + std::to_string(action)));
    value += row_value;
    logged += number(log, row, "reward");
  }
  value /= 20000;
  logged /= 20000;
  // The logged rewards' mean estimates the policy's value (sd of a reward about 0.3).
  CHECK(logged == Approx(value).margin(0.01));
  CHECK_THAT(result.out, Catch::Contains(fmt::format("true value {:.4f}", value)));
}

TEST_CASE("simulate gives the same log for the same seed", "[run][simulate]") {
  const auto dir = recrl::test::scratch_dir("simulate_seed");
  const std::string policy = "--policy '" + trained_policy().string() + "'";
  REQUIRE(run_recrl("simulate " + policy + " --episodes 500 --out a.csv --seed 4", dir).status ==
          0);
  REQUIRE(run_recrl("simulate " + policy + " --episodes 500 --out b.csv --seed 4", dir).status ==
          0);
  REQUIRE(run_recrl("simulate " + policy + " --episodes 500 --out c.csv --seed 5", dir).status ==
          0);
  const std::string a = recrl::test::read_text(dir / "a.csv");
  CHECK(a == recrl::test::read_text(dir / "b.csv"));
  CHECK(a != recrl::test::read_text(dir / "c.csv"));
  CHECK_THAT(a, Catch::Contains("\n499,2000-01-01T00:08:19Z,"));  // one decision a second
}

TEST_CASE("simulate refuses to replace a log unless told to", "[run][simulate]") {
  const auto dir = recrl::test::scratch_dir("simulate_refuse");
  const std::string policy = "--policy '" + trained_policy().string() + "'";
  std::ofstream(dir / "log.csv") << "mine\n";
  auto result = run_recrl("simulate " + policy + " --episodes 5 --out log.csv", dir);
  CHECK(result.status == 2);
  CHECK_THAT(result.err, Catch::Contains("--out log.csv: the file exists (--force replaces it)"));
  CHECK(recrl::test::read_text(dir / "log.csv") == "mine\n");
  std::filesystem::create_directories(dir / "folder.csv");
  result = run_recrl("simulate " + policy + " --episodes 5 --out folder.csv --force", dir);
  CHECK(result.status == 2);
  CHECK_THAT(result.err, Catch::Contains("not a regular file"));
  result = run_recrl("simulate " + policy + " --episodes 0 --out new.csv", dir);
  CHECK(result.status == 2);
  CHECK_THAT(result.err, Catch::Contains("--episodes 0: expected 1 to 100000000"));
  CHECK_FALSE(std::filesystem::exists(dir / "new.csv"));
  result = run_recrl("simulate " + policy + " --episodes 5 --out log.csv --force", dir);
  CHECK(result.status == 0);
  CHECK_THAT(recrl::test::read_text(dir / "log.csv"), Catch::StartsWith("decision_id,"));
}
