// The progress display of `recrl run`: live bars on a terminal (run under script(1), which
// gives it a pseudo-terminal), no terminal control codes when stderr is a file, and nothing
// at all with --quiet.
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include <catch2/catch.hpp>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include "cli.hpp"
#include "recrl/run/progress_display.hpp"
#include "recrl/run/run_plan.hpp"

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

TEST_CASE("a progress line names where its run is trained", "[run][progress]") {
  std::ostringstream captured;
  const auto previous = spdlog::default_logger();
  auto logger = std::make_shared<spdlog::logger>(
      "capture", std::make_shared<spdlog::sinks::ostream_sink_mt>(captured));
  logger->set_pattern("%v");
  spdlog::set_default_logger(logger);
  {
    recrl::ProgressDisplay display(recrl::ProgressDisplay::Mode::plain,
                                   std::chrono::milliseconds(20));
    const recrl::PlannedRun run{0, 0, 3, "id", "runs/ppo__s3", "ppo s3", 8000};
    recrl::RunProgress progress;
    progress.total_steps = 8000;
    progress.env_steps = 2000;
    progress.where = "rank 2";  // as recrl run --mpi's rank 0 sets it
    display.on_plan({run});
    display.on_run_started(run, progress);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    display.on_run_finished(run, {});
  }
  spdlog::set_default_logger(previous);
  CHECK_THAT(captured.str(), Catch::Contains("ppo s3 (rank 2): 2,000/8,000 steps"));
}
