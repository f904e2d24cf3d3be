#pragma once

#include <atomic>
#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "recrl/config/resolved_experiment.hpp"
#include "recrl/core/errors.hpp"
#include "recrl/core/export.hpp"
#include "recrl/loader/registry.hpp"
#include "recrl/run/run_observer.hpp"
#include "recrl/run/run_plan.hpp"
#include "recrl/store/run_result.hpp"

namespace recrl {

// A run asked to continue (--resume): from the checkpoint the store recorded for it, or from
// the one in its own folder (written, but killed before the store recorded it). Neither there:
// from zero.
struct ResumeFrom {
  std::optional<std::filesystem::path> recorded;
};

// Thrown by a trainer when the experiment's stop flag was raised: the run was interrupted.
struct RunStopped {};

// Thrown by a trainer when what trained the run went away (an MPI rank that died): the run is
// recorded failed and the experiment goes on with the others.
class RECRL_API RunLost : public Error {
 public:
  using Error::Error;
};

// Where the experiment's claimed runs are trained: on this process's threads (LocalTrainer) or
// elsewhere (the MPI ranks of recrl run --mpi). run_experiment plans, claims and records; a
// trainer only trains.
class RECRL_API RunTrainer {
 public:
  virtual ~RunTrainer();
  // How many runs it trains at once: run_experiment keeps that many going.
  virtual std::size_t slots() const = 0;
  // Trains `run` and returns its result, after its policy, curve and metrics files are written.
  // Tells `events` on_run_started once the run has its place (progress.where says which), then
  // its curve points, heartbeats and checkpoints, on any thread; its progress goes to
  // `progress`. Throws RunStopped when stopped, RunLost as above, any other error for a run
  // that failed.
  virtual RunResult train(const PlannedRun& run, std::optional<double> oracle_mean,
                          const std::optional<ResumeFrom>& resume, RunObserver& events,
                          RunProgress& progress) = 0;
};

// Trains each run on the calling thread, with plugin objects of its own.
class RECRL_API LocalTrainer : public RunTrainer {
 public:
  // `stop`: non-zero stops a run at its next step batch (RunStopped). The variants and the
  // registry must outlive the trainer.
  LocalTrainer(const std::vector<ResolvedExperiment>& variants,
               const plugin::PluginRegistry& registry, int jobs,
               const std::atomic<int>* stop = nullptr);
  std::size_t slots() const override { return slots_; }
  RunResult train(const PlannedRun& run, std::optional<double> oracle_mean,
                  const std::optional<ResumeFrom>& resume, RunObserver& events,
                  RunProgress& progress) override;

 private:
  const std::vector<ResolvedExperiment>& variants_;
  const plugin::PluginRegistry& registry_;
  std::size_t slots_;
  const std::atomic<int>* stop_;
};

}  // namespace recrl
