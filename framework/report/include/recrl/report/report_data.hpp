#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "recrl/core/export.hpp"
#include "recrl/report/curve_band.hpp"
#include "recrl/store/comparison_table.hpp"
#include "recrl/store/result_store.hpp"

namespace recrl::report {

// One (variant, algorithm) of an experiment over its finished runs: what the report shows
// of it.
struct RECRL_API AlgorithmResult {
  std::string variant;  // empty outside a sweep
  std::string algorithm;
  std::string plugin;
  std::vector<std::uint64_t> seeds;  // of its finished runs, in order
  // The final eval reward per seed with mean, std and IQM with its bootstrap interval, from
  // the comparison table of `recrl compare` (store/comparison_table.hpp).
  store::ComparisonRow eval;
  std::optional<double> pct_oracle;   // mean over seeds, when every seed has it
  std::optional<double> steps_per_s;  // mean over seeds, when every seed has it
  CurveBand curve;
  std::vector<store::ActionCount> actions;  // summed over seeds, by action; empty if none

  bool is_oracle() const { return plugin == "oracle"; }
};

// Which features one policy's choices hang on, over held-out customers (docs/explain.md): the
// mean |Shapley contribution| of each feature to the chosen action's margin, over all the
// decisions and per chosen action.
struct RECRL_API FeatureImportance {
  std::string variant;  // empty outside a sweep
  std::string algorithm;
  std::string run_id;  // the run whose policy was explained
  int customers = 0;
  std::vector<std::string> features;
  std::vector<std::string> actions;
  std::vector<double> overall;                 // [feature]
  std::vector<std::vector<double>> by_action;  // [feature][action]; 0 where never chosen
  std::vector<int> chosen;                     // [action]: how many customers got it
};

// Everything `recrl report` draws, read from a store. Deterministic: the same store gives the
// same data, intervals included (the comparison table's bootstrap has a fixed seed).
struct RECRL_API ReportData {
  store::ExperimentSummary experiment;
  std::vector<std::string> environments;  // "recommendation 1.0.0", each once, in run order
  std::vector<std::string> rewards;
  std::optional<store::Timestamp> first_started;  // of the finished runs
  std::optional<store::Timestamp> last_finished;
  std::vector<std::string> variants;  // each once, in run order ("" outside a sweep)
  std::vector<AlgorithmResult> algorithms;
  stats::BootstrapOptions bootstrap;  // of the IQM intervals
  // Which algorithms are distinguishable: the verdicts of the comparison table's pairs.
  std::vector<std::string> verdicts;
  // Off-policy evaluations recorded with the experiment (`recrl ope --record` or `--run`).
  std::vector<store::OffPolicyRow> off_policy;
  // Filled by the caller (recrl report explains the policies it can): one per algorithm.
  std::vector<FeatureImportance> importance;

  // More than one variant: only then do tables and plots name them.
  bool has_variants() const { return variants.size() > 1; }
};

// Reads `experiment`'s finished runs from `store`. Throws recrl::ConfigError (one line, naming
// the store's file) when the store has no such experiment (listing those it has) or the
// experiment has no finished run yet (saying how many are pending, running, failed).
RECRL_API ReportData load_report_data(const store::ResultStore& store,
                                      const std::string& experiment);

}  // namespace recrl::report
