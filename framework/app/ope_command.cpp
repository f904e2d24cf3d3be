// recrl ope
#include <iostream>
#include <sstream>
#include <thread>

#include <fmt/format.h>

#include "commands.hpp"
#include "ope_output.hpp"
#include "ope_recording.hpp"
#include "options.hpp"
#include "recrl/core/errors.hpp"
#include "recrl/loader/registry.hpp"
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

// The targets to judge, in the order --run, --policy, --target-probs, each with what it is
// recorded under when it is (a stored run always is; the others with --record).
struct Targets {
  std::vector<OffPolicyTarget> targets;
  std::vector<std::optional<OpeTarget>> recorded;
};

Targets resolve_targets(const std::vector<std::string>& runs,
                        const std::vector<std::string>& policies,
                        const std::vector<std::string>& probabilities, bool record,
                        const std::string& db_file, const std::string& experiment,
                        const std::string& label) {
  Targets t;
  const std::size_t count = runs.size() + policies.size() + probabilities.size();
  if (count == 0) throw ConfigError("ope: give a target: --policy, --target-probs or --run");
  if (!label.empty() && count > 1) {
    throw ConfigError("--label names one target; each of several is named by its run or file");
  }
  if (!record && runs.empty() && (!experiment.empty() || !label.empty())) {
    throw ConfigError("--experiment and --label name what --record (or --run) records");
  }
  if (!runs.empty()) {
    const store::ResultStore db = open_store_to_read(db_file);
    for (const std::string& id : runs) {
      const store::RunRecord run = find_run(db, id);
      const auto& info = run.info;
      t.targets.push_back({OffPolicyTarget::Kind::Policy, stored_policy(db, run)});
      t.recorded.push_back(OpeTarget{experiment.empty() ? info.experiment : experiment,
                                     !label.empty() ? label
                                     : info.variant.empty()
                                         ? info.algorithm
                                         : info.algorithm + " [" + info.variant + "]",
                                     info.run_id});
    }
  }
  for (const std::string& file : policies) {
    t.targets.push_back({OffPolicyTarget::Kind::Policy, file});
    if (!record) {
      t.recorded.emplace_back();
      continue;
    }
    const PolicyRecord policy = read_policy_file(file);
    t.recorded.push_back(OpeTarget{experiment.empty() ? policy.experiment : experiment,
                                   label.empty() ? policy.label : label, std::nullopt});
  }
  for (const std::string& file : probabilities) {
    t.targets.push_back({OffPolicyTarget::Kind::Probabilities, file});
    if (!record) {
      t.recorded.emplace_back();
      continue;
    }
    if (experiment.empty() || label.empty()) {
      throw ConfigError(
          "--record with --target-probs: give --experiment and --label (what the target is "
          "recorded as), one target at a time");
    }
    t.recorded.push_back(OpeTarget{experiment, label, std::nullopt});
  }
  return t;
}

}  // namespace

int ope_command(const std::vector<std::string>& args) {
  CommonOptions common;
  std::string log, log_format = "recrl", target_probs_out;
  std::vector<std::string> policies, probabilities, runs;
  std::string mode = "greedy", format = "table", db_file, experiment, label;
  bool record = false;
  std::string estimators = "ipw,snipw,dm,dr,sndr,switch-dr";
  OffPolicyRequest request;
  request.options.threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  po::options_description options("options");
  options.add_options()("log", po::value(&log)->required(), "the log (docs/logs.md)")(
      "log-format", po::value(&log_format), "recrl (default), obd or vw")(
      "policy", po::value(&policies)->composing(), "a target: a policy file (repeatable)")(
      "run", po::value(&runs)->composing(),
      "a target: a stored run's policy (an id or unique prefix); recorded in the store")(
      "target-probs", po::value(&probabilities)->composing(),
      "a target: a CSV of its probabilities p_0..p_{K-1}, one row per log row")(
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
      "also each target's true value, from the truth file beside a simulated log")(
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
             "--target-probs CSV | --run RUN_ID)... "
             "[--estimators ipw,snipw,dm,dr,sndr,switch-dr] [--clip W] [--bootstrap N] "
             "[--confidence C] [--folds K] [--seed S] [--threads N] [--mode greedy|explore] "
             "[--format table|json] [--validate] [--target-probs-out CSV [--force]] "
             "[--record [--experiment NAME] [--label NAME]] [--db FILE]",
             options, {}, vm)) {
    return 0;
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
  // The targets and what they are recorded under, settled before the log is read.
  const Targets targets =
      resolve_targets(runs, policies, probabilities, record, db_file, experiment, label);
  if (!target_probs_out.empty() && targets.targets.size() > 1) {
    throw ConfigError("--target-probs-out writes one target's probabilities: give one target");
  }
  request.log = log;
  request.log_format = log_format_option(log_format);
  request.targets = targets.targets;
  if (!target_probs_out.empty()) request.target_probs_out = target_probs_out;
  request.mode = mode == "greedy" ? ActMode::Greedy : ActMode::Explore;
  request.estimators = parse_estimators(estimators);

  plugin::PluginRegistry registry;
  common.load_plugins_quietly(registry);
  const std::vector<OffPolicyReport> reports = evaluate_off_policy(request, registry);
  std::cout << (format == "json" ? ope_json(reports) : ope_table(reports, request));
  std::optional<store::ResultStore> db;
  for (std::size_t i = 0; i < reports.size(); ++i) {
    const auto& recorded = targets.recorded[i];
    if (!recorded) continue;
    if (!db) db.emplace(open_store(db_file, false));
    db->record_ope(ope_record(request, reports[i], *recorded));
    if (format == "table") {
      std::cout << fmt::format("Recorded in {} under experiment '{}' as '{}'.\n",
                               db->path().string(), recorded->experiment, recorded->label);
    }
  }
  return 0;
}

}  // namespace recrl::app
