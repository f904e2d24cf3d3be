// recrl merge: brings the finished runs of other stores (shards, other machines) into one.
#include <iostream>

#include <fmt/format.h>

#include "commands.hpp"
#include "options.hpp"
#include "store_access.hpp"
#include "recrl/core/errors.hpp"
#include "recrl/store/result_store.hpp"

namespace recrl::app {

namespace {

std::string count_text(int count, const char* one, const char* many) {
  return fmt::format("{} {}", count, count == 1 ? one : many);
}

std::string summary_text(const store::MergeSummary& s) {
  std::string text =
      fmt::format("{} added, {} updated, {} skipped (already here); {} added, {} added",
                  count_text(s.runs_added, "run", "runs"), s.runs_replaced, s.runs_kept,
                  count_text(s.experiments_added, "experiment", "experiments"),
                  count_text(s.variants_added, "variant", "variants"));
  if (s.evaluations_added > 0) {
    text += fmt::format(", {} added", count_text(s.evaluations_added, "off-policy evaluation",
                                                 "off-policy evaluations"));
  }
  return text;
}

// Why `source` cannot be merged into `target` (a missing, corrupt or newer store, or the
// target itself), checked before the target is opened; empty when it can.
std::string problem_with(const std::filesystem::path& source, const std::filesystem::path& target) {
  std::error_code error;
  if (std::filesystem::equivalent(source, target, error))
    return fmt::format("error: {}: cannot merge a store into itself", source.string());
  store::StoreOptions options;
  options.recrl_version = RECRL_VERSION;
  options.read_only = true;
  try {
    store::ResultStore::open(source, options);
  } catch (const store::StoreError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

int merge_command(const std::vector<std::string>& args) {
  std::vector<std::string> sources;
  std::string into;
  po::options_description options("options");
  options.add_options()("source", po::value(&sources)->composing()->required(),
                        "the stores to merge (each is only read)")(
      "into", po::value(&into)->default_value(store::kDefaultStorePath),
      "the store to merge them into (created if missing)");
  po::positional_options_description positional;
  positional.add("source", -1);
  po::variables_map vm;
  if (!parse(args, "usage: recrl merge SOURCE.db... [--into FILE]", options, positional, vm)) {
    return 0;
  }
  // Bad sources are reported and skipped; the others are still merged. The exit status says
  // that not everything was: 2 for a bad source, 1 for a merge that failed (and rolled back).
  int status = 0;
  std::vector<std::string> mergeable;
  for (const std::string& source : sources) {
    const std::string problem = problem_with(source, into);
    if (problem.empty()) {
      mergeable.push_back(source);
    } else {
      std::cerr << "recrl: " << problem << " (not merged)\n";
      status = 2;
    }
  }
  if (mergeable.empty()) return status;

  store::ResultStore target = open_store(into, false);
  int merged = 0;
  for (const std::string& source : mergeable) {
    try {
      std::cout << source << ": " << summary_text(target.merge(source)) << "\n";
      ++merged;
    } catch (const store::StoreError& e) {
      std::cerr << "recrl: " << e.what() << " (not merged)\n";
      if (status == 0) status = 1;
    }
  }
  std::cout << fmt::format("merged {} of {} into {}\n", merged,
                           count_text(static_cast<int>(sources.size()), "store", "stores"), into);
  return status;
}

}  // namespace recrl::app
