// recrl report
#include <filesystem>
#include <iostream>

#include "commands.hpp"
#include "options.hpp"
#include "store_access.hpp"
#include "recrl/core/errors.hpp"
#include "recrl/report/html_report.hpp"
#include "recrl/report/report_data.hpp"
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

}  // namespace

int report_command(const std::vector<std::string>& args) {
  std::string experiment;
  std::string out;
  std::string db = store::kDefaultStorePath;
  po::options_description options("options");
  options.add_options()("experiment", po::value(&experiment)->required(),
                        "the experiment's name (the name: in its file)")(
      "out", po::value(&out), "the HTML file to write; default results/<EXP>/report.html")(
      "db", po::value(&db), "the result store to read; default results/recrl.db");
  po::positional_options_description positional;
  positional.add("experiment", 1);
  po::variables_map vm;
  if (!parse(args, "usage: recrl report EXP [--out FILE.html] [--db FILE]", options, positional,
             vm)) {
    return 0;
  }
  const store::ResultStore results = open_store_to_read(db);
  const report::ReportData data = report::load_report_data(results, experiment);
  const std::filesystem::path file =
      out.empty() ? default_out(experiment) : std::filesystem::path(out);
  report::save_report(file, report::render_report(data));
  std::cout << file.string() << "\n";
  return 0;
}

}  // namespace recrl::app
