#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <string>
#include <vector>

#include "recrl/core/export.hpp"
#include "recrl/store/run_result.hpp"
#include "recrl/store/records.hpp"

namespace recrl {

struct PlannedRun;

// How often a training run tells its observers it is alive (the store's owners must heartbeat
// well within its stale limit of minutes).
inline constexpr std::chrono::seconds kRunHeartbeatInterval{10};

// What a training run publishes as it goes, for displays. The run's thread only stores into
// these (relaxed atomics, nothing else in the training loop); any thread may read them.
struct RunProgress {
  std::int64_t total_steps = 0;  // the run's training budget, set before it starts
  std::atomic<std::int64_t> env_steps{0};
  // The mean return of the latest evaluation during training; NaN before the first one.
  std::atomic<double> latest_eval_mean{std::numeric_limits<double>::quiet_NaN()};
  // Where it runs, for displays ("rank 2"); empty on this process. Set before on_run_started.
  std::string where;
};

// The events of an experiment's runs. Every event of a run is emitted on the thread that runs
// it, and with --jobs N several runs emit at once: an observer synchronises itself.
// Every method does nothing by default.
class RECRL_API RunObserver {
 public:
  virtual ~RunObserver();

  // The runs this process is about to consider (this share of the plan), before any starts;
  // on the thread that called run_experiment.
  virtual void on_plan(const std::vector<PlannedRun>& plan);
  // The run was claimed and is about to build its plugins and train. `progress` lives until
  // on_run_finished or on_run_failed returns.
  virtual void on_run_started(const PlannedRun& run, const RunProgress& progress);
  // A point of the run's learning curve, as soon as it is evaluated (the final evaluation too).
  virtual void on_curve_point(const PlannedRun& run, const store::CurvePoint& point);
  // The run is still training: emitted about every kRunHeartbeatInterval while it steps (the
  // clock is read every 64 step batches, so a long update or evaluation delays it).
  virtual void on_heartbeat(const PlannedRun& run);
  // The run wrote a checkpoint (train.checkpoint_every) to `file`, which --resume continues from.
  virtual void on_checkpoint(const PlannedRun& run, const std::filesystem::path& file);
  // The run ended, and its policy, curve and metrics files are written.
  virtual void on_run_finished(const PlannedRun& run, const RunResult& result);
  // The run stopped: `message` is one line ("interrupted" after SIGINT or SIGTERM).
  virtual void on_run_failed(const PlannedRun& run, const std::string& message);
  // The run was not started: finished already (--resume), or being run by another process.
  virtual void on_run_skipped(const PlannedRun& run);
};

}  // namespace recrl
