#pragma once

// What recrl run shares with recrl validate and with its MPI ranks (mpi_run.cpp).
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "options.hpp"
#include "recrl/config/resolved_experiment.hpp"
#include "recrl/loader/registry.hpp"
#include "recrl/run/runner.hpp"
#include "stop_signals.hpp"

namespace recrl::app {

inline const std::string kRunUsage =
    "usage: recrl run FILE.yaml [--db FILE] [--resume] [--jobs N] [--shard I/N] [--mpi "
    "[--rank-timeout S]] [--set PATH=VALUE]... [--plugin-path DIR]...";

// What only `recrl run` takes besides the options it shares with `recrl validate`.
struct StoreChoice {
  std::string db;  // empty: the default store (per share with --shard)
  bool resume = false;
  double rank_timeout_s = 60;
};

struct Loaded {
  std::unique_ptr<plugin::PluginRegistry> registry;
  std::vector<ResolvedExperiment> variants;
  RunOptions options;
  CommonOptions common;
  bool jobs_given = false;  // --jobs was on the command line
};

// Shared by run and validate: parse the arguments, load the experiment, find its plugins and
// check everything. Returns nullopt after --help. With `store`, the options of recrl run too.
std::optional<Loaded> load(const std::vector<std::string>& args, const std::string& usage,
                           StoreChoice* store = nullptr);

// recrl run on what was loaded, its runs trained by `trainer` (none: this process's threads).
// Returns the exit status.
int run_loaded(Loaded& loaded, const StoreChoice& choice, const StopSignals& stop_signals,
               RunTrainer* trainer);

// recrl run --mpi (mpi_run.cpp): rank 0 runs the experiment, the other ranks train for it.
int run_over_mpi(const std::vector<std::string>& args);

}  // namespace recrl::app
