#pragma once

#include <vector>

#include "recrl/run/run_observer.hpp"

namespace recrl {

// Forwards every event to each observer in turn, in the order given (the store first, so that
// a display never shows a run as done before the store has it).
class ObserverList : public RunObserver {
 public:
  explicit ObserverList(std::vector<RunObserver*> observers) : observers_(std::move(observers)) {}

  void on_plan(const std::vector<PlannedRun>& plan) override {
    for (RunObserver* o : observers_) o->on_plan(plan);
  }
  void on_run_started(const PlannedRun& run, const RunProgress& progress) override {
    for (RunObserver* o : observers_) o->on_run_started(run, progress);
  }
  void on_curve_point(const PlannedRun& run, const store::CurvePoint& point) override {
    for (RunObserver* o : observers_) o->on_curve_point(run, point);
  }
  void on_heartbeat(const PlannedRun& run) override {
    for (RunObserver* o : observers_) o->on_heartbeat(run);
  }
  void on_checkpoint(const PlannedRun& run, const std::filesystem::path& file) override {
    for (RunObserver* o : observers_) o->on_checkpoint(run, file);
  }
  void on_run_finished(const PlannedRun& run, const RunResult& result) override {
    for (RunObserver* o : observers_) o->on_run_finished(run, result);
  }
  void on_run_failed(const PlannedRun& run, const std::string& message) override {
    for (RunObserver* o : observers_) o->on_run_failed(run, message);
  }
  void on_run_skipped(const PlannedRun& run) override {
    for (RunObserver* o : observers_) o->on_run_skipped(run);
  }

 private:
  std::vector<RunObserver*> observers_;
};

}  // namespace recrl
