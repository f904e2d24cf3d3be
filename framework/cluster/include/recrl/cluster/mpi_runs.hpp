#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "recrl/cluster/mpi_world.hpp"
#include "recrl/core/export.hpp"
#include "recrl/run/run_trainer.hpp"

namespace recrl::cluster {

// How long a rank may stay silent before it is taken for dead. Every rank speaks at least
// twice a second while it lives, whatever it is training.
struct MpiSettings {
  std::chrono::milliseconds rank_timeout{std::chrono::seconds(60)};
};

// Rank 0's trainer for recrl run --mpi: it trains runs on its own `local` slots and hands the
// others, one at a time, to the other ranks' free slots; their curve points, heartbeats,
// checkpoints and results come back to the experiment's observers (and so into the one
// store). A rank silent for rank_timeout loses its runs (RunLost) and gets no more.
class RECRL_API MpiTrainer : public RunTrainer {
 public:
  // Waits until every other rank has said how many runs it takes at once, or why it cannot
  // run (said in a warning; its runs go to the others). `stop` non-zero stops the others' runs.
  MpiTrainer(MpiWorld& world, RunTrainer& local, MpiSettings settings,
             const std::atomic<int>* stop);
  // Tells the other ranks to end.
  ~MpiTrainer() override;
  MpiTrainer(const MpiTrainer&) = delete;
  MpiTrainer& operator=(const MpiTrainer&) = delete;

  std::size_t slots() const override;
  RunResult train(const PlannedRun& run, std::optional<double> oracle_mean,
                  const std::optional<ResumeFrom>& resume, RunObserver& events,
                  RunProgress& progress) override;

  struct State;  // src/coordinator.cpp

 private:
  std::unique_ptr<State> state_;
};

// What a rank other than 0 loaded: the experiment (its plan is the same as rank 0's) and its
// plugins, or why it could not load them.
struct WorkerSetup {
  const std::vector<ResolvedExperiment>* variants = nullptr;
  const plugin::PluginRegistry* registry = nullptr;
  const std::vector<PlannedRun>* plan = nullptr;
  int jobs = 1;            // runs at once on this rank
  std::string cannot_run;  // non-empty: the error that stopped this rank from loading
};

// The life of a rank other than 0: says hello (or why it cannot run), trains what rank 0
// assigns until rank 0 says it is done, and sends back every run's events and result.
// `signals` (SIGINT, SIGTERM) stops its runs. Returns its exit status: 0, or 1 when rank 0
// went silent.
RECRL_API int work_for_rank_zero(MpiWorld& world, const WorkerSetup& setup,
                                 const std::atomic<int>& signals, MpiSettings settings);

}  // namespace recrl::cluster
