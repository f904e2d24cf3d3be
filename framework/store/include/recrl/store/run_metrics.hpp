#pragma once

#include <string>
#include <vector>

#include "recrl/core/export.hpp"
#include "recrl/store/run_result.hpp"
#include "recrl/store/records.hpp"

namespace recrl::store {

// What the store keeps of a finished run: its final metrics by the names every query and
// report uses (eval_mean, eval_std, pct_oracle where there is an oracle, env_steps, wall_s,
// train_s, steps_per_s, the time split env_s, act_s, update_s, eval_s, and update_flops where
// the algorithm reports it), its policy, its action counts labelled with `action_labels`
// (ExperimentResult::action_labels; missing labels stay empty) and its reward components.
RECRL_API FinishedRun finished_run_of(const RunResult& run,
                                      const std::vector<std::string>& action_labels);

// The inverse: a finished run as the store holds it (its record, final metrics, action counts
// and reward components) back as a RunResult, e.g. for the table of a --resume that skipped it. A
// metric the store lacks reads as 0 (pct_oracle stays empty). The run's curve file is not stored:
// curve is left empty.
RECRL_API RunResult run_result_of(const RunRecord& record, const Metrics& metrics,
                                  const std::vector<ActionCount>& action_counts,
                                  std::vector<RewardComponentMean> reward_components);

}  // namespace recrl::store
