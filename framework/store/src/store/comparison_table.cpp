#include "recrl/store/comparison_table.hpp"

#include <algorithm>
#include <array>
#include <map>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "recrl/util/text_hash.hpp"
#include "recrl/core/errors.hpp"
#include "recrl/core/random.hpp"
#include "recrl/stats/summary.hpp"

namespace recrl::store {

namespace {

const std::array<ComparedMetric, 5> kMetrics = {{
    {"eval_mean", "mean return on the held-out evaluation episodes", 4},
    {"pct_oracle", "eval_mean as a percentage of the oracle's on the same episodes", 2},
    {"steps_per_s", "training environment steps per second", 0},
    {"wall_s", "wall time of the whole run in seconds", 2},
    {"env_steps", "training environment steps", 0},
}};

std::string metric_names() {
  std::string names;
  for (const ComparedMetric& m : kMetrics) names += (names.empty() ? "" : ", ") + m.name;
  return names + ", reward/<component>, env/<counter>";
}

// The stored component a metric names (reward/<component> or env/<counter>), or "" for none.
std::string component_of_metric(std::string_view metric) {
  if (metric.starts_with(kRewardComponentPrefix) && metric.size() > kRewardComponentPrefix.size())
    return std::string(metric.substr(kRewardComponentPrefix.size()));
  if (metric.starts_with(kEnvCounterPrefix) && metric.size() > kEnvCounterPrefix.size())
    return env_counter_name(std::string(metric.substr(kEnvCounterPrefix.size())));
  return "";
}

// The names of the experiments to compare: the given ones, each checked, or all of the store's.
std::vector<std::string> experiments_to_compare(const ResultStore& store,
                                                const std::vector<std::string>& requested) {
  std::vector<std::string> known;
  for (const ExperimentSummary& e : store.experiments()) known.push_back(e.experiment.name);
  for (const OpeRecord& e : store.ope_results()) {
    if (std::find(known.begin(), known.end(), e.experiment) == known.end())
      known.push_back(e.experiment);
  }
  if (requested.empty()) return known;
  for (const std::string& name : requested) {
    if (std::find(known.begin(), known.end(), name) == known.end()) {
      throw ConfigError(
          fmt::format("{}: no experiment '{}' (experiments: {})", store.path().string(), name,
                      known.empty() ? "none" : fmt::format("{}", fmt::join(known, ", "))));
    }
  }
  // Each experiment once, in the order first given: a repeated name would only repeat rows.
  std::vector<std::string> unique;
  for (const std::string& name : requested) {
    if (std::find(unique.begin(), unique.end(), name) == unique.end()) unique.push_back(name);
  }
  return unique;
}

// Each interval and verdict draws from its own stream, named by what it is about, so that it
// does not change when rows are added to the table or reordered.
Rng stream_for(const ComparisonOptions& options, const std::string& what) {
  return Rng(derive_seed(options.bootstrap_seed, Stream::User, util::text_hash(what)));
}

std::string row_key(const ComparisonRow& row) {
  return row.experiment + '\n' + row.variant + '\n' + row.algorithm;
}

void summarize_row(ComparisonRow& row, const ComparisonOptions& options) {
  const stats::SampleSummary summary = stats::summarize_sample(row.values);
  row.mean = summary.mean;
  row.std = summary.std;
  row.median = summary.median;
  const stats::ScoreMatrix scores = stats::single_task(row.values);
  Rng mean_rng = stream_for(options, "mean\n" + options.metric + '\n' + row_key(row));
  row.mean_interval =
      stats::bootstrap_interval(scores, stats::Aggregate::Mean, mean_rng, options.bootstrap);
  Rng iqm_rng = stream_for(options, "iqm\n" + options.metric + '\n' + row_key(row));
  row.iqm = stats::bootstrap_interval(scores, stats::Aggregate::Iqm, iqm_rng, options.bootstrap);
}

// The mean of each reward component over `runs` (in order of first appearance), each over the
// runs that have it.
std::vector<RewardComponentMean> component_means(
    const std::vector<const std::vector<RewardComponentMean>*>& runs) {
  std::vector<RewardComponentMean> sums;
  std::vector<int> counts;
  for (const auto* components : runs) {
    for (const RewardComponentMean& c : *components) {
      auto it = std::find_if(sums.begin(), sums.end(),
                             [&](const RewardComponentMean& s) { return s.name == c.name; });
      if (it == sums.end()) {
        sums.push_back({c.name, 0.0});
        counts.push_back(0);
        it = sums.end() - 1;
      }
      it->mean += c.mean;
      ++counts[static_cast<std::size_t>(it - sums.begin())];
    }
  }
  for (std::size_t i = 0; i < sums.size(); ++i) sums[i].mean /= counts[i];
  return sums;
}

// The rows of one experiment, in the store's order (variant, algorithm, seed).
void add_rows(const ResultStore& store, const std::string& experiment,
              const ComparisonOptions& options, ComparisonTable& table) {
  const std::map<std::string, Metrics> metrics = store.metrics_by_run(experiment);
  const auto components = store.reward_components_by_run(experiment);
  const std::string component_name = component_of_metric(options.metric);
  const bool by_component = !component_name.empty();
  // The metric's value for a run, if it has one.
  const auto value_of = [&](const std::string& run_id) -> std::optional<double> {
    if (by_component) {
      const auto run = components.find(run_id);
      if (run == components.end()) return std::nullopt;
      for (const RewardComponentMean& c : run->second)
        if (c.name == component_name) return c.mean;
      return std::nullopt;
    }
    const auto run = metrics.find(run_id);
    if (run == metrics.end()) return std::nullopt;
    const auto value = run->second.find(options.metric);
    if (value == run->second.end()) return std::nullopt;
    return value->second;
  };
  struct Group {
    ComparisonRow row;
    int finished = 0;
    std::vector<const std::vector<RewardComponentMean>*> components;
  };
  std::vector<Group> groups;
  for (const RunRecord& run : store.runs(experiment)) {
    if (run.status != RunStatus::finished) continue;
    const RunInfo& info = run.info;
    if (groups.empty() || groups.back().row.variant != info.variant ||
        groups.back().row.algorithm != info.algorithm) {
      groups.push_back(
          {{info.experiment, info.variant, info.algorithm, info.plugin, {}, 0, {}, 0, {}, {}, {}},
           0,
           {}});
    }
    Group& group = groups.back();
    ++group.finished;
    if (const auto run_components = components.find(info.run_id);
        run_components != components.end())
      group.components.push_back(&run_components->second);
    if (const auto value = value_of(info.run_id)) group.row.values.push_back(*value);
  }
  for (Group& group : groups) {
    ComparisonRow& row = group.row;
    if (row.values.empty()) {
      table.omitted.push_back(fmt::format("{} {}{}: none of its {} finished runs has {}",
                                          row.experiment,
                                          row.variant.empty() ? "" : "[" + row.variant + "] ",
                                          row.algorithm, group.finished, options.metric));
      continue;
    }
    summarize_row(row, options);
    row.components = component_means(group.components);
    table.rows.push_back(std::move(row));
  }
}

// How two rows that differ in exactly one of experiment, variant and algorithm are named in
// their comparison: by what differs, with what they share as context. Empty names when they
// differ in more than one.
struct PairNames {
  std::string first, second, context;
};

std::optional<PairNames> pair_names(const ComparisonRow& a, const ComparisonRow& b) {
  const bool same_experiment = a.experiment == b.experiment;
  const bool same_variant = a.variant == b.variant;
  const bool same_algorithm = a.algorithm == b.algorithm;
  const auto with_variant = [](const std::string& text, const std::string& variant) {
    return variant.empty() ? text : text + " [" + variant + "]";
  };
  if (same_experiment && same_variant && !same_algorithm)
    return PairNames{a.algorithm, b.algorithm, with_variant(a.experiment, a.variant)};
  if (same_experiment && !same_variant && same_algorithm)
    return PairNames{a.variant.empty() ? "(no variant)" : a.variant,
                     b.variant.empty() ? "(no variant)" : b.variant,
                     a.experiment + ", " + a.algorithm};
  if (!same_experiment && same_variant && same_algorithm)
    return PairNames{a.algorithm + " in " + a.experiment, b.algorithm + " in " + b.experiment,
                     a.variant.empty() ? "" : "[" + a.variant + "]"};
  return std::nullopt;
}

void add_pairs(const ComparisonOptions& options, ComparisonTable& table) {
  const std::vector<ComparisonRow>& rows = table.rows;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    for (std::size_t j = i + 1; j < rows.size(); ++j) {
      const std::optional<PairNames> names = pair_names(rows[i], rows[j]);
      if (!names) continue;
      Rng rng = stream_for(options, "compare\n" + options.metric + '\n' + row_key(rows[i]) + '\n' +
                                        row_key(rows[j]));
      table.pairs.push_back({i, j, names->context,
                             stats::compare_algorithms(
                                 names->first, stats::single_task(rows[i].values), names->second,
                                 stats::single_task(rows[j].values), rng, options.bootstrap)});
    }
  }
}

}  // namespace

std::span<const ComparedMetric> compared_metrics() { return kMetrics; }

ComparedMetric compared_metric(std::string_view name) {
  for (const ComparedMetric& m : kMetrics) {
    if (m.name == name) return m;
  }
  if (name.starts_with(kRewardComponentPrefix) && name.size() > kRewardComponentPrefix.size()) {
    const std::string component(name.substr(kRewardComponentPrefix.size()));
    return {std::string(name),
            "the reward component " + component + ", mean per evaluation episode", 4};
  }
  if (name.starts_with(kEnvCounterPrefix) && name.size() > kEnvCounterPrefix.size()) {
    const std::string counter(name.substr(kEnvCounterPrefix.size()));
    return {std::string(name),
            "the environment counter " + counter + ", mean per evaluation episode", 4};
  }
  throw ConfigError(fmt::format("--metric '{}': not a metric recrl compares (accepted: {})", name,
                                metric_names()));
}

std::string ComparisonPair::str() const {
  return context.empty() ? comparison.str() : context + ": " + comparison.str();
}

ComparisonTable build_comparison(const ResultStore& store,
                                 const std::vector<std::string>& experiments,
                                 const ComparisonOptions& options) {
  ComparisonTable table;
  table.metric = compared_metric(options.metric);
  options.bootstrap.check();
  table.options = options;
  for (const std::string& experiment : experiments_to_compare(store, experiments)) {
    add_rows(store, experiment, options, table);
    for (OpeRecord& evaluation : store.ope_results(experiment)) {
      std::optional<double> simulated;
      if (evaluation.run_id) {
        const Metrics metrics = store.metrics(*evaluation.run_id);
        if (const auto found = metrics.find("eval_mean"); found != metrics.end())
          simulated = found->second;
      }
      table.off_policy.push_back({std::move(evaluation), simulated});
    }
  }
  add_pairs(options, table);
  return table;
}

}  // namespace recrl::store
