// recrl run / recrl validate
#include <unistd.h>

#include <algorithm>
#include <iostream>
#include <optional>
#include <thread>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "commands.hpp"
#include "options.hpp"
#include "run_loading.hpp"
#include "recrl/config/experiment.hpp"
#include "recrl/core/errors.hpp"
#include "recrl/loader/registry.hpp"
#include "recrl/run/progress_display.hpp"
#include "recrl/report/results.hpp"
#include "recrl/run/runner.hpp"
#include "recrl/store/result_store.hpp"
#include "stop_signals.hpp"

namespace recrl::app {

namespace {

// "I/N" with 1 <= I <= N.
void parse_shard(const std::string& text, RunOptions& options) {
  const auto slash = text.find('/');
  int index = 0;
  int count = 0;
  try {
    std::size_t used_index = 0;
    std::size_t used_count = 0;
    if (slash != std::string::npos) {
      index = std::stoi(text.substr(0, slash), &used_index);
      count = std::stoi(text.substr(slash + 1), &used_count);
    }
    if (slash == std::string::npos || used_index != slash ||
        used_count != text.size() - slash - 1) {
      index = 0;
    }
  } catch (const std::exception&) {
    index = 0;
  }
  if (index < 1 || count < 1 || index > count) {
    throw ConfigError("--shard '" + text +
                      "': expected I/N with 1 <= I <= N, e.g. --shard 1/4 for the first of four "
                      "shares");
  }
  options.shard_index = index;
  options.shard_count = count;
}

}  // namespace

std::optional<Loaded> load(const std::vector<std::string>& args, const std::string& usage,
                           StoreChoice* store) {
  std::string file;
  std::string shard = "1/1";
  Loaded loaded{std::make_unique<plugin::PluginRegistry>(), {}, {}, {}};
  CommonOptions& common = loaded.common;
  loaded.options.jobs = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  po::options_description options("options");
  options.add_options()("experiment", po::value(&file)->required(), "the experiment file (YAML)")(
      "jobs,j", po::value(&loaded.options.jobs),
      "runs at once (default: the number of cores); results do not depend on it")(
      "shard", po::value(&shard), "run only share I of N of the run list: I/N");
  if (store != nullptr) {
    options.add_options()(
        "db", po::value(&store->db),
        "the result store to record the runs in (default: results/recrl.db, with --shard I/N "
        "results/recrl.shard-I-of-N.db)")(
        "resume", po::bool_switch(&store->resume),
        "skip the runs the store has finished and run only the others (failed, interrupted, "
        "never started)")(
        "mpi", po::bool_switch(),  // seen before parsing: MPI starts before anything loads
        "run under mpirun or srun: rank 0 hands the runs to the ranks (each --jobs at once, 1 "
        "unless given) and records them (docs/cluster.md)")(
        "rank-timeout", po::value(&store->rank_timeout_s),
        "with --mpi: seconds a rank may stay silent before its runs are failed (default 60)");
  }
  po::positional_options_description positional;
  common.add_experiment_options(options, positional);
  po::variables_map vm;
  if (!parse(args, usage, options, positional, vm)) return std::nullopt;
  common.apply_verbosity();

  std::vector<config::Override> overrides;
  for (const std::string& o : common.overrides) overrides.push_back(config::parse_override(o));
  if (loaded.options.jobs < 1) {
    throw ConfigError("--jobs " + std::to_string(loaded.options.jobs) + ": expected at least 1");
  }
  parse_shard(shard, loaded.options);
  loaded.jobs_given = vm.count("jobs") > 0;
  if (store != nullptr && !(store->rank_timeout_s > 0)) {
    throw ConfigError(fmt::format("--rank-timeout {:g}: expected a number of seconds above 0",
                                  store->rank_timeout_s));
  }
  loaded.variants =
      load_resolved_experiment(file, overrides, common.plugin_folders(), *loaded.registry);
  return loaded;
}

namespace {

// Opens the store `recrl run` records in. A file that is not a usable store is a bad --db
// (exit 2); a store that is locked or cannot be written is a store error (exit 1).
store::ResultStore open_run_store(const StoreChoice& choice, const RunOptions& options) {
  std::filesystem::path path = choice.db;
  if (path.empty()) {
    path = options.shard_count == 1
               ? std::filesystem::path(store::kDefaultStorePath)
               : std::filesystem::path(fmt::format("results/recrl.shard-{}-of-{}.db",
                                                   options.shard_index, options.shard_count));
  }
  store::StoreOptions store_options;
  store_options.recrl_version = RECRL_VERSION;
  try {
    return store::ResultStore::open(path, store_options);
  } catch (const store::InvalidStoreError& e) {
    throw ConfigError::combined({std::string(e.what()) + " (--db FILE chooses another store)"});
  }
}

}  // namespace

int run_command(const std::vector<std::string>& args) {
  if (std::find(args.begin(), args.end(), "--mpi") != args.end()) return run_over_mpi(args);
  StoreChoice choice;
  auto loaded = load(args, kRunUsage, &choice);
  if (!loaded) return 0;
  const StopSignals stop_signals;
  return run_loaded(*loaded, choice, stop_signals, nullptr);
}

int run_loaded(Loaded& loaded, const StoreChoice& choice, const StopSignals& stop_signals,
               RunTrainer* trainer) {
  store::ResultStore store = open_run_store(choice, loaded.options);
  RunOptions options = loaded.options;
  options.store = &store;
  options.resume = choice.resume;
  spdlog::info("recording the runs in {}", store.path().string());

  // Quiet: no progress at all. Verbose: plain lines, which mix well with debug lines.
  std::optional<ProgressDisplay> display;
  if (!loaded.common.quiet) {
    const bool terminal = isatty(STDERR_FILENO) == 1 && !loaded.common.verbose;
    display.emplace(terminal ? ProgressDisplay::Mode::live : ProgressDisplay::Mode::plain);
    options.observers.push_back(&*display);
  }
  options.stop = &stop_signals.flag();
  options.trainer = trainer;
  std::optional<ExperimentResult> result;
  try {
    result = run_experiment(loaded.variants, *loaded.registry, options);
  } catch (const ExperimentInterrupted& e) {
    display.reset();
    std::cerr << "recrl: " << e.what() << "\n";
    return 128 + e.signal();
  }
  display.reset();  // erases the live display before the table
  if (options.shard_count > 1) {
    // A share of the runs is not the experiment: say so above its table, and write no results.
    std::cout << fmt::format(
        "Shard {} of {}: {} of the experiment's runs, recorded in {}. Its results come from the "
        "shards' stores merged: recrl merge SHARD.db... --into ALL.db, then recrl compare {} "
        "--db ALL.db (or recrl report).\n\n",
        options.shard_index, options.shard_count, result->runs.size(), store.path().string(),
        result->experiment);
    if (!result->runs.empty()) std::cout << results_markdown(*result);
    return 0;
  }
  std::cout << results_markdown(*result);
  spdlog::info("results written to {} and recorded in {}", (result->output / "results.md").string(),
               store.path().string());
  return 0;
}

int validate_command(const std::vector<std::string>& args) {
  const auto loaded =
      load(args, "usage: recrl validate FILE.yaml [--set PATH=VALUE]... [--plugin-path DIR]...");
  if (!loaded) return 0;
  const auto& x = loaded->variants.front();
  const std::size_t variants = loaded->variants.size();
  const std::size_t runs = variants * x.algorithms.size() * x.experiment.seeds.size();
  std::cout << x.experiment.file.string() << ": ok ("
            << (variants > 1 ? std::to_string(variants) + " variants x " : "")
            << x.algorithms.size() << " algorithms x " << x.experiment.seeds.size()
            << " seeds = " << runs << " runs)\n";
  return 0;
}

}  // namespace recrl::app
