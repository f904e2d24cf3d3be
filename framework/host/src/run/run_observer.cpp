#include "recrl/run/run_observer.hpp"

#include "recrl/run/runner.hpp"

namespace recrl {

RunObserver::~RunObserver() = default;
void RunObserver::on_plan(const std::vector<PlannedRun>&) {}
void RunObserver::on_run_started(const PlannedRun&, const RunProgress&) {}
void RunObserver::on_curve_point(const PlannedRun&, const store::CurvePoint&) {}
void RunObserver::on_heartbeat(const PlannedRun&) {}
void RunObserver::on_checkpoint(const PlannedRun&, const std::filesystem::path&) {}
void RunObserver::on_run_finished(const PlannedRun&, const RunResult&) {}
void RunObserver::on_run_failed(const PlannedRun&, const std::string&) {}
void RunObserver::on_run_skipped(const PlannedRun&) {}

}  // namespace recrl
