#include "recrl/report/html_report.hpp"

#include <algorithm>
#include <filesystem>
#include <ctime>
#include <map>
#include <numeric>

#include <fmt/format.h>

#include "recrl/util/table_text.hpp"
#include "recrl/util/atomic_file.hpp"
#include "recrl/report/plots.hpp"
#include "recrl/report/svg.hpp"

namespace recrl::report {

namespace {

constexpr const char* kStyle = R"(
body { font-family: sans-serif; color: #222; max-width: 920px; margin: 24px auto; padding: 0 16px; }
h1 { font-size: 24px; margin-bottom: 4px; }
h2 { font-size: 19px; margin-top: 32px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
dl.facts { display: grid; grid-template-columns: max-content auto; gap: 2px 16px; }
dl.facts dt { color: #666; }
dl.facts dd { margin: 0; }
table { border-collapse: collapse; font-size: 14px; }
th, td { padding: 4px 10px; border-bottom: 1px solid #e3e3e3; text-align: left; }
th { background: #f4f4f4; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
p.note, ul.verdicts { color: #555; font-size: 13px; }
svg.chart { display: block; margin: 12px 0; }
)";

std::string utc_time(store::Timestamp seconds) {
  const auto whole = static_cast<std::time_t>(seconds);
  std::tm parts{};
  gmtime_r(&whole, &parts);
  return fmt::format("{:04}-{:02}-{:02} {:02}:{:02} UTC", parts.tm_year + 1900, parts.tm_mon + 1,
                     parts.tm_mday, parts.tm_hour, parts.tm_min);
}

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& item : items) out += (out.empty() ? "" : ", ") + item;
  return out;
}

std::string group_name(const ReportData& data, const AlgorithmResult& a) {
  return data.has_variants() ? a.variant + " / " + a.algorithm : a.algorithm;
}

// One colour per algorithm label across every plot; the oracle draws in the reference colour.
class Colours {
 public:
  explicit Colours(const ReportData& data) {
    for (const AlgorithmResult& a : data.algorithms) {
      if (!a.is_oracle()) index_.try_emplace(a.algorithm, index_.size());
    }
  }
  SeriesStyle style(const AlgorithmResult& a, std::string name) const {
    SeriesStyle style;
    style.name = std::move(name);
    style.reference = a.is_oracle();
    if (!style.reference) style.colour = index_.at(a.algorithm);
    return style;
  }

 private:
  std::map<std::string, std::size_t> index_;
};

std::string facts(const ReportData& data) {
  const store::ExperimentSummary& x = data.experiment;
  const int total = x.pending + x.running + x.finished + x.failed;
  std::string runs = fmt::format("{} finished of {}", x.finished, total);
  if (x.failed + x.pending + x.running > 0) {
    runs += fmt::format(" ({} failed, {} pending, {} running; not shown)", x.failed, x.pending,
                        x.running);
  }
  std::string out = "<dl class=\"facts\">\n";
  const auto fact = [&out](const std::string& term, const std::string& value) {
    out += "<dt>" + term + "</dt><dd>" + escape_markup(value) + "</dd>\n";
  };
  fact("Experiment file", x.experiment.file);
  fact("Recorded", utc_time(x.experiment.created_at) +
                       (x.experiment.updated_at != x.experiment.created_at
                            ? ", last updated " + utc_time(x.experiment.updated_at)
                            : ""));
  if (data.first_started && data.last_finished) {
    fact("Runs ran", utc_time(*data.first_started) + " to " + utc_time(*data.last_finished));
  }
  fact("Runs", runs);
  fact(data.environments.size() > 1 ? "Environments" : "Environment", joined(data.environments));
  fact(data.rewards.size() > 1 ? "Rewards" : "Reward", joined(data.rewards));
  if (data.has_variants()) fact("Variants", joined(data.variants));
  return out + "</dl>\n";
}

std::string comparison_table(const ReportData& data) {
  const bool variants = data.has_variants();
  std::string out = "<h2>Comparison</h2>\n<table class=\"comparison\">\n<tr>";
  if (variants) out += "<th>variant</th>";
  out +=
      "<th>algorithm</th><th>seeds</th><th>eval reward (mean ± std)</th>"
      "<th>IQM [95% CI]</th><th>% of oracle</th><th>env steps/s</th></tr>\n";
  for (const AlgorithmResult& a : data.algorithms) {
    const store::ComparisonRow& row = a.eval;
    out += "<tr>";
    if (variants) out += "<td>" + escape_markup(a.variant) + "</td>";
    const std::string name =
        a.algorithm == a.plugin ? a.algorithm : a.algorithm + " (" + a.plugin + ")";
    out += "<td>" + escape_markup(name) + "</td>";
    out += fmt::format("<td class=\"num\">{}</td>", row.values.size());
    out += fmt::format("<td class=\"num\">{:.4f} ± {}</td>", row.mean,
                       row.std ? fmt::format("{:.4f}", *row.std) : std::string("n/a"));
    out += "<td class=\"num\">" + escape_markup(row.iqm.str(4)) + "</td>";
    out += "<td class=\"num\">" +
           (a.pct_oracle ? fmt::format("{:.1f}", *a.pct_oracle) : std::string("n/a")) + "</td>";
    out += "<td class=\"num\">" +
           (a.steps_per_s ? util::grouped_thousands(*a.steps_per_s) : std::string("n/a")) +
           "</td></tr>\n";
  }
  out += "</table>\n";
  out += fmt::format(
      "<p class=\"note\">Each seed's score is its final eval reward, the mean over the held-out "
      "evaluation episodes. IQM: the interquartile mean across seeds, with a {:.0f}% stratified "
      "percentile bootstrap interval ({} resamples, fixed seed), none for one seed. % of oracle "
      "and env steps/s: means over seeds.</p>\n",
      100 * data.bootstrap.confidence, data.bootstrap.repetitions);
  if (!data.verdicts.empty()) {
    out += "<ul class=\"verdicts\">\n";
    for (const std::string& verdict : data.verdicts) {
      out += "<li>" + escape_markup(verdict) + "</li>\n";
    }
    out += "</ul>\n";
  }
  return out;
}

// Each reward component's mean per evaluation episode, per variant and algorithm (averaged over
// its seeds): what the reward is made of, where the reward names its parts.
std::string reward_components(const ReportData& data) {
  std::vector<std::string> names;
  for (const AlgorithmResult& a : data.algorithms) {
    for (const store::RewardComponentMean& c : a.eval.components)
      if (std::find(names.begin(), names.end(), c.name) == names.end()) names.push_back(c.name);
  }
  if (names.empty()) return "";
  std::string out = "<h2>Reward components</h2>\n<table class=\"comparison\">\n<tr>";
  if (data.has_variants()) out += "<th>variant</th>";
  out += "<th>algorithm</th>";
  for (const std::string& name : names) out += "<th>" + escape_markup(name) + "</th>";
  out += "</tr>\n";
  for (const AlgorithmResult& a : data.algorithms) {
    out += "<tr>";
    if (data.has_variants()) out += "<td>" + escape_markup(a.variant) + "</td>";
    out += "<td>" + escape_markup(a.algorithm) + "</td>";
    for (const std::string& name : names) {
      const auto c =
          std::find_if(a.eval.components.begin(), a.eval.components.end(),
                       [&](const store::RewardComponentMean& m) { return m.name == name; });
      out += c == a.eval.components.end() ? std::string("<td class=\"num\">n/a</td>")
                                          : fmt::format("<td class=\"num\">{:.4f}</td>", c->mean);
    }
    out += "</tr>\n";
  }
  return out +
         "</table>\n<p class=\"note\">Each component's sum over an evaluation episode, "
         "averaged over the held-out episodes and then over seeds: what the final eval "
         "reward is made of.</p>\n";
}

std::string learning_curves(const ReportData& data, const Colours& colours) {
  std::string out = "<h2>Learning curves</h2>\n";
  std::vector<std::string> missing;
  for (const std::string& variant : data.variants) {
    std::vector<LineSeries> series;
    for (const AlgorithmResult& a : data.algorithms) {
      if (a.variant != variant) continue;
      LineSeries line;
      line.style = colours.style(a, fmt::format("{} ({} seed{})", a.algorithm, a.seeds.size(),
                                                a.seeds.size() == 1 ? "" : "s"));
      if (a.curve.env_steps.empty()) missing.push_back(group_name(data, a));
      for (std::int64_t steps : a.curve.env_steps) line.x.push_back(static_cast<double>(steps));
      line.y = a.curve.mean;
      line.lower = a.curve.lower;
      line.upper = a.curve.upper;
      series.push_back(std::move(line));
    }
    ChartText text{!data.has_variants() ? "Eval reward during training"
                                        : "Eval reward during training: " + variant,
                   "env steps", "eval reward"};
    out += line_chart(text, series);
  }
  out +=
      "<p class=\"note\">Lines: the mean eval reward across seeds, at the env steps that "
      "every seed of the algorithm evaluated at. Bands: the 95% Student-t interval of that "
      "mean (mean ± t·s/√n over the n seeds); none for one seed.";
  if (!missing.empty())
    out += " No learning curve shared by all seeds: " + escape_markup(joined(missing)) + ".";
  return out + "</p>\n";
}

std::string final_scores(const ReportData& data, const Colours& colours) {
  std::vector<ScoreGroup> groups;
  for (const AlgorithmResult& a : data.algorithms) {
    groups.push_back({colours.style(a, group_name(data, a)), a.eval.values});
  }
  std::string out = "<h2>Final scores</h2>\n";
  out += score_chart({"Final eval reward per seed", "", "eval reward"}, groups);
  return out +
         "<p class=\"note\">Dots: one per seed. Boxes: from the first to the third "
         "quartile across seeds, the line at the median; whiskers to the lowest and "
         "highest seed.</p>\n";
}

std::string action_label(const store::ActionCount& count) {
  return count.label.empty() ? fmt::format("action {}", count.action) : count.label;
}

std::string chosen_actions(const ReportData& data, const Colours& colours) {
  bool any = false, oracle = false;
  for (const AlgorithmResult& a : data.algorithms) {
    any = any || !a.actions.empty();
    oracle = oracle || (a.is_oracle() && !a.actions.empty());
  }
  if (!any) return "";
  std::string out = "<h2>Chosen actions</h2>\n";
  for (const std::string& variant : data.variants) {
    std::map<int, std::string> labels;  // every action any algorithm of the variant chose
    std::vector<const AlgorithmResult*> shown;
    for (const AlgorithmResult& a : data.algorithms) {
      if (a.variant != variant || a.actions.empty()) continue;
      for (const store::ActionCount& count : a.actions)
        labels.try_emplace(count.action, action_label(count));
      // The oracle's bars first in each group, the algorithms after it.
      if (a.is_oracle())
        shown.insert(shown.begin(), &a);
      else
        shown.push_back(&a);
    }
    if (shown.empty()) continue;
    std::vector<std::string> categories;
    for (const auto& [action, label] : labels) categories.push_back(label);
    std::vector<BarSeries> series;
    for (const AlgorithmResult* a : shown) {
      std::int64_t total = 0;
      for (const store::ActionCount& count : a->actions) total += count.count;
      std::map<int, double> share;
      for (const store::ActionCount& count : a->actions) {
        share[count.action] =
            total > 0 ? 100.0 * static_cast<double>(count.count) / static_cast<double>(total) : 0;
      }
      BarSeries bars;
      bars.style = colours.style(*a, a->algorithm);
      for (const auto& [action, label] : labels) bars.values.push_back(share[action]);
      series.push_back(std::move(bars));
    }
    ChartText text{!data.has_variants() ? "Chosen actions" : "Chosen actions: " + variant,
                   "share of evaluation choices (%)", ""};
    out += bar_chart(text, categories, series);
  }
  out += oracle ? "<p class=\"note\">How often each policy chose each action on the held-out "
                  "evaluation episodes, summed over seeds. Black: the oracle, which knows the "
                  "expected reward of every action.</p>\n"
                : "<p class=\"note\">How often each policy chose each action on the held-out "
                  "evaluation episodes, summed over seeds. The experiment has no oracle to "
                  "compare with.</p>\n";
  return out;
}

// The off-policy evaluations recorded with the experiment: a table of every estimate and a
// forest plot of them, each beside the true value (a simulated log) and the simulated result
// of the run it judged.
std::string off_policy(const ReportData& data) {
  if (data.off_policy.empty()) return "";
  std::string out =
      "<h2>Off-policy estimates</h2>\n<table class=\"comparison\">\n<tr><th>target</th>"
      "<th>log</th><th>rows</th><th>estimator</th><th>value</th><th>interval</th>"
      "<th>simulated</th><th>true value</th><th>effective sample size</th></tr>\n";
  const auto number = [](const std::optional<double>& v) {
    return v ? fmt::format("<td class=\"num\">{:.4f}</td>", *v)
             : std::string("<td class=\"num\">-</td>");
  };
  std::map<std::string, std::size_t> colour_of_target;
  std::vector<ForestRow> rows;
  for (const store::OffPolicyRow& row : data.off_policy) {
    const store::OpeRecord& e = row.evaluation;
    const std::string log = std::filesystem::path(e.log).filename().string();
    const std::size_t colour =
        colour_of_target.try_emplace(e.label, colour_of_target.size()).first->second;
    for (const store::OpeEstimateRecord& x : e.estimates) {
      out += fmt::format(
          "<tr><td>{}</td><td title=\"{}\">{}</td><td class=\"num\">{}</td><td>{}</td>"
          "<td class=\"num\">{:.4f}</td><td class=\"num\">{}</td>{}{}"
          "<td class=\"num\">{:.0f}</td></tr>\n",
          escape_markup(e.label), escape_markup(e.log), escape_markup(log), e.rows,
          escape_markup(x.estimator), x.value,
          x.ci_low ? fmt::format("[{:.4f}, {:.4f}]", *x.ci_low, *x.ci_high) : "-",
          number(row.simulated), number(e.true_value), e.effective_sample_size);
      ForestRow forest;
      forest.label = fmt::format("{}: {} ({})", e.label, x.estimator, log);
      forest.style = {e.label, colour, false};
      forest.value = x.value;
      forest.low = x.ci_low;
      forest.high = x.ci_high;
      forest.truth = e.true_value;
      forest.simulated = row.simulated;
      rows.push_back(std::move(forest));
    }
  }
  out += "</table>\n";
  out += forest_plot({"Off-policy estimates", "estimated value of the target", ""}, rows);
  return out +
         "<p class=\"note\">Each target's value estimated from a log another policy wrote "
         "(recrl ope), with its bootstrap interval. Black ticks: the target's true value on the "
         "logged contexts, where the log was simulated (--validate). Hollow diamonds: the "
         "judged run's final eval reward on its simulator.</p>\n";
}

// Which features each policy's choices hang on: a table per policy, features by their mean
// |contribution| over all decisions, then per chosen action; a cell's shade is its share of the
// table's largest value.
std::string feature_importance(const ReportData& data) {
  if (data.importance.empty()) return "";
  std::string out = "<h2>Why the policies choose what they do</h2>\n";
  for (const FeatureImportance& f : data.importance) {
    const std::string name =
        f.variant.empty() ? f.algorithm : fmt::format("{} ({})", f.algorithm, f.variant);
    std::vector<std::size_t> order(f.features.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(),
                     [&](std::size_t a, std::size_t b) { return f.overall[a] > f.overall[b]; });
    std::vector<std::size_t> shown;  // actions chosen at least once
    for (std::size_t a = 0; a < f.actions.size(); ++a)
      if (f.chosen[a] > 0) shown.push_back(a);
    double largest = 0;
    for (std::size_t i = 0; i < f.features.size(); ++i) {
      largest = std::max(largest, f.overall[i]);
      for (const std::size_t a : shown) largest = std::max(largest, f.by_action[i][a]);
    }
    const auto cell = [&](double v) {
      const double shade = largest > 0 ? v / largest : 0;
      return fmt::format(
          "<td class=\"num\" style=\"background: rgba(31, 119, 180, {:.2f})\">{:.3f}</td>",
          0.6 * shade, v);
    };
    out += fmt::format(
        "<h3>{}</h3>\n<table class=\"comparison\">\n<tr><th>feature</th>"
        "<th>all decisions ({})</th>",
        escape_markup(name), f.customers);
    for (const std::size_t a : shown)
      out += fmt::format("<th>{} ({})</th>", escape_markup(f.actions[a]), f.chosen[a]);
    out += "</tr>\n";
    for (const std::size_t i : order) {
      out += "<tr><td>" + escape_markup(f.features[i]) + "</td>" + cell(f.overall[i]);
      for (const std::size_t a : shown) out += cell(f.by_action[i][a]);
      out += "</tr>\n";
    }
    out += "</table>\n";
  }
  return out +
         "<p class=\"note\">Mean |contribution| of each feature to the chosen action's score "
         "margin over the runner-up (exact Shapley values, docs/explain.md), over held-out "
         "customers drawn from the environment: over all of them, then over those who got each "
         "action (how many, in brackets). One run's policy per algorithm (the first seed); "
         "policies without action scores (random) are left out.</p>\n";
}

}  // namespace

std::string render_report(const ReportData& data) {
  const std::string name = escape_markup(data.experiment.experiment.name);
  const Colours colours(data);
  std::string out =
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
      "style-src 'unsafe-inline'\">\n"
      "<title>recrl report: " +
      name + "</title>\n<style>" + kStyle + "</style>\n</head>\n<body>\n";
  out += "<h1>recrl report: " + name + "</h1>\n";
  out += facts(data);
  out += comparison_table(data);
  out += reward_components(data);
  out += learning_curves(data, colours);
  out += final_scores(data, colours);
  out += chosen_actions(data, colours);
  out += off_policy(data);
  out += feature_importance(data);
  return out + "</body>\n</html>\n";
}

void save_report(const std::filesystem::path& file, const std::string& html) {
  util::write_file_atomically(file, html);
}

}  // namespace recrl::report
