#include "recrl/report/results.hpp"

#include <algorithm>
#include <cmath>
#include <map>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "recrl/util/table_text.hpp"
#include "recrl/util/atomic_file.hpp"
#include "recrl/core/random.hpp"
#include "recrl/stats/bootstrap.hpp"
#include "recrl/stats/comparison.hpp"
#include "recrl/stats/summary.hpp"
#include "recrl/util/text_hash.hpp"

namespace recrl {

namespace {

double mean_of(const std::vector<double>& xs) {
  double sum = 0;
  for (double x : xs) sum += x;
  return xs.empty() ? 0.0 : sum / static_cast<double>(xs.size());
}

double sample_std(const std::vector<double>& xs) {
  if (xs.size() < 2) return 0.0;
  const double m = mean_of(xs);
  double squares = 0;
  for (double x : xs) squares += (x - m) * (x - m);
  return std::sqrt(squares / static_cast<double>(xs.size() - 1));
}

// A run's mean of the reward component `name`, if it has it.
std::optional<double> component_of(const RunResult& run, const std::string& name) {
  for (const store::RewardComponentMean& c : run.reward_components)
    if (c.name == name) return c.mean;
  return std::nullopt;
}

// Each interval draws from its own stream, named by what it is about, so that it does not change
// when rows are added or reordered.
Rng interval_rng(const ExperimentResult& result, const std::string& what) {
  return Rng(derive_seed(result.eval_seed, Stream::User, util::text_hash(what)));
}

// The runs of each (variant, algorithm), in the order the pairs first appear.
using RunGroup = std::pair<SummaryRow, std::vector<const RunResult*>>;
std::vector<RunGroup> group_runs(const ExperimentResult& result) {
  std::vector<RunGroup> groups;
  std::map<std::pair<std::string, std::string>, std::size_t> group_of;
  for (const RunResult& run : result.runs) {
    auto [it, inserted] = group_of.try_emplace({run.variant, run.label}, groups.size());
    if (inserted) {
      SummaryRow row;
      row.variant = run.variant;
      row.label = run.label;
      row.plugin = run.plugin;
      groups.emplace_back(row, std::vector<const RunResult*>{});
    }
    groups[it->second].second.push_back(&run);
  }
  return groups;
}

std::vector<double> eval_means(const std::vector<const RunResult*>& runs) {
  std::vector<double> means;
  for (const RunResult* run : runs) means.push_back(run->eval_mean);
  return means;
}

nlohmann::json components_json(const std::vector<store::RewardComponentMean>& components) {
  nlohmann::json out = nlohmann::json::object();
  for (const store::RewardComponentMean& c : components) out[c.name] = c.mean;
  return out;
}

}  // namespace

std::vector<PairComparison> compare_pairs(const ExperimentResult& result) {
  const auto groups = group_runs(result);
  std::vector<PairComparison> out;
  for (std::size_t i = 0; i < groups.size(); ++i) {
    for (std::size_t j = i + 1; j < groups.size(); ++j) {
      const SummaryRow& a = groups[i].first;
      const SummaryRow& b = groups[j].first;
      if (a.variant != b.variant) continue;
      Rng rng = interval_rng(result, "compare " + a.variant + " " + a.label + " " + b.label);
      const auto c =
          stats::compare_algorithms(a.label, stats::single_task(eval_means(groups[i].second)),
                                    b.label, stats::single_task(eval_means(groups[j].second)), rng);
      out.push_back({a.variant, c.str(), c.distinguishable()});
    }
  }
  return out;
}

std::vector<SummaryRow> summarize(const ExperimentResult& result) {
  std::vector<SummaryRow> rows;
  for (auto& [row, runs] : group_runs(result)) {
    std::vector<double> pcts, steps, walls, speeds;
    const std::vector<double> means = eval_means(runs);
    for (const RunResult* run : runs) {
      if (run->pct_oracle) pcts.push_back(*run->pct_oracle);
      steps.push_back(static_cast<double>(run->env_steps));
      walls.push_back(run->wall_s);
      speeds.push_back(run->steps_per_s);
    }
    row.seeds = static_cast<int>(means.size());
    row.mean = mean_of(means);
    row.std = sample_std(means);
    if (pcts.size() == means.size()) row.pct_oracle = mean_of(pcts);
    row.env_steps = mean_of(steps);
    row.wall_s = mean_of(walls);
    row.steps_per_s = mean_of(speeds);
    row.iqm = stats::interquartile_mean(means);
    Rng rng = interval_rng(result, "iqm " + row.variant + " " + row.label);
    const auto ci =
        stats::bootstrap_interval(stats::single_task(means), stats::Aggregate::Iqm, rng);
    if (ci.bounds) row.iqm_interval = std::make_pair(ci.bounds->lower, ci.bounds->upper);
    for (const std::string& name : result.reward_components) {
      std::vector<double> values;
      for (const RunResult* run : runs)
        if (const auto value = component_of(*run, name)) values.push_back(*value);
      row.component_means.push_back(values.size() == runs.size() ? mean_of(values) : std::nan(""));
    }
    rows.push_back(row);
  }
  return rows;
}

std::string results_markdown(const ExperimentResult& result) {
  std::string out = fmt::format("## {}\n\n", result.experiment);
  out += fmt::format("Environment `{}`, reward `{}`; evaluation on {} held-out episodes (seed {}).",
                     result.env, result.reward,
                     util::grouped_thousands(static_cast<double>(result.eval_episodes)),
                     result.eval_seed);
  const std::vector<SummaryRow> rows = summarize(result);
  const bool has_variants =
      std::any_of(rows.begin(), rows.end(), [](const SummaryRow& r) { return !r.variant.empty(); });
  if (result.oracle_mean && !has_variants) {
    out += fmt::format(" Oracle mean: {:.4f}.", *result.oracle_mean);
  }
  out += "\n\n";
  out += has_variants ? "| variant " : "";
  out +=
      "| algorithm | seeds | eval reward (mean ± std over seeds) | IQM [95% CI] | % of oracle | "
      "env "
      "steps | wall time (s) | env steps/s |\n";
  out += has_variants ? "|---" : "";
  out += "|---|---:|---:|---:|---:|---:|---:|---:|\n";
  for (const SummaryRow& row : rows) {
    const std::string label =
        row.label == row.plugin ? row.label : row.label + " (" + row.plugin + ")";
    if (has_variants) out += "| " + row.variant + " ";
    const std::string iqm = row.iqm_interval
                                ? fmt::format("{:.4f} [{:.4f}, {:.4f}]", row.iqm,
                                              row.iqm_interval->first, row.iqm_interval->second)
                                : fmt::format("{:.4f}", row.iqm);
    out += fmt::format("| {} | {} | {:.4f} ± {:.4f} | {} | {} | {} | {:.2f} | {} |\n", label,
                       row.seeds, row.mean, row.std, iqm,
                       row.pct_oracle ? fmt::format("{:.1f}", *row.pct_oracle) : std::string("n/a"),
                       util::grouped_thousands(row.env_steps), row.wall_s,
                       util::grouped_thousands(row.steps_per_s));
  }
  if (!result.reward_components.empty()) {
    out += "\nReward components: each one's mean per evaluation episode, averaged over seeds.\n\n";
    out += has_variants ? "| variant " : "";
    out += "| algorithm |";
    for (const std::string& name : result.reward_components) out += " " + name + " |";
    out += "\n";
    out += has_variants ? "|---" : "";
    out += "|---|";
    for (std::size_t c = 0; c < result.reward_components.size(); ++c) out += "---:|";
    out += "\n";
    for (const SummaryRow& row : rows) {
      if (has_variants) out += "| " + row.variant + " ";
      out += "| " + row.label + " |";
      for (double mean : row.component_means)
        out += std::isnan(mean) ? std::string(" n/a |") : fmt::format(" {:.4f} |", mean);
      out += "\n";
    }
  }
  const std::vector<PairComparison> pairs = compare_pairs(result);
  if (!pairs.empty()) {
    out +=
        "\nPairs, by the probability that one algorithm's run beats the other's (95% interval; "
        "distinguishable only when it excludes 0.5):\n\n";
    for (const PairComparison& pair : pairs) {
      out += "- " + (pair.variant.empty() ? "" : pair.variant + ": ") + pair.text + "\n";
    }
  }
  return out;
}

std::string results_csv(const ExperimentResult& result) {
  // One column per reward component after the fixed ones: reward.<name>.
  std::string out =
      "run_id,experiment,variant,algorithm,plugin,plugin_version,seed,eval_mean,eval_std,"
      "pct_oracle,env_steps,wall_s,train_s,steps_per_s,policy";
  for (const std::string& name : result.reward_components)
    out += ",reward." + util::csv_field(name);
  out += "\n";
  for (const RunResult& run : result.runs) {
    out += fmt::format("{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}", run.run_id,
                       util::csv_field(result.experiment), util::csv_field(run.variant),
                       util::csv_field(run.label), run.plugin, run.plugin_version, run.seed,
                       run.eval_mean, run.eval_std,
                       run.pct_oracle ? fmt::format("{}", *run.pct_oracle) : std::string(),
                       run.env_steps, run.wall_s, run.train_s, run.steps_per_s,
                       util::csv_field(run.policy.string()));
    for (const std::string& name : result.reward_components) {
      const auto value = component_of(run, name);
      out += value ? fmt::format(",{}", *value) : std::string(",");
    }
    out += "\n";
  }
  return out;
}

std::string results_json(const ExperimentResult& result) {
  nlohmann::json runs = nlohmann::json::array();
  for (const RunResult& run : result.runs) {
    runs.push_back({
        {"run_id", run.run_id},
        {"variant", run.variant},
        {"algorithm", run.label},
        {"plugin", run.plugin},
        {"plugin_version", run.plugin_version},
        {"seed", run.seed},
        {"eval_mean", run.eval_mean},
        {"eval_std", run.eval_std},
        {"pct_oracle", run.pct_oracle ? nlohmann::json(*run.pct_oracle) : nlohmann::json(nullptr)},
        {"env_steps", run.env_steps},
        {"wall_s", run.wall_s},
        {"train_s", run.train_s},
        {"steps_per_s", run.steps_per_s},
        {"policy", run.policy.string()},
        {"curve", run.curve.string()},
        {"action_counts", run.action_counts},
        {"reward_components", components_json(run.reward_components)},
    });
  }
  nlohmann::json summary = nlohmann::json::array();
  for (const SummaryRow& row : summarize(result)) {
    nlohmann::json row_components = nlohmann::json::object();
    for (std::size_t c = 0; c < row.component_means.size(); ++c) {
      if (!std::isnan(row.component_means[c]))
        row_components[result.reward_components[c]] = row.component_means[c];
    }
    summary.push_back({
        {"variant", row.variant},
        {"algorithm", row.label},
        {"plugin", row.plugin},
        {"seeds", row.seeds},
        {"eval_mean", row.mean},
        {"eval_mean_std", row.std},
        {"pct_oracle", row.pct_oracle ? nlohmann::json(*row.pct_oracle) : nlohmann::json(nullptr)},
        {"env_steps", row.env_steps},
        {"wall_s", row.wall_s},
        {"steps_per_s", row.steps_per_s},
        {"iqm", row.iqm},
        {"iqm_ci", row.iqm_interval
                       ? nlohmann::json::array({row.iqm_interval->first, row.iqm_interval->second})
                       : nlohmann::json(nullptr)},
        {"reward_components", row_components},
    });
  }
  const nlohmann::json doc = {
      {"experiment", result.experiment},
      {"env", result.env},
      {"reward", result.reward},
      {"eval_episodes", result.eval_episodes},
      {"eval_seed", result.eval_seed},
      {"oracle_mean",
       result.oracle_mean ? nlohmann::json(*result.oracle_mean) : nlohmann::json(nullptr)},
      {"action_labels", result.action_labels},
      {"reward_components", result.reward_components},
      {"runs", runs},
      {"summary", summary},
  };
  return doc.dump(2) + "\n";
}

void write_results(const ExperimentResult& result) {
  util::write_file_atomically(result.output / "results.md", results_markdown(result));
  util::write_file_atomically(result.output / "results.csv", results_csv(result));
  util::write_file_atomically(result.output / "results.json", results_json(result));
}

void remove_results(const std::filesystem::path& output) {
  std::error_code ignored;
  for (const char* name : {"results.md", "results.csv", "results.json"}) {
    std::filesystem::remove(output / name, ignored);
  }
}

}  // namespace recrl
