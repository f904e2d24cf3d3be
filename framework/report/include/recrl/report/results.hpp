#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "recrl/core/export.hpp"
#include "recrl/store/run_result.hpp"

namespace recrl {

// One row of the comparison table: an algorithm (in one variant) over its seeds.
struct SummaryRow {
  std::string variant;
  std::string label;
  std::string plugin;
  int seeds = 0;
  double mean = 0;                   // mean over seeds of eval_mean
  double std = 0;                    // sample standard deviation over seeds (0 for one seed)
  std::optional<double> pct_oracle;  // mean over seeds
  double env_steps = 0;              // mean over seeds
  double wall_s = 0;                 // mean over seeds
  double steps_per_s = 0;            // mean over seeds
  // Interquartile mean of eval_mean over seeds with its 95% stratified-bootstrap interval
  // (rliable); no interval with fewer than 2 seeds.
  double iqm = 0;
  std::optional<std::pair<double, double>> iqm_interval;
  // Each reward component's mean per evaluation episode, averaged over seeds, in the order of
  // ExperimentResult::reward_components (NaN where the runs lack it).
  std::vector<double> component_means;
};

// Whether two algorithms of one variant are distinguishable on eval_mean: one line such as
// "ppo > a2c (P = 0.83 [0.61, 0.97])" or "ppo ~ a2c: not distinguishable at 95% (...)".
struct PairComparison {
  std::string variant;
  std::string text;
  bool distinguishable = false;
};

// Rows in the order the (variant, algorithm) pairs first appear in `result.runs`.
RECRL_API std::vector<SummaryRow> summarize(const ExperimentResult& result);
// Every pair of algorithms within each variant, by probability of improvement.
RECRL_API std::vector<PairComparison> compare_pairs(const ExperimentResult& result);

RECRL_API std::string results_markdown(const ExperimentResult& result);
RECRL_API std::string results_csv(const ExperimentResult& result);
RECRL_API std::string results_json(const ExperimentResult& result);

// Writes results.md, results.csv and results.json into result.output, each atomically.
RECRL_API void write_results(const ExperimentResult& result);
// Removes results.{md,csv,json} from `output`, so that results of an earlier run are never
// taken for those of a run that then fails.
RECRL_API void remove_results(const std::filesystem::path& output);

}  // namespace recrl
