// recrl report
#include <algorithm>
#include <filesystem>
#include <iostream>

#include "commands.hpp"
#include "options.hpp"
#include "store_access.hpp"
#include "recrl/core/errors.hpp"
#include "recrl/report/html_report.hpp"
#include "recrl/report/report_data.hpp"
#include "recrl/run/explain.hpp"
#include "recrl/store/result_store.hpp"

namespace recrl::app {

namespace {

// results/<EXP>/report.html, beside what `recrl run` writes for an experiment of that name.
std::filesystem::path default_out(const std::string& experiment) {
  // Experiment files only allow [A-Za-z0-9._-]+ names; a store filled otherwise might hold a
  // name that is no folder name, and then the user must say where the report goes.
  const bool folder_name = !experiment.empty() && experiment != "." && experiment != ".." &&
                           experiment.find('/') == std::string::npos;
  if (!folder_name) {
    throw ConfigError("report: the experiment name '" + experiment +
                      "' is not a folder name: give the output file with --out FILE");
  }
  return std::filesystem::path("results") / experiment / "report.html";
}

// One explained run per algorithm (its first seed's), for the report's global view; policies
// that cannot be explained (no action scores, no simulator) are left out.
std::vector<report::FeatureImportance> explained(const store::ResultStore& results,
                                                 const report::ReportData& data,
                                                 CommonOptions& common, int customers,
                                                 int prototypes) {
  std::vector<report::FeatureImportance> out;
  if (customers == 0) return out;
  plugin::PluginRegistry registry;
  common.load_plugins_quietly(registry);
  const auto runs = results.runs(data.experiment.experiment.name);
  for (const report::AlgorithmResult& a : data.algorithms) {
    const auto run = std::find_if(runs.begin(), runs.end(), [&](const store::RunRecord& r) {
      return r.status == store::RunStatus::finished && r.info.variant == a.variant &&
             r.info.algorithm == a.algorithm && r.info.seed == a.seeds.front();
    });
    if (run == runs.end()) continue;
    try {
      Recommender policy(stored_policy(results, *run), registry);
      if (!policy.has_simulator()) continue;
      report::FeatureImportance f = feature_importance(policy, customers, prototypes);
      f.variant = a.variant;
      f.algorithm = a.algorithm;
      f.run_id = run->info.run_id;
      out.push_back(std::move(f));
    } catch (const ConfigError&) {
      // No action scores (random) or too many features: nothing to show for it.
    }
  }
  return out;
}

}  // namespace

int report_command(const std::vector<std::string>& args) {
  std::string experiment;
  std::string out;
  std::string db = store::kDefaultStorePath;
  int customers = 200, prototypes = 8;
  CommonOptions common;
  po::options_description options("options");
  options.add_options()("experiment", po::value(&experiment)->required(),
                        "the experiment's name (the name: in its file)")(
      "out", po::value(&out), "the HTML file to write; default results/<EXP>/report.html")(
      "db", po::value(&db), "the result store to read; default results/recrl.db")(
      "explain-customers", po::value(&customers),
      "held-out customers each policy's choices are explained for, in the report's global view "
      "(default 200; 0 leaves it out)")(
      "explain-prototypes", po::value(&prototypes),
      "customers the explanations are measured against (k-means medoids; default 8)");
  common.add_plugin_path(options);
  common.add_verbosity(options);
  po::positional_options_description positional;
  positional.add("experiment", 1);
  po::variables_map vm;
  if (!parse(args, "usage: recrl report EXP [--out FILE.html] [--db FILE] [--explain-customers N]",
             options, positional, vm)) {
    return 0;
  }
  const store::ResultStore results = open_store_to_read(db);
  if (customers < 0 || prototypes < 1)
    throw ConfigError("report: --explain-customers must be >= 0 and --explain-prototypes >= 1");
  report::ReportData data = report::load_report_data(results, experiment);
  data.importance = explained(results, data, common, customers, prototypes);
  const std::filesystem::path file =
      out.empty() ? default_out(experiment) : std::filesystem::path(out);
  report::save_report(file, report::render_report(data));
  std::cout << file.string() << "\n";
  return 0;
}

}  // namespace recrl::app
