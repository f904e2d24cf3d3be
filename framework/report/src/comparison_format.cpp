#include "recrl/report/comparison_format.hpp"

#include <algorithm>
#include <filesystem>
#include <optional>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "recrl/util/table_text.hpp"
#include "recrl/core/errors.hpp"
#include "recrl/util/text_table.hpp"

namespace recrl::store {

namespace {

std::string percent(double confidence) { return fmt::format("{:g}%", 100 * confidence); }

std::string algorithm_text(const ComparisonRow& row) {
  return row.algorithm == row.plugin ? row.algorithm : row.algorithm + " (" + row.plugin + ")";
}

bool any_variant(const ComparisonTable& table) {
  return std::any_of(table.rows.begin(), table.rows.end(),
                     [](const ComparisonRow& r) { return !r.variant.empty(); });
}

// The reward components any row has, in order of first appearance: a column each.
std::vector<std::string> component_names(const ComparisonTable& table) {
  std::vector<std::string> names;
  for (const ComparisonRow& row : table.rows) {
    for (const RewardComponentMean& c : row.components)
      if (std::find(names.begin(), names.end(), c.name) == names.end()) names.push_back(c.name);
  }
  return names;
}

// The row's mean of component `name`, if it has it.
std::optional<double> component_of(const ComparisonRow& row, const std::string& name) {
  for (const RewardComponentMean& c : row.components)
    if (c.name == name) return c.mean;
  return std::nullopt;
}

// The table's cells, row by row, the heading first; shared by the text and Markdown forms.
// After the metric's columns, each reward component's mean over the row's runs.
std::vector<std::vector<std::string>> cells(const ComparisonTable& table) {
  const bool variants = any_variant(table);
  const int decimals = table.metric.decimals;
  const std::string level = percent(table.options.bootstrap.confidence);
  std::vector<std::vector<std::string>> lines;
  std::vector<std::string> heading = {"experiment"};
  if (variants) heading.push_back("variant");
  for (const char* name : {"algorithm", "seeds"}) heading.push_back(name);
  heading.push_back("mean [" + level + " CI]");
  for (const char* name : {"std", "median"}) heading.push_back(name);
  heading.push_back("IQM [" + level + " CI]");
  const std::vector<std::string> components = component_names(table);
  heading.insert(heading.end(), components.begin(), components.end());
  lines.push_back(std::move(heading));
  for (const ComparisonRow& row : table.rows) {
    std::vector<std::string> line = {row.experiment};
    if (variants) line.push_back(row.variant);
    line.push_back(algorithm_text(row));
    line.push_back(std::to_string(row.values.size()));
    line.push_back(row.mean_interval.str(decimals));
    line.push_back(row.std ? fmt::format("{:.{}f}", *row.std, decimals) : "n/a");
    line.push_back(fmt::format("{:.{}f}", row.median, decimals));
    line.push_back(row.iqm.str(decimals));
    for (const std::string& name : components) {
      const auto mean = component_of(row, name);
      line.push_back(mean ? fmt::format("{:.4f}", *mean) : "n/a");
    }
    lines.push_back(std::move(line));
  }
  return lines;
}

// Which cells are numbers, right-aligned in the text form: seeds and what follows.
bool is_number_column(std::size_t column, bool variants) { return column >= (variants ? 3u : 2u); }

std::string heading_text(const ComparisonTable& table) {
  return fmt::format(
      "{}: {}, over finished runs. Intervals: {} stratified bootstrap over seeds, {} resamples "
      "(seed {}).",
      table.metric.name, table.metric.description, percent(table.options.bootstrap.confidence),
      table.options.bootstrap.repetitions, table.options.bootstrap_seed);
}

std::string optional_number(const std::optional<double>& value) {
  return value ? fmt::format("{:.4f}", *value) : "-";
}

// The off-policy estimates, one line per (evaluation, estimator), the heading first: what the
// text and Markdown forms show after the pairs. Cells from the first "rows" on are numbers.
std::vector<std::vector<std::string>> off_policy_cells(const ComparisonTable& table) {
  std::vector<std::vector<std::string>> lines = {{"experiment", "target", "log", "rows",
                                                  "estimator", "value", "interval", "simulated",
                                                  "true value"}};
  for (const OffPolicyRow& row : table.off_policy) {
    const OpeRecord& e = row.evaluation;
    const std::string log = std::filesystem::path(e.log).filename().string();
    for (const OpeEstimateRecord& x : e.estimates) {
      lines.push_back({e.experiment, e.label, log, std::to_string(e.rows), x.estimator,
                       fmt::format("{:.4f}", x.value),
                       x.ci_low ? fmt::format("[{:.4f}, {:.4f}]", *x.ci_low, *x.ci_high) : "-",
                       optional_number(row.simulated), optional_number(e.true_value)});
    }
  }
  return lines;
}

constexpr std::size_t kFirstOffPolicyNumber = 3;

std::string off_policy_heading() {
  return "Off-policy estimates (recrl ope) on logs, beside the simulated eval_mean of the run "
         "each judged and the true value where the log was simulated:";
}

std::string pairs_heading(const ComparisonTable& table) {
  return fmt::format(
      "Pairs, by the probability that a run of one beats a run of the other ({} interval; "
      "distinguishable only when it excludes 0.5):",
      percent(table.options.bootstrap.confidence));
}

std::string as_text(const ComparisonTable& table) {
  std::string out = heading_text(table) + "\n\n";
  if (table.rows.empty()) {
    out += "No finished runs to compare.\n";
  } else {
    const auto lines = cells(table);
    std::vector<bool> right_aligned(lines.front().size());
    for (std::size_t c = 0; c < right_aligned.size(); ++c)
      right_aligned[c] = is_number_column(c, any_variant(table));
    out += util::aligned_table(lines, right_aligned);
  }
  if (!table.pairs.empty()) {
    out += "\n" + pairs_heading(table) + "\n";
    for (const ComparisonPair& pair : table.pairs) out += "  " + pair.str() + "\n";
  }
  if (!table.omitted.empty()) {
    out += "\nOmitted:\n";
    for (const std::string& line : table.omitted) out += "  " + line + "\n";
  }
  if (!table.off_policy.empty()) {
    const auto lines = off_policy_cells(table);
    std::vector<bool> right_aligned(lines.front().size());
    for (std::size_t c = kFirstOffPolicyNumber; c < right_aligned.size(); ++c)
      right_aligned[c] = c != 4;  // the estimator's name
    out += "\n" + off_policy_heading() + "\n\n" + util::aligned_table(lines, right_aligned);
  }
  return out;
}

std::string as_markdown(const ComparisonTable& table) {
  std::string out = heading_text(table) + "\n\n";
  if (table.rows.empty()) {
    out += "No finished runs to compare.\n";
  } else {
    const auto lines = cells(table);
    const bool variants = any_variant(table);
    for (std::size_t l = 0; l < lines.size(); ++l) {
      std::string text;
      for (const std::string& cell : lines[l]) text += "| " + cell + " ";
      out += text + "|\n";
      if (l == 0) {
        for (std::size_t c = 0; c < lines[l].size(); ++c)
          out += is_number_column(c, variants) ? "|---:" : "|---";
        out += "|\n";
      }
    }
  }
  if (!table.pairs.empty()) {
    out += "\n" + pairs_heading(table) + "\n\n";
    for (const ComparisonPair& pair : table.pairs) out += "- " + pair.str() + "\n";
  }
  if (!table.omitted.empty()) {
    out += "\nOmitted:\n\n";
    for (const std::string& line : table.omitted) out += "- " + line + "\n";
  }
  if (!table.off_policy.empty()) {
    out += "\n" + off_policy_heading() + "\n\n";
    const auto lines = off_policy_cells(table);
    for (std::size_t l = 0; l < lines.size(); ++l) {
      for (const std::string& cell : lines[l]) out += "| " + cell + " ";
      out += "|\n";
      if (l == 0) {
        for (std::size_t c = 0; c < lines[l].size(); ++c)
          out += c >= kFirstOffPolicyNumber && c != 4 ? "|---:" : "|---";
        out += "|\n";
      }
    }
  }
  return out;
}

std::string number_or_empty(const std::optional<double>& value) {
  return value ? fmt::format("{}", *value) : std::string();
}

std::string as_csv(const ComparisonTable& table) {
  // One column per reward component after the fixed ones: reward.<name>.
  const std::vector<std::string> components = component_names(table);
  std::string out =
      "experiment,variant,algorithm,plugin,metric,seeds,mean,mean_lower,mean_upper,std,median,"
      "iqm,iqm_lower,iqm_upper,confidence";
  for (const std::string& name : components) out += ",reward." + util::csv_field(name);
  out += "\n";
  const auto lower = [](const stats::ConfidenceInterval& ci) {
    return ci.bounds ? std::optional<double>(ci.bounds->lower) : std::nullopt;
  };
  const auto upper = [](const stats::ConfidenceInterval& ci) {
    return ci.bounds ? std::optional<double>(ci.bounds->upper) : std::nullopt;
  };
  for (const ComparisonRow& row : table.rows) {
    out += fmt::format(
        "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}", util::csv_field(row.experiment),
        util::csv_field(row.variant), util::csv_field(row.algorithm), util::csv_field(row.plugin),
        table.metric.name, row.values.size(), row.mean, number_or_empty(lower(row.mean_interval)),
        number_or_empty(upper(row.mean_interval)), number_or_empty(row.std), row.median,
        row.iqm.estimate, number_or_empty(lower(row.iqm)), number_or_empty(upper(row.iqm)),
        table.options.bootstrap.confidence);
    for (const std::string& name : components)
      out += "," + number_or_empty(component_of(row, name));
    out += "\n";
  }
  return out;
}

nlohmann::json interval_json(const stats::ConfidenceInterval& ci) {
  if (!ci.bounds) return nullptr;
  return nlohmann::json::array({ci.bounds->lower, ci.bounds->upper});
}

std::string_view verdict_name(stats::Verdict verdict) {
  switch (verdict) {
    case stats::Verdict::FirstBetter:
      return "first_better";
    case stats::Verdict::SecondBetter:
      return "second_better";
    case stats::Verdict::NotDistinguishable:
      return "not_distinguishable";
    case stats::Verdict::TooFewRuns:
      break;
  }
  return "too_few_runs";
}

nlohmann::json components_json(const ComparisonRow& row) {
  nlohmann::json out = nlohmann::json::object();
  for (const RewardComponentMean& c : row.components) out[c.name] = c.mean;
  return out;
}

std::string as_json(const ComparisonTable& table) {
  nlohmann::json rows = nlohmann::json::array();
  for (const ComparisonRow& row : table.rows) {
    rows.push_back({
        {"experiment", row.experiment},
        {"variant", row.variant},
        {"algorithm", row.algorithm},
        {"plugin", row.plugin},
        {"seeds", row.values.size()},
        {"values", row.values},
        {"mean", row.mean},
        {"mean_ci", interval_json(row.mean_interval)},
        {"std", row.std ? nlohmann::json(*row.std) : nlohmann::json(nullptr)},
        {"median", row.median},
        {"iqm", row.iqm.estimate},
        {"iqm_ci", interval_json(row.iqm)},
        {"reward_components", components_json(row)},
    });
  }
  nlohmann::json pairs = nlohmann::json::array();
  for (const ComparisonPair& pair : table.pairs) {
    const stats::Comparison& c = pair.comparison;
    pairs.push_back({
        {"first", pair.first},
        {"second", pair.second},
        {"context", pair.context},
        {"p_first_better", c.improvement.estimate},
        {"p_first_better_ci", interval_json(c.improvement)},
        {"verdict", verdict_name(c.verdict)},
        {"text", pair.str()},
    });
  }
  nlohmann::json off_policy = nlohmann::json::array();
  for (const OffPolicyRow& row : table.off_policy) {
    const OpeRecord& e = row.evaluation;
    nlohmann::json estimates = nlohmann::json::array();
    for (const OpeEstimateRecord& x : e.estimates) {
      estimates.push_back({{"estimator", x.estimator},
                           {"value", x.value},
                           {"ci_low", x.ci_low ? nlohmann::json(*x.ci_low) : nlohmann::json()},
                           {"ci_high", x.ci_high ? nlohmann::json(*x.ci_high) : nlohmann::json()}});
    }
    off_policy.push_back({
        {"experiment", e.experiment},
        {"target", e.label},
        {"target_file", e.target},
        {"run_id", e.run_id ? nlohmann::json(*e.run_id) : nlohmann::json()},
        {"log", e.log},
        {"log_format", e.log_format},
        {"n", e.rows},
        {"settings", e.settings},
        {"confidence", e.confidence},
        {"estimates", estimates},
        {"diagnostics",
         {{"effective_sample_size", e.effective_sample_size},
          {"max_weight", e.max_weight},
          {"mean_weight", e.mean_weight},
          {"zero_target_share", e.zero_target_share}}},
        {"simulated", row.simulated ? nlohmann::json(*row.simulated) : nlohmann::json()},
        {"true_value", e.true_value ? nlohmann::json(*e.true_value) : nlohmann::json()},
    });
  }
  const nlohmann::json doc = {
      {"metric", table.metric.name},
      {"description", table.metric.description},
      {"confidence", table.options.bootstrap.confidence},
      {"bootstrap",
       {{"repetitions", table.options.bootstrap.repetitions},
        {"seed", table.options.bootstrap_seed}}},
      {"rows", rows},
      {"pairs", pairs},
      {"omitted", table.omitted},
      {"off_policy", off_policy},
  };
  return doc.dump(2) + "\n";
}

}  // namespace

ComparisonFormat comparison_format(std::string_view name) {
  if (name == "table") return ComparisonFormat::table;
  if (name == "md") return ComparisonFormat::markdown;
  if (name == "csv") return ComparisonFormat::csv;
  if (name == "json") return ComparisonFormat::json;
  throw ConfigError(
      fmt::format("--format '{}': not a format (accepted: table, md, csv, json)", name));
}

std::string format_comparison(const ComparisonTable& table, ComparisonFormat format) {
  switch (format) {
    case ComparisonFormat::table:
      break;
    case ComparisonFormat::markdown:
      return as_markdown(table);
    case ComparisonFormat::csv:
      return as_csv(table);
    case ComparisonFormat::json:
      return as_json(table);
  }
  return as_text(table);
}

}  // namespace recrl::store
