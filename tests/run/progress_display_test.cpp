// The progress display of `recrl run`: live bars on a terminal (run under script(1), which
// gives it a pseudo-terminal), no terminal control codes when stderr is a file, and nothing
// at all with --quiet.
#include <cstdlib>
#include <fstream>
#include <string>

#include <catch2/catch.hpp>

#include "cli.hpp"

namespace {

using recrl::test::read_text;
using recrl::test::run_recrl;
using recrl::test::scratch_dir;

// PPO for long enough (a second or two) that the display redraws several times.
void write_experiment(const std::filesystem::path& dir) {
  std::ofstream(dir / "progress.yaml") << "name: progress\n"
                                          "env: {plugin: recommendation}\n"
                                          "reward: {plugin: seed_rules}\n"
                                          "algorithms:\n"
                                          "  - {plugin: ppo, params: {n_steps: 256}}\n"
                                          "seeds: [0]\n"
                                          "train: {timesteps: 40000, n_envs: 8}\n"
                                          "eval: {episodes: 500, every: 10000}\n"
                                          "output: out\n";
}

}  // namespace

TEST_CASE("recrl run draws live progress bars on a terminal", "[e2e][run][progress]") {
  const auto dir = scratch_dir("progress_tty");
  write_experiment(dir);
  const auto transcript = dir / "terminal.txt";
  const std::string command = "cd '" + dir.string() +
                              "' && script -qec \"'" RECRL_EXECUTABLE
                              "' run progress.yaml --jobs 1\" /dev/null > '" +
                              transcript.string() + "' 2>&1 < /dev/null";
  REQUIRE(std::system(command.c_str()) == 0);
  const std::string screen = read_text(transcript);
  INFO(screen);
  CHECK_THAT(screen, Catch::Contains("ppo s0"));  // one line per active run
  CHECK_THAT(screen, Catch::Contains("steps/s"));
  CHECK_THAT(screen, Catch::Contains("ETA"));
  CHECK_THAT(screen, Catch::Contains("total ["));  // the total bar
  CHECK_THAT(screen, Catch::Contains("\x1b["));    // redrawn in place
  CHECK_THAT(screen, Catch::Contains("| ppo |"));  // and the table at the end
}

TEST_CASE("recrl run writes plain lines without control codes when stderr is a file",
          "[e2e][run][progress]") {
  const auto dir = scratch_dir("progress_plain");
  write_experiment(dir);
  const auto result = run_recrl("run progress.yaml --jobs 1", dir);
  REQUIRE(result.status == 0);
  CHECK(result.err.find('\x1b') == std::string::npos);
  CHECK_THAT(result.err, Catch::Contains("ppo seed 0: eval mean"));

  const auto quiet = run_recrl("run progress.yaml --jobs 1 --quiet", dir);
  REQUIRE(quiet.status == 0);
  CHECK(quiet.err.empty());
  CHECK_THAT(quiet.out, Catch::Contains("| ppo |"));
}
