#pragma once

#include <chrono>
#include <memory>
#include <thread>
#include <vector>

#include "recrl/core/export.hpp"
#include "recrl/run/run_observer.hpp"

namespace recrl {

// Shows how an experiment's runs are going, on stderr, from a thread of its own that reads the
// runs' RunProgress counters: the training loops never wait for it.
class RECRL_API ProgressDisplay : public RunObserver {
 public:
  enum class Mode {
    // For a terminal: one line per active run (label, bar, env steps, steps/s, latest
    // evaluation, ETA) and a total bar, redrawn at most 5 times a second. While it lives, the
    // default logger's lines (and those of loggers made meanwhile) are printed above it.
    live,
    // For a log file or a pipe: an info line per active run every `plain_interval`.
    plain,
  };

  explicit ProgressDisplay(Mode mode,
                           std::chrono::milliseconds plain_interval = std::chrono::seconds(10));
  // Stops the thread and erases the live display, so that what follows prints cleanly.
  ~ProgressDisplay() override;
  ProgressDisplay(const ProgressDisplay&) = delete;
  ProgressDisplay& operator=(const ProgressDisplay&) = delete;

  void on_plan(const std::vector<PlannedRun>& plan) override;
  void on_run_started(const PlannedRun& run, const RunProgress& progress) override;
  void on_run_finished(const PlannedRun& run, const RunResult& result) override;
  void on_run_failed(const PlannedRun& run, const std::string& message) override;
  void on_run_skipped(const PlannedRun& run) override;

  struct State;  // src/run/progress_display.cpp

 private:
  std::shared_ptr<State> state_;  // shared with the log sink that prints above the display
  std::thread thread_;
};

}  // namespace recrl
