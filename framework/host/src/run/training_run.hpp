#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>

#include "plugin_instances.hpp"
#include "recrl/core/algorithm.hpp"
#include "recrl/run/checkpoint.hpp"
#include "recrl/run/evaluation.hpp"
#include "recrl/run/normalizer.hpp"
#include "recrl/run/policy_file.hpp"
#include "recrl/store/run_result.hpp"
#include "recrl/run/run_observer.hpp"
#include "recrl/run/run_trainer.hpp"
#include "recrl/run/runner.hpp"
#include "recrl/run/training_loop.hpp"
#include "recrl/run/vec_env.hpp"

namespace recrl {

// How a run reports as it goes and learns that it must stop. Every part is optional.
struct RunReporting {
  const PlannedRun* run = nullptr;  // the run as the observer knows it; needed for `observer`
  RunObserver* observer = nullptr;  // curve points and heartbeats, on the run's thread
  RunProgress* progress = nullptr;  // env steps and the latest evaluation, for displays
  const std::atomic<int>* stop = nullptr;  // non-zero: stop at the next step batch
};

// One (algorithm, seed) run: train on its own environment copies, evaluate on the held-out
// episodes, save the policy and the learning curve into its folder. With checkpoint_every it
// saves its training state to <dir>/checkpoint.recrl every so often (deleted once the run ends).
class TrainingRun {
 public:
  TrainingRun(const ResolvedExperiment& x, const ResolvedAlgorithm& algo, std::uint64_t seed,
              const plugin::PluginRegistry& registry, std::filesystem::path dir,
              RunReporting reporting = {});

  // With `resume`, continues from a checkpoint this run wrote before, where there is one
  // (see ResumeFrom). A checkpoint that does not fit the run throws DataError naming the file.
  RunResult execute(std::optional<double> oracle_mean,
                    const std::optional<ResumeFrom>& resume = std::nullopt);

  // Where the run's checkpoints go.
  std::filesystem::path checkpoint_file() const { return dir_ / "checkpoint.recrl"; }

 private:
  static Evaluator make_evaluator(const ResolvedExperiment& x,
                                  const plugin::PluginRegistry& registry,
                                  const std::shared_ptr<spdlog::logger>& logger);

  static std::ofstream open_csv(const std::filesystem::path& file, const char* header);

  // Starts the loop from zero, or from a checkpoint when resuming; opens the metrics file
  // accordingly. Returns the bookkeeping to continue with.
  RunBookkeeping start(const std::optional<ResumeFrom>& resume, std::ofstream& metrics_file);

  // The checkpoint to continue from, if any.
  std::optional<std::filesystem::path> checkpoint_to_resume(const ResumeFrom& resume) const;

  // Saves the loop and `book` with the metrics file's length (after flushing it), the elapsed
  // seconds and the phase times so far, and tells the observer.
  void checkpoint(const RunBookkeeping& book, std::ofstream& metrics_file, double elapsed_seconds);

  EvalResult evaluate(std::uint64_t index);

  PolicyRecord policy_record() const;

  // Called once per step batch: publishes progress, heartbeats now and then, and throws
  // RunStopped when asked to stop. Only atomics unless a heartbeat is due.
  void after_step_batch();

  const ResolvedExperiment& x_;
  const ResolvedAlgorithm& algo_;
  std::uint64_t seed_;
  std::filesystem::path dir_;
  std::shared_ptr<spdlog::logger> logger_;
  EnvCopies train_;
  VecEnv vec_;
  Evaluator eval_;
  std::shared_ptr<Algorithm> algorithm_;
  ObservationNormalizer normalizer_;
  TrainingLoop loop_;
  std::string identity_;  // the run id: a checkpoint of another run is refused
  RunReporting reporting_;
  std::chrono::steady_clock::time_point last_heartbeat_;
  std::uint32_t batches_since_clock_check_ = 0;
};

}  // namespace recrl
