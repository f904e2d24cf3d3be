#pragma once

// A result store filled through the store API with a small experiment for the report's tests:
// ppo and a2c with 3 seeds each and an oracle with 2, learning curves and action counts.

#include <filesystem>
#include <string>
#include <vector>

#include "../store/store_test_support.hpp"
#include "recrl/store/result_store.hpp"

namespace recrl::test {

struct ReportRun {
  std::string algorithm;
  std::string variant;
  std::uint64_t seed = 0;
  double final_score = 0;
  std::vector<store::ActionCount> actions;
};

// Records one finished run with a rising learning curve of 8 points ending at its score.
inline void record_report_run(store::ResultStore& db, const std::string& experiment,
                              const ReportRun& r) {
  store::RunInfo info = run_info(
      experiment, experiment + "-" + r.variant + "-" + r.algorithm + "-" + std::to_string(r.seed),
      r.seed, r.algorithm);
  info.variant = r.variant;
  if (!db.claim_run(info).run_it) throw std::runtime_error("run not claimed");
  std::vector<store::CurvePoint> curve;
  for (int i = 1; i <= 8; ++i) {
    const double progress = i / 8.0;
    curve.push_back({12500 * i, r.final_score * progress + 0.01 * static_cast<double>(r.seed), 0.2,
                     4, std::nullopt, 0.5 * i});
  }
  db.add_curve_points(info.run_id, curve);
  store::FinishedRun finished = finished_of(r.final_score);
  finished.metrics["pct_oracle"] = 100 * r.final_score / 0.9;
  finished.action_counts = r.actions;
  if (!db.finish_run(info.run_id, finished)) throw std::runtime_error("run not finished");
}

// The report's standard experiment, named `experiment`, in the store at `file`.
inline void fill_report_store(const std::filesystem::path& file, const std::string& experiment,
                              bool with_actions = true) {
  auto db = store::ResultStore::open(file, store_options());
  db.record_experiment(experiment_record(experiment));
  const auto actions = [with_actions](std::int64_t discount, std::int64_t reminder,
                                      std::int64_t nothing) {
    return with_actions ? std::vector<store::ActionCount>{{0, "discount <10%> & email", discount},
                                                          {1, "reminder email", reminder},
                                                          {2, "", nothing}}
                        : std::vector<store::ActionCount>{};
  };
  const std::vector<ReportRun> runs{
      {"ppo", "base", 0, 0.50, actions(60, 30, 10)},
      {"ppo", "base", 1, 0.60, actions(65, 30, 5)},
      {"ppo", "base", 2, 0.70, actions(70, 25, 5)},
      {"a2c", "base", 0, 0.40, actions(20, 40, 40)},
      {"a2c", "base", 1, 0.45, actions(25, 40, 35)},
      {"a2c", "base", 2, 0.35, actions(30, 40, 30)},
      {"oracle", "base", 0, 0.90, actions(80, 20, 0)},
      {"oracle", "base", 1, 0.90, actions(80, 20, 0)},
  };
  for (const ReportRun& run : runs) record_report_run(db, experiment, run);
}

}  // namespace recrl::test
