// recrl runs: the runs of the result store with their status.
#include <algorithm>
#include <chrono>
#include <ctime>
#include <iostream>
#include <optional>
#include <sstream>

#include <fmt/format.h>

#include "commands.hpp"
#include "options.hpp"
#include "recrl/core/errors.hpp"
#include "recrl/util/text_table.hpp"
#include "store_access.hpp"

namespace recrl::app {

namespace {

// How many hex digits of a run id the list shows; any unique prefix addresses the run.
constexpr std::size_t kShortRunId = 12;

std::optional<store::RunStatus> status_filter(const std::string& text) {
  if (text.empty()) return std::nullopt;
  for (const auto status : {store::RunStatus::pending, store::RunStatus::running,
                            store::RunStatus::finished, store::RunStatus::failed}) {
    if (store::to_string(status) == text) return status;
  }
  throw ConfigError("--status '" + text +
                    "': not a run status (accepted: pending, running, finished, failed)");
}

std::string utc_time(store::Timestamp at) {
  const auto seconds = static_cast<std::time_t>(at);
  std::tm parts{};
  gmtime_r(&seconds, &parts);
  return fmt::format("{:04}-{:02}-{:02} {:02}:{:02}:{:02}", parts.tm_year + 1900, parts.tm_mon + 1,
                     parts.tm_mday, parts.tm_hour, parts.tm_min, parts.tm_sec);
}

std::string duration_text(double seconds) {
  if (seconds < 60) return fmt::format("{:.1f}s", seconds);
  const auto whole = static_cast<long long>(seconds);
  if (whole < 3600) return fmt::format("{}m {:02}s", whole / 60, whole % 60);
  return fmt::format("{}h {:02}m", whole / 3600, (whole % 3600) / 60);
}

// A finished or failed run's duration; a running run's time so far.
std::string run_duration(const store::RunRecord& run) {
  if (!run.started_at) return "";
  if (run.status == store::RunStatus::running) {
    const double now =
        std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
    return duration_text(std::max(0.0, now - *run.started_at)) + " so far";
  }
  if (!run.finished_at) return "";
  return duration_text(std::max(0.0, *run.finished_at - *run.started_at));
}

std::string metric_text(const store::Metrics& metrics, const std::string& name, int decimals) {
  const auto value = metrics.find(name);
  return value == metrics.end() ? "" : fmt::format("{:.{}f}", value->second, decimals);
}

std::vector<std::string> experiment_names(const store::ResultStore& db, const std::string& only) {
  std::vector<std::string> names;
  for (const store::ExperimentSummary& e : db.experiments()) names.push_back(e.experiment.name);
  if (only.empty()) return names;
  if (std::find(names.begin(), names.end(), only) == names.end()) {
    std::string known;
    for (const std::string& name : names) known += (known.empty() ? "" : ", ") + name;
    throw ConfigError(fmt::format("{}: no experiment '{}' (experiments: {})", db.path().string(),
                                  only, known.empty() ? "none" : known));
  }
  return {only};
}

}  // namespace

int runs_command(const std::vector<std::string>& args) {
  std::string experiment;
  std::string db_file;
  std::string status_text;
  po::options_description options("options");
  options.add_options()("experiment", po::value(&experiment), "list only this experiment's runs")(
      "status", po::value(&status_text),
      "list only runs in this status: pending, running, "
      "finished or failed");
  add_db_option(options, db_file);
  po::positional_options_description positional;
  positional.add("experiment", 1);
  po::variables_map vm;
  if (!parse(args, "usage: recrl runs [EXP] [--db FILE] [--status pending|running|finished|failed]",
             options, positional, vm)) {
    return 0;
  }
  const std::optional<store::RunStatus> only_status = status_filter(status_text);
  const store::ResultStore db = open_store_to_read(db_file);

  std::vector<std::vector<std::string>> rows = {{"run", "experiment", "variant", "algorithm",
                                                 "seed", "status", "env steps", "eval mean",
                                                 "started (UTC)", "duration", "host"}};
  std::vector<std::string> errors;  // one per row; shown under failed runs
  errors.emplace_back();
  for (const std::string& name : experiment_names(db, experiment)) {
    const auto metrics = db.metrics_by_run(name);
    for (const store::RunRecord& run : db.runs(name)) {
      if (only_status && run.status != *only_status) continue;
      const auto found = metrics.find(run.info.run_id);
      const store::Metrics none;
      const store::Metrics& m = found == metrics.end() ? none : found->second;
      rows.push_back({run.info.run_id.substr(0, kShortRunId), run.info.experiment, run.info.variant,
                      run.info.algorithm, std::to_string(run.info.seed),
                      std::string(store::to_string(run.status)), metric_text(m, "env_steps", 0),
                      metric_text(m, "eval_mean", 4),
                      run.started_at ? utc_time(*run.started_at) : "", run_duration(run),
                      run.host});
      errors.push_back(run.status == store::RunStatus::failed ? run.error : "");
    }
  }
  if (rows.size() == 1) {
    std::cout << db.path().string() << ": no runs"
              << (experiment.empty() ? "" : " of " + experiment)
              << (only_status ? " that are " + status_text : "") << "\n";
    return 0;
  }
  const bool variants =
      std::any_of(rows.begin() + 1, rows.end(), [](const auto& row) { return !row[2].empty(); });
  if (!variants) {
    for (auto& row : rows) row.erase(row.begin() + 2);
  }
  const std::size_t seed_column = variants ? 4 : 3;
  std::vector<bool> right_aligned(rows.front().size(), false);
  for (std::size_t c : {seed_column, seed_column + 2, seed_column + 3, seed_column + 5})
    right_aligned[c] = true;
  std::istringstream lines(util::aligned_table(rows, right_aligned));
  std::size_t index = 0;
  for (std::string line; std::getline(lines, line); ++index) {
    std::cout << line << "\n";
    if (!errors[index].empty()) std::cout << "    error: " << errors[index] << "\n";
  }
  return 0;
}

}  // namespace recrl::app
