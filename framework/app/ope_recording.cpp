#include "ope_recording.hpp"

#include <cmath>
#include <filesystem>

#include <fmt/format.h>

#include "recrl/util/number_text.hpp"
#include "recrl/util/text_hash.hpp"

namespace recrl::app {

namespace {

std::string absolute_text(const std::filesystem::path& path) {
  return std::filesystem::absolute(path).lexically_normal().string();
}

std::string settings_text(const OffPolicyRequest& request) {
  std::string estimators;
  for (const auto e : request.estimators) {
    estimators += (estimators.empty() ? "" : ",") + std::string(stats::estimator_name(e));
  }
  return fmt::format(
      "estimators={} mode={} clip={} bootstrap={} confidence={} folds={} seed={}", estimators,
      request.mode == ActMode::Greedy ? "greedy" : "explore",
      std::isinf(request.options.clip) ? std::string("none")
                                       : util::shortest_number_text(request.options.clip),
      request.options.bootstrap, util::shortest_number_text(request.options.confidence),
      request.folds, request.seed);
}

}  // namespace

store::OpeRecord ope_record(const OffPolicyRequest& request, const OffPolicyReport& report,
                            const OpeTarget& target) {
  store::OpeRecord r;
  r.experiment = target.experiment;
  r.label = target.label;
  r.target = absolute_text(report.target.file);
  r.run_id = target.run_id;
  r.log = absolute_text(request.log);
  r.log_format = logs::log_format_name(request.log_format);
  r.rows = report.diagnostics.n;
  r.settings = settings_text(request);
  r.confidence = request.options.confidence;
  r.effective_sample_size = report.diagnostics.effective_sample_size;
  r.max_weight = report.diagnostics.max_weight;
  r.mean_weight = report.diagnostics.mean_weight;
  r.zero_target_share = report.diagnostics.zero_target_share;
  r.true_value = report.true_value;
  for (const auto& e : report.estimates) {
    r.estimates.push_back({stats::estimator_name(e.estimator), e.value, e.ci_low, e.ci_high});
  }
  const std::string identity = fmt::format("{}\n{}\n{}\n{}\n{}\n{}", r.experiment, r.label,
                                           r.target, r.log, r.log_format, r.settings);
  r.evaluation_id = fmt::format("{:016x}", util::text_hash(identity));
  return r;
}

}  // namespace recrl::app
