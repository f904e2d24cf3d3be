// recrl compare: one comparison table across experiments of the result store.
#include <iostream>

#include "commands.hpp"
#include "options.hpp"
#include "recrl/report/comparison_format.hpp"
#include "recrl/store/comparison_table.hpp"
#include "store_access.hpp"

namespace recrl::app {

int compare_command(const std::vector<std::string>& args) {
  std::vector<std::string> experiments;
  std::string db_file;
  std::string format_name = "table";
  store::ComparisonOptions comparison;
  po::options_description options("options");
  options.add_options()("experiment", po::value(&experiments)->composing(),
                        "the experiments to compare (default: every one in the store)")(
      "metric", po::value(&comparison.metric)->default_value(comparison.metric),
      "eval_mean, pct_oracle, steps_per_s, wall_s or env_steps")(
      "format", po::value(&format_name)->default_value(format_name), "table, md, csv or json")(
      "confidence", po::value(&comparison.bootstrap.confidence)->default_value(0.95, "0.95"),
      "of every interval and verdict, strictly between 0 and 1");
  add_db_option(options, db_file);
  po::positional_options_description positional;
  positional.add("experiment", -1);
  po::variables_map vm;
  if (!parse(args,
             "usage: recrl compare [EXP...] [--metric eval_mean|pct_oracle|steps_per_s|wall_s|"
             "env_steps] [--format table|md|csv|json] [--confidence 0.95] [--db FILE]",
             options, positional, vm)) {
    return 0;
  }
  // Every argument is checked before the store is opened.
  const store::ComparisonFormat format = store::comparison_format(format_name);
  store::compared_metric(comparison.metric);
  comparison.bootstrap.check();
  const store::ResultStore db = open_store_to_read(db_file);
  std::cout << store::format_comparison(store::build_comparison(db, experiments, comparison),
                                        format);
  return 0;
}

}  // namespace recrl::app
