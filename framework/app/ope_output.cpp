#include "ope_output.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace recrl::app {

namespace {

bool covers(const stats::OpeEstimate& e, double truth) {
  return e.ci_low && *e.ci_low <= truth && truth <= *e.ci_high;
}

double relative_error(const stats::OpeEstimate& e, double truth) {
  return (e.value - truth) / truth;
}

// OBP's evaluation of estimators over several targets: per estimator, the mean and largest
// absolute relative error against the targets' true values, and how many intervals cover them.
struct Validation {
  std::string estimator;
  double mean_error = 0, max_error = 0;
  int covered = 0, targets = 0;
};

std::vector<Validation> validation(const std::vector<OffPolicyReport>& reports) {
  std::vector<Validation> out;
  if (reports.size() < 2 || !reports.front().true_value) return out;
  for (std::size_t e = 0; e < reports.front().estimates.size(); ++e) {
    Validation v;
    v.estimator = stats::estimator_name(reports.front().estimates[e].estimator);
    for (const OffPolicyReport& r : reports) {
      const double error = std::abs(relative_error(r.estimates[e], *r.true_value));
      v.mean_error += error / static_cast<double>(reports.size());
      v.max_error = std::max(v.max_error, error);
      v.covered += covers(r.estimates[e], *r.true_value) ? 1 : 0;
      ++v.targets;
    }
    out.push_back(v);
  }
  return out;
}

std::string one_table(const OffPolicyReport& report, const OffPolicyRequest& request) {
  std::string out =
      fmt::format("Off-policy estimates of {} on {} ({} rows)\n\n", report.target.file.string(),
                  request.log.string(), report.diagnostics.n);
  const int percent = static_cast<int>(std::lround(request.options.confidence * 100));
  const auto& truth = report.true_value;
  out += fmt::format("| estimator | value | {}% interval |{}\n|---|---:|---:|{}\n", percent,
                     truth ? " true value | relative error | covered |" : "",
                     truth ? "---:|---:|---|" : "");
  for (const auto& e : report.estimates) {
    std::string check;
    if (truth) {
      check = fmt::format(" {:.4f} | {:+.2f}% | {} |", *truth, 100 * relative_error(e, *truth),
                          e.ci_low ? (covers(e, *truth) ? "yes" : "no") : "-");
    }
    const std::string interval =
        e.ci_low ? fmt::format("[{:.4f}, {:.4f}]", *e.ci_low, *e.ci_high) : std::string("-");
    out += fmt::format("| {} | {:.4f} | {} |{}\n", stats::estimator_name(e.estimator), e.value,
                       interval, check);
  }
  const auto& d = report.diagnostics;
  return out + fmt::format(
                   "\nImportance weights: effective sample size {:.0f} of {} ({:.1f}%), max "
                   "{:.3g}, mean {:.4f} (1 when the propensities are right); the target never "
                   "takes the logged action in {:.1f}% of rows.\n",
                   d.effective_sample_size, d.n,
                   100.0 * d.effective_sample_size / static_cast<double>(d.n), d.max_weight,
                   d.mean_weight, 100.0 * d.zero_target_share);
}

nlohmann::json one_json(const OffPolicyReport& report) {
  nlohmann::json estimates = nlohmann::json::array();
  for (const auto& e : report.estimates) {
    estimates.push_back({{"estimator", stats::estimator_name(e.estimator)},
                         {"value", e.value},
                         {"ci_low", e.ci_low ? nlohmann::json(*e.ci_low) : nlohmann::json()},
                         {"ci_high", e.ci_high ? nlohmann::json(*e.ci_high) : nlohmann::json()}});
  }
  const auto& d = report.diagnostics;
  nlohmann::json out = {{"target", report.target.file.string()},
                        {"n", d.n},
                        {"estimates", estimates},
                        {"diagnostics",
                         {{"effective_sample_size", d.effective_sample_size},
                          {"max_weight", d.max_weight},
                          {"mean_weight", d.mean_weight},
                          {"zero_target_share", d.zero_target_share}}}};
  if (report.true_value) out["true_value"] = *report.true_value;
  return out;
}

}  // namespace

std::string ope_table(const std::vector<OffPolicyReport>& reports,
                      const OffPolicyRequest& request) {
  std::string out;
  for (std::size_t i = 0; i < reports.size(); ++i) {
    out += (i > 0 ? "\n" : "") + one_table(reports[i], request);
  }
  const auto summary = validation(reports);
  if (summary.empty()) return out;
  out += fmt::format(
      "\nThe estimators over the {} targets (OBP's evaluation of estimators: the relative "
      "error against each target's true value):\n\n| estimator | mean relative error | largest "
      "| intervals covering the truth |\n|---|---:|---:|---:|\n",
      reports.size());
  for (const Validation& v : summary) {
    out += fmt::format("| {} | {:.2f}% | {:.2f}% | {} of {} |\n", v.estimator, 100 * v.mean_error,
                       100 * v.max_error, v.covered, v.targets);
  }
  return out;
}

std::string ope_json(const std::vector<OffPolicyReport>& reports) {
  if (reports.size() == 1) return one_json(reports.front()).dump(2) + "\n";
  nlohmann::json targets = nlohmann::json::array();
  for (const OffPolicyReport& r : reports) targets.push_back(one_json(r));
  nlohmann::json out = {{"targets", targets}};
  const auto summary = validation(reports);
  if (!summary.empty()) {
    nlohmann::json items = nlohmann::json::array();
    for (const Validation& v : summary) {
      items.push_back({{"estimator", v.estimator},
                       {"mean_relative_error", v.mean_error},
                       {"max_relative_error", v.max_error},
                       {"covered", v.covered},
                       {"targets", v.targets}});
    }
    out["validation"] = items;
  }
  return out.dump(2) + "\n";
}

}  // namespace recrl::app
