// recrl bench: the built-in benchmark runs every learner and reports its speed, time split and
// update GFLOP/s; bad options are one-line errors. (What the numbers are is measured, not
// asserted: speed is never a test condition.)
#include <regex>
#include <string>

#include <catch2/catch.hpp>

#include "cli.hpp"

using recrl::test::run_recrl;
using recrl::test::scratch_dir;

TEST_CASE("recrl bench times ppo a2c and dqn and splits their time", "[e2e][bench]") {
  const auto dir = scratch_dir("bench_cli");
  const auto result = run_recrl("bench --timesteps 17000 --set eval.episodes=200", dir);
  INFO(result.out << result.err);
  REQUIRE(result.status == 0);
  CHECK_THAT(result.out, Catch::Contains("Eigen SIMD:"));
  // One row per learner: label, 17000 steps (PPO updates once), steps/s, three "seconds
  // (share%)" columns, evaluation seconds, GFLOP/s (every bundled learner reports its flops),
  // eval mean.
  const std::regex row(
      R"(\| (ppo|a2c|dqn) \| 17000 \| \d+ \| [\d.]+ \(\d+%\) \| [\d.]+ \(\d+%\) \| [\d.]+ \(\d+%\) \| [\d.]+ \| [\d.]+ \| 0\.\d+ \|)");
  int rows = 0;
  for (auto it = std::sregex_iterator(result.out.begin(), result.out.end(), row);
       it != std::sregex_iterator(); ++it) {
    ++rows;
  }
  CHECK(rows == 3);
  // The core's multiply-add peak, measured before and after: positive numbers.
  const std::regex peak(
      R"(multiply-add peak \(float, the build's SIMD\): [1-9]\d* GFLOP/s before the runs, )"
      R"([1-9]\d* after)");
  CHECK(std::regex_search(result.out, peak));
  // Nothing is left behind: no store, no run folders in the working directory.
  CHECK_FALSE(std::filesystem::exists(dir / "results"));
}

// Repetitions: one row per learner (its run of median speed) with the range of the runs'
// speeds; the same seed evaluates the same in every repetition, so no determinism warning.
TEST_CASE("recrl bench repeats every learner and reports the range of speeds", "[e2e][bench]") {
  const auto result = run_recrl("bench --timesteps 17000 --repeat 2 --set eval.episodes=200",
                                scratch_dir("bench_cli_repeat"));
  INFO(result.out << result.err);
  REQUIRE(result.status == 0);
  CHECK_THAT(result.out, Catch::Contains("| env steps/s, 2 runs |"));
  const std::regex row(R"(\| (ppo|a2c|dqn) \| 17000 \| (\d+) \| .* \| 0\.\d+ \| (\d+) – (\d+) \|)");
  int rows = 0;
  for (auto it = std::sregex_iterator(result.out.begin(), result.out.end(), row);
       it != std::sregex_iterator(); ++it) {
    ++rows;
    const double median = std::stod((*it)[2]);
    CHECK(std::stod((*it)[3]) <= median);
    CHECK(median <= std::stod((*it)[4]));
  }
  CHECK(rows == 3);
  CHECK_THAT(result.out, !Catch::Contains("not deterministic"));
}

TEST_CASE("recrl bench refuses a budget below one step", "[e2e][bench]") {
  const auto result = run_recrl("bench --timesteps 0", scratch_dir("bench_cli_bad"));
  CHECK(result.status == 2);
  CHECK_THAT(result.err, Catch::Contains("--timesteps 0: expected at least 1"));
}

TEST_CASE("recrl bench refuses fewer than one repetition", "[e2e][bench]") {
  const auto result = run_recrl("bench --repeat 0", scratch_dir("bench_cli_bad_repeat"));
  CHECK(result.status == 2);
  CHECK_THAT(result.err, Catch::Contains("--repeat 0: expected at least 1"));
}

TEST_CASE("recrl bench --only benchmarks the named algorithms", "[e2e][bench]") {
  const auto result = run_recrl("bench --only a2c --timesteps 4000 --set eval.episodes=200",
                                scratch_dir("bench_cli_only"));
  INFO(result.out << result.err);
  REQUIRE(result.status == 0);
  CHECK(std::regex_search(result.out, std::regex(R"(\| a2c \| 4000 \| \d+ \|)")));
  CHECK_THAT(result.out, !Catch::Contains("| ppo |") && !Catch::Contains("| dqn |"));
}

TEST_CASE("recrl bench --only refuses a label the experiment lacks", "[e2e][bench]") {
  const auto result = run_recrl("bench --only sac", scratch_dir("bench_cli_only_bad"));
  CHECK(result.status == 2);
  CHECK_THAT(result.err,
             Catch::Contains("--only sac: no algorithm of the experiment has this label "
                             "(its labels: ppo, a2c, dqn, eps_greedy, linucb, lin_ts, squarecb)"));
}
