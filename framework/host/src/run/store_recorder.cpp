#include "store_recorder.hpp"

#include <spdlog/spdlog.h>

#include "recrl/config/yaml_value.hpp"
#include "recrl/store/run_metrics.hpp"
#include "value_json.hpp"

namespace recrl {

StoreRecorder::StoreRecorder(store::ResultStore& store,
                             const std::vector<ResolvedExperiment>& variants,
                             std::vector<std::string> action_labels, bool resume)
    : store_(store),
      variants_(variants),
      action_labels_(std::move(action_labels)),
      resume_(resume) {}

void StoreRecorder::record_plan(const std::vector<PlannedRun>& plan) {
  const config::Experiment& e = variants_.front().experiment;
  // Without a sweep, config.resolved.yaml; with one, each variant's, under its label.
  Value resolved = variants_.front().resolved_document();
  if (variants_.size() > 1 || !e.variant.empty()) {
    std::vector<Value::Entry> by_variant;
    for (const ResolvedExperiment& x : variants_)
      by_variant.emplace_back(x.experiment.variant, x.resolved_document());
    resolved = Value::map(std::move(by_variant));
  }
  // One transaction for the whole plan: a sweep of thousands of runs is recorded at once.
  auto batch = store_.begin_batch();
  store_.record_experiment({e.name, e.file.string(), config::to_yaml(resolved), 0, 0});
  for (const ResolvedExperiment& x : variants_) {
    nlohmann::json assignments = nlohmann::json::object();
    for (const auto& [path, value] : x.experiment.assignments) assignments[path] = to_json(value);
    store_.record_variant({e.name, x.experiment.variant, assignments.dump()});
  }
  for (const PlannedRun& run : plan) store_.plan_run(info_of(run));
  batch.commit();
}

store::Claim StoreRecorder::claim(const PlannedRun& run) {
  const store::RunInfo info = info_of(run);
  if (resume_) return store_.claim_run(info);
  auto batch = store_.begin_batch();
  store_.reset_run(run.id);
  const store::Claim claim = store_.claim_run(info);
  batch.commit();
  return claim;
}

std::optional<RunResult> StoreRecorder::stored_result(const PlannedRun& run) const {
  const std::optional<store::RunRecord> record = store_.run(run.id);
  if (!record || record->status != store::RunStatus::finished) return std::nullopt;
  RunResult r = store::run_result_of(*record, store_.metrics(run.id), store_.action_counts(run.id),
                                     store_.reward_components(run.id));
  r.curve = run.dir / "curve.csv";
  return r;
}

void StoreRecorder::on_curve_point(const PlannedRun& run, const store::CurvePoint& point) {
  store_.add_curve_point(run.id, point);
}

void StoreRecorder::on_checkpoint(const PlannedRun& run, const std::filesystem::path& file) {
  // Absolute, like the policy: a later --resume may run from another folder.
  store_.set_checkpoint(run.id, std::filesystem::absolute(file));
}

void StoreRecorder::on_heartbeat(const PlannedRun& run) {
  if (!store_.heartbeat(run.id)) {
    spdlog::warn("run {} ({}) was taken over by another process; the first to finish it is kept",
                 run.id, run.label);
  }
}

void StoreRecorder::on_run_finished(const PlannedRun& run, const RunResult& result) {
  store::FinishedRun finished = store::finished_run_of(result, action_labels_);
  // Absolute: the store is read from other folders (recrl recommend --run, export).
  finished.policy = std::filesystem::absolute(finished.policy);
  if (!store_.finish_run(run.id, finished)) {
    spdlog::warn("run {} ({}) had been finished by another process already; its result is kept",
                 run.id, run.label);
  }
}

void StoreRecorder::on_run_failed(const PlannedRun& run, const std::string& message) {
  // The run's own error is what the user must see; a store that cannot record it only warns.
  try {
    store_.fail_run(run.id, message);
  } catch (const store::StoreError& e) {
    spdlog::warn("{}", e.what());
  }
}

store::RunInfo StoreRecorder::info_of(const PlannedRun& run) const {
  const ResolvedExperiment& x = variants_[run.variant];
  const ResolvedAlgorithm& algo = x.algorithms[run.algorithm];
  store::RunInfo info;
  info.run_id = run.id;
  info.experiment = x.experiment.name;
  info.variant = x.experiment.variant;
  info.algorithm = algo.use.label;
  info.plugin = algo.info->name;
  info.plugin_version = algo.info->version;
  info.env_plugin = x.env.info->name;
  info.env_version = x.env.info->version;
  info.reward_plugin = x.reward.info->name;
  info.reward_version = x.reward.info->version;
  info.seed = run.seed;
  info.resolved_yaml = config::to_yaml(x.resolved_document());
  return info;
}

}  // namespace recrl
