#include "recrl/report/report_data.hpp"

#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "recrl/core/errors.hpp"

namespace recrl::report {

namespace {

void add_once(std::vector<std::string>& list, const std::string& item) {
  if (std::find(list.begin(), list.end(), item) == list.end()) list.push_back(item);
}

const store::ExperimentSummary& find_experiment(const std::vector<store::ExperimentSummary>& all,
                                                const std::string& name,
                                                const store::ResultStore& store) {
  for (const store::ExperimentSummary& summary : all) {
    if (summary.experiment.name == name) return summary;
  }
  std::string names;
  for (const store::ExperimentSummary& summary : all) {
    names += (names.empty() ? "" : ", ") + summary.experiment.name;
  }
  throw ConfigError(
      fmt::format("report: {}: no experiment '{}' ({})", store.path().string(), name,
                  names.empty() ? "the store has none yet" : "experiments: " + names));
}

// The mean of `metric` over `runs`, when every one of them has it.
std::optional<double> mean_metric(const std::vector<const store::Metrics*>& runs,
                                  const std::string& metric) {
  double sum = 0;
  for (const store::Metrics* metrics : runs) {
    const auto value = metrics->find(metric);
    if (value == metrics->end()) return std::nullopt;
    sum += value->second;
  }
  return runs.empty() ? std::nullopt
                      : std::optional<double>(sum / static_cast<double>(runs.size()));
}

std::vector<store::ActionCount> summed_actions(const store::ResultStore& store,
                                               const std::vector<std::string>& run_ids) {
  std::map<int, store::ActionCount> by_action;
  for (const std::string& id : run_ids) {
    for (const store::ActionCount& count : store.action_counts(id)) {
      auto [it, inserted] = by_action.try_emplace(count.action, count);
      if (!inserted) {
        it->second.count += count.count;
        if (it->second.label.empty()) it->second.label = count.label;
      }
    }
  }
  std::vector<store::ActionCount> out;
  for (const auto& [action, count] : by_action) out.push_back(count);
  return out;
}

}  // namespace

ReportData load_report_data(const store::ResultStore& store, const std::string& experiment) {
  ReportData data;
  data.experiment = find_experiment(store.experiments(), experiment, store);
  const store::ExperimentSummary& counts = data.experiment;
  if (counts.finished == 0) {
    throw ConfigError(fmt::format(
        "report: {}: experiment '{}' has no finished run yet ({} pending, {} running, {} failed)",
        store.path().string(), experiment, counts.pending, counts.running, counts.failed));
  }
  const store::ComparisonTable table = store::build_comparison(store, {experiment});
  data.bootstrap = table.options.bootstrap;
  for (const store::ComparisonPair& pair : table.pairs) data.verdicts.push_back(pair.str());
  data.off_policy = table.off_policy;
  const std::map<std::string, store::Metrics> metrics = store.metrics_by_run(experiment);

  struct Group {
    AlgorithmResult result;
    std::vector<std::string> run_ids;
    std::vector<const store::Metrics*> metrics;
    std::vector<std::vector<store::CurvePoint>> curves;
  };
  std::vector<Group> groups;  // in the store's order: variant, algorithm, seed
  for (const store::RunRecord& run : store.runs(experiment)) {
    if (run.status != store::RunStatus::finished) continue;
    const store::RunInfo& info = run.info;
    add_once(data.environments, info.env_plugin + " " + info.env_version);
    add_once(data.rewards, info.reward_plugin + " " + info.reward_version);
    add_once(data.variants, info.variant);
    if (run.started_at && (!data.first_started || *run.started_at < *data.first_started)) {
      data.first_started = run.started_at;
    }
    if (run.finished_at && (!data.last_finished || *run.finished_at > *data.last_finished)) {
      data.last_finished = run.finished_at;
    }
    if (groups.empty() || groups.back().result.variant != info.variant ||
        groups.back().result.algorithm != info.algorithm) {
      groups.emplace_back();
      groups.back().result.variant = info.variant;
      groups.back().result.algorithm = info.algorithm;
      groups.back().result.plugin = info.plugin;
    }
    Group& group = groups.back();
    group.result.seeds.push_back(info.seed);
    group.run_ids.push_back(info.run_id);
    const auto run_metrics = metrics.find(info.run_id);
    if (run_metrics != metrics.end()) group.metrics.push_back(&run_metrics->second);
    group.curves.push_back(store.curve(info.run_id));
  }

  for (Group& group : groups) {
    AlgorithmResult& result = group.result;
    const auto row = std::find_if(table.rows.begin(), table.rows.end(), [&](const auto& r) {
      return r.variant == result.variant && r.algorithm == result.algorithm;
    });
    if (row == table.rows.end()) {
      // Only a store that breaks its own invariant (a finished run without eval_mean) gets here.
      throw ConfigError(
          fmt::format("report: {}: {}", store.path().string(),
                      table.omitted.empty() ? "a group has no eval_mean" : table.omitted.front()));
    }
    result.eval = *row;
    result.pct_oracle = mean_metric(group.metrics, "pct_oracle");
    result.steps_per_s = mean_metric(group.metrics, "steps_per_s");
    result.curve = curve_band(group.curves);
    result.actions = summed_actions(store, group.run_ids);
    data.algorithms.push_back(std::move(result));
  }
  return data;
}

}  // namespace recrl::report
