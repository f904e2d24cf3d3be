#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "recrl/config/resolved_experiment.hpp"
#include "recrl/core/errors.hpp"
#include "recrl/core/export.hpp"
#include "recrl/core/params.hpp"
#include "recrl/loader/registry.hpp"
#include "recrl/store/run_result.hpp"
#include "recrl/run/run_observer.hpp"
#include "recrl/run/run_plan.hpp"

namespace recrl {

namespace store {
class ResultStore;
}
class RunTrainer;

struct RunOptions {
  int jobs = 1;         // runs at once, each on its own thread with its own plugin objects
  int shard_index = 1;  // run only share shard_index (1-based) of shard_count
  int shard_count = 1;
  // Where every run is recorded (docs/result-store.md); the final table is then read from it.
  // None: the runs are only in their folders and results.{md,csv,json}.
  store::ResultStore* store = nullptr;
  // With a store: runs it has finished are skipped and their stored results enter the table;
  // the others (failed, pending, left running by a dead process) are run. Without --resume
  // every run is run again from zero and replaces its stored result. A resumed run that left a
  // checkpoint (train.checkpoint_every) continues from it.
  bool resume = false;
  // Told about every run's events besides the store (e.g. a ProgressDisplay).
  std::vector<RunObserver*> observers;
  // Set to a signal number (by a signal handler) to stop: training runs stop at their next step
  // batch and are recorded failed "interrupted", no new run starts, no results file is written,
  // and run_experiment throws ExperimentInterrupted.
  const std::atomic<int>* stop = nullptr;
  // Where the runs are trained; none: on `jobs` threads of this process (a LocalTrainer).
  RunTrainer* trainer = nullptr;
};

// run_experiment was stopped through RunOptions::stop; what() is one line for the user.
class RECRL_API ExperimentInterrupted : public Error {
 public:
  ExperimentInterrupted(int signal, const std::string& message);
  int signal() const { return signal_; }

 private:
  int signal_;
};

// Trains and evaluates the planned runs (options.jobs at a time; the numbers do not depend on
// it), saves each run's policy and learning curve in its folder (<output>/runs[/<variant>]/
// <label>__s<seed>/), writes config.resolved.yaml (per variant in a sweep), records everything
// in options.store if given, and, when every run has finished, writes results.{md,csv,json}
// into the output folder; a shard (shard_count > 1) writes none and leaves the experiment's
// alone (they come from the merged store: recrl merge, then compare or report). With a store the
// result is read back from it, so runs skipped by
// --resume are in it too. Throws ExperimentInterrupted when stopped, and an Error naming the
// run when one of them is being run by another live process right now.
RECRL_API ExperimentResult run_experiment(const std::vector<ResolvedExperiment>& variants,
                                          const plugin::PluginRegistry& registry,
                                          const RunOptions& options = {});
// The same for an experiment without a sweep.
RECRL_API ExperimentResult run_experiment(const ResolvedExperiment& experiment,
                                          const plugin::PluginRegistry& registry,
                                          const RunOptions& options = {});

}  // namespace recrl
