#pragma once

#include <optional>
#include <string>
#include <vector>

#include "recrl/run/run_observer.hpp"
#include "recrl/run/runner.hpp"
#include "recrl/store/result_store.hpp"

namespace recrl {

// Records an experiment's runs in the result store, in the order docs/result-store.md
// describes: the experiment, its variants and its planned runs first, then each run's claim,
// curve points, heartbeats and end. The store is thread safe; this keeps no state of its own
// beyond what it was given.
class StoreRecorder : public RunObserver {
 public:
  StoreRecorder(store::ResultStore& store, const std::vector<ResolvedExperiment>& variants,
                std::vector<std::string> action_labels, bool resume);

  // The experiment, its variants and every planned run (as pending, unless known already).
  void record_plan(const std::vector<PlannedRun>& plan);

  // Whether this process should do the run now, marking it running if so. Without --resume a
  // finished or failed run is first reset (its old results dropped), in the same transaction.
  store::Claim claim(const PlannedRun& run);

  // The stored result of a finished run, as the results tables take it; none unless finished.
  std::optional<RunResult> stored_result(const PlannedRun& run) const;

  void on_curve_point(const PlannedRun& run, const store::CurvePoint& point) override;
  void on_checkpoint(const PlannedRun& run, const std::filesystem::path& file) override;
  void on_heartbeat(const PlannedRun& run) override;
  void on_run_finished(const PlannedRun& run, const RunResult& result) override;
  void on_run_failed(const PlannedRun& run, const std::string& message) override;

 private:
  store::RunInfo info_of(const PlannedRun& run) const;

  store::ResultStore& store_;
  const std::vector<ResolvedExperiment>& variants_;
  std::vector<std::string> action_labels_;
  bool resume_;
};

}  // namespace recrl
