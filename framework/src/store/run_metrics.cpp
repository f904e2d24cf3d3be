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
  return finished;
}

}  // namespace recrl::store
