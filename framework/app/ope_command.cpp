// recrl ope
#include <cmath>
#include <iostream>
#include <sstream>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "options.hpp"
#include "recrl/core/errors.hpp"
#include "recrl/loader/registry.hpp"
#include "ope_recording.hpp"
#include "recrl/run/off_policy.hpp"
#include "recrl/run/policy_file.hpp"
#include "store_access.hpp"

namespace recrl::app {

namespace {

std::vector<stats::OpeEstimator> parse_estimators(const std::string& list) {
  std::vector<stats::OpeEstimator> out;
  std::stringstream in(list);
  for (std::string name; std::getline(in, name, ',');) {
    const auto e = stats::parse_estimator(name);
    if (!e) {
      throw ConfigError(fmt::format(
          "--estimators: unknown estimator '{}' (accepted: ipw, snipw, dm, dr, sndr, switch-dr)",
          name));
    }
    out.push_back(*e);
  }
  if (out.empty()) throw ConfigError("--estimators: name at least one estimator");
  return out;
}

void print_table(const OffPolicyReport& report, const OffPolicyRequest& request) {
  std::cout << fmt::format(
      "Off-policy estimates of {} on {} ({} rows)\n\n",
      request.policy ? request.policy->string() : request.target_probs->string(),
      request.log.string(), report.diagnostics.n);
  const int percent = static_cast<int>(std::lround(request.options.confidence * 100));
  const auto& truth = report.true_value;
  std::cout << fmt::format("| estimator | value | {}% interval |{}\n|---|---:|---:|{}\n", percent,
                           truth ? " true value | relative error | covered |" : "",
                           truth ? "---:|---:|---|" : "");
  for (const auto& e : report.estimates) {
    std::string check;
    if (truth) {
      const bool covered = e.ci_low && *e.ci_low <= *truth && *truth <= *e.ci_high;
      check = fmt::format(" {:.4f} | {:+.2f}% | {} |", *truth, 100 * (e.value - *truth) / *truth,
                          e.ci_low ? (covered ? "yes" : "no") : "-");
    }
    const std::string interval =
        e.ci_low ? fmt::format("[{:.4f}, {:.4f}]", *e.ci_low, *e.ci_high) : std::string("-");
    std::cout << fmt::format("| {} | {:.4f} | {} |{}\n", stats::estimator_name(e.estimator),
                             e.value, interval, check);
  }
  const auto& d = report.diagnostics;
  std::cout << fmt::format(
      "\nImportance weights: effective sample size {:.0f} of {} ({:.1f}%), max {:.3g}, mean "
      "{:.4f} (1 when the propensities are right); the target never takes the logged action "
      "in {:.1f}% of rows.\n",
      d.effective_sample_size, d.n, 100.0 * d.effective_sample_size / static_cast<double>(d.n),
      d.max_weight, d.mean_weight, 100.0 * d.zero_target_share);
}

void print_json(const OffPolicyReport& report) {
  nlohmann::json estimates = nlohmann::json::array();
  for (const auto& e : report.estimates) {
    nlohmann::json item = {{"estimator", stats::estimator_name(e.estimator)}, {"value", e.value}};
    item["ci_low"] = e.ci_low ? nlohmann::json(*e.ci_low) : nlohmann::json();
    item["ci_high"] = e.ci_high ? nlohmann::json(*e.ci_high) : nlohmann::json();
    estimates.push_back(item);
  }
  const auto& d = report.diagnostics;
  nlohmann::json out = {{"n", d.n},
                        {"estimates", estimates},
                        {"diagnostics",
                         {{"effective_sample_size", d.effective_sample_size},
                          {"max_weight", d.max_weight},
                          {"mean_weight", d.mean_weight},
                          {"zero_target_share", d.zero_target_share}}}};
  if (report.true_value) out["true_value"] = *report.true_value;
  std::cout << out.dump(2) << "\n";
}

}  // namespace

int ope_command(const std::vector<std::string>& args) {
  CommonOptions common;
  std::string log, log_format = "recrl", policy, target_probs, target_probs_out, run_id;
  std::string mode = "greedy", format = "table", db_file, experiment, label;
  bool record = false;
  std::string estimators = "ipw,snipw,dm,dr,sndr,switch-dr";
  OffPolicyRequest request;
  request.options.threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  po::options_description options("options");
  options.add_options()("log", po::value(&log)->required(), "the log (docs/logs.md)")(
      "log-format", po::value(&log_format), "recrl (default), obd or vw")(
      "policy", po::value(&policy), "the target: a policy file")(
      "run", po::value(&run_id),
      "the target: a stored run's policy (an id or unique prefix); recorded in the store")(
      "target-probs", po::value(&target_probs),
      "the target: a CSV of its probabilities p_0..p_{K-1}, one row per log row")(
      "target-probs-out", po::value(&target_probs_out),
      "also write the target's probabilities per row to this CSV (for another tool)")(
      "force", po::bool_switch(&request.replace), "replace --target-probs-out if it exists")(
      "mode", po::value(&mode), "the policy's mode judged: greedy (default) or explore")(
      "estimators", po::value(&estimators), "comma-separated (default all six)")(
      "clip", po::value(&request.options.clip),
      "cut importance weights at W (ipw, dr); switch-dr's threshold")(
      "bootstrap", po::value(&request.options.bootstrap), "resamples of the intervals (1000)")(
      "confidence", po::value(&request.options.confidence), "of the intervals (0.95)")(
      "folds", po::value(&request.folds), "cross-fitting folds of the reward model (2)")(
      "seed", po::value(&request.seed), "seed of the bootstrap (0)")(
      "threads", po::value(&request.options.threads),
      "threads sharing the bootstrap (default: every core; the same intervals for any)")(
      "format", po::value(&format), "table (default) or json")(
      "validate", po::bool_switch(&request.validate),
      "also the target's true value, from the truth file beside a simulated log")(
      "record", po::bool_switch(&record), "record the estimates in the result store (--db)")(
      "experiment", po::value(&experiment),
      "recorded with this experiment (default: the run's or the policy file's)")(
      "label", po::value(&label), "the target's name in the store (default: its algorithm label)");
  add_db_option(options, db_file);
  common.add_plugin_path(options);
  common.add_verbosity(options);
  po::variables_map vm;
  if (!parse(args,
             "usage: recrl ope --log LOG [--log-format recrl|obd|vw] (--policy FILE | "
             "--target-probs CSV | --run RUN_ID) "
             "[--estimators ipw,snipw,dm,dr,sndr,switch-dr] [--clip W] [--bootstrap N] "
             "[--confidence C] [--folds K] [--seed S] [--threads N] [--mode greedy|explore] "
             "[--format table|json] [--validate] [--target-probs-out CSV [--force]] "
             "[--record [--experiment NAME] [--label NAME]] [--db FILE]",
             options, {}, vm)) {
    return 0;
  }
  if (policy.empty() + target_probs.empty() + run_id.empty() != 2) {
    throw ConfigError("ope: give exactly one of --policy, --target-probs and --run");
  }
  if (mode != "greedy" && mode != "explore") {
    throw ConfigError("--mode: expected greedy or explore, got '" + mode + "'");
  }
  if (format != "table" && format != "json") {
    throw ConfigError("--format: expected table or json, got '" + format + "'");
  }
  if (!(request.options.clip > 0)) throw ConfigError("--clip: expected a weight > 0");
  if (request.options.bootstrap < 0 || request.options.bootstrap > 1'000'000) {
    throw ConfigError("--bootstrap: expected 0 to 1000000 resamples");
  }
  if (!(request.options.confidence > 0 && request.options.confidence < 1)) {
    throw ConfigError("--confidence: expected a number strictly between 0 and 1");
  }
  if (request.folds < 1 || request.folds > 100) throw ConfigError("--folds: expected 1 to 100");
  if (request.options.threads < 1 || request.options.threads > 256) {
    throw ConfigError("--threads: expected 1 to 256");
  }
  // What the evaluation is recorded under, settled before the log is read.
  std::optional<OpeTarget> recorded;
  if (!run_id.empty()) {
    const store::ResultStore db = open_store_to_read(db_file);
    const store::RunRecord run = find_run(db, run_id);
    policy = stored_policy(db, run).string();
    const auto& info = run.info;
    recorded = OpeTarget{experiment.empty() ? info.experiment : experiment,
                         !label.empty()         ? label
                         : info.variant.empty() ? info.algorithm
                                                : info.algorithm + " [" + info.variant + "]",
                         info.run_id};
  } else if (record && !policy.empty()) {
    const PolicyRecord file = read_policy_file(policy);
    recorded = OpeTarget{experiment.empty() ? file.experiment : experiment,
                         label.empty() ? file.label : label, std::nullopt};
  } else if (record) {
    if (experiment.empty() || label.empty()) {
      throw ConfigError(
          "--record with --target-probs: give --experiment and --label (what the target is "
          "recorded as)");
    }
    recorded = OpeTarget{experiment, label, std::nullopt};
  } else if (!experiment.empty() || !label.empty()) {
    throw ConfigError("--experiment and --label name what --record (or --run) records");
  }
  request.log = log;
  request.log_format = log_format_option(log_format);
  if (!policy.empty()) request.policy = policy;
  if (!target_probs.empty()) request.target_probs = target_probs;
  if (!target_probs_out.empty()) request.target_probs_out = target_probs_out;
  request.mode = mode == "greedy" ? ActMode::Greedy : ActMode::Explore;
  request.estimators = parse_estimators(estimators);

  plugin::PluginRegistry registry;
  common.load_plugins_quietly(registry);
  const OffPolicyReport report = evaluate_off_policy(request, registry);
  if (format == "json") {
    print_json(report);
  } else {
    print_table(report, request);
  }
  if (recorded) {
    store::ResultStore db = open_store(db_file, false);
    db.record_ope(ope_record(request, report, *recorded));
    if (format == "table") {
      std::cout << fmt::format("Recorded in {} under experiment '{}' as '{}'.\n",
                               db.path().string(), recorded->experiment, recorded->label);
    }
  }
  return 0;
}

}  // namespace recrl::app
