#include "recrl/store/run_metrics.hpp"

namespace recrl::store {

FinishedRun finished_run_of(const RunResult& run, const std::vector<std::string>& action_labels) {
  FinishedRun finished;
  finished.metrics = {{"eval_mean", run.eval_mean},
                      {"eval_std", run.eval_std},
                      {"env_steps", static_cast<double>(run.env_steps)},
                      {"wall_s", run.wall_s},
                      {"train_s", run.train_s},
                      {"steps_per_s", run.steps_per_s},
                      {"env_s", run.env_s},
                      {"act_s", run.act_s},
                      {"update_s", run.update_s},
                      {"eval_s", run.eval_s}};
  if (run.update_flops > 0) finished.metrics.emplace("update_flops", run.update_flops);
  if (run.pct_oracle) finished.metrics.emplace("pct_oracle", *run.pct_oracle);
  finished.policy = run.policy;
  for (std::size_t a = 0; a < run.action_counts.size(); ++a) {
    finished.action_counts.push_back({static_cast<int>(a),
                                      a < action_labels.size() ? action_labels[a] : std::string(),
                                      run.action_counts[a]});
  }
  finished.reward_components = run.reward_components;
  return finished;
}

RunResult run_result_of(const RunRecord& record, const Metrics& metrics,
                        const std::vector<ActionCount>& action_counts,
                        std::vector<RewardComponentMean> reward_components) {
  const auto metric = [&](const char* name) {
    const auto found = metrics.find(name);
    return found == metrics.end() ? 0.0 : found->second;
  };
  RunResult r;
  r.run_id = record.info.run_id;
  r.variant = record.info.variant;
  r.label = record.info.algorithm;
  r.plugin = record.info.plugin;
  r.plugin_version = record.info.plugin_version;
  r.seed = record.info.seed;
  r.eval_mean = metric("eval_mean");
  r.eval_std = metric("eval_std");
  if (metrics.count("pct_oracle")) r.pct_oracle = metric("pct_oracle");
  r.env_steps = static_cast<std::int64_t>(metric("env_steps"));
  r.wall_s = metric("wall_s");
  r.train_s = metric("train_s");
  r.steps_per_s = metric("steps_per_s");
  r.env_s = metric("env_s");
  r.act_s = metric("act_s");
  r.update_s = metric("update_s");
  r.eval_s = metric("eval_s");
  r.update_flops = metric("update_flops");
  r.policy = record.policy.value_or(std::filesystem::path());
  for (const ActionCount& a : action_counts) {
    if (a.action < 0) continue;
    const auto index = static_cast<std::size_t>(a.action);
    if (r.action_counts.size() <= index) r.action_counts.resize(index + 1, 0);
    r.action_counts[index] = a.count;
  }
  r.reward_components = std::move(reward_components);
  return r;
}

}  // namespace recrl::store
