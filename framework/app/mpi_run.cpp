// recrl run --mpi: the experiment's runs over the ranks of mpirun or srun (docs/cluster.md).
#include <spdlog/spdlog.h>

#include "recrl/core/errors.hpp"
#include "run_loading.hpp"

#ifdef RECRL_HAVE_MPI
#include <fmt/format.h>

#include "recrl/cluster/mpi_runs.hpp"
#include "recrl/run/run_trainer.hpp"
#endif

namespace recrl::app {

#ifndef RECRL_HAVE_MPI

int run_over_mpi(const std::vector<std::string>&) {
  throw ConfigError(
      "--mpi: this recrl was built without MPI; install Open MPI (apt install openmpi-bin "
      "libopenmpi-dev) and build again, or run with --jobs N or --shard I/N");
}

#else

namespace {

cluster::MpiSettings settings_of(const StoreChoice& choice) {
  cluster::MpiSettings settings;
  settings.rank_timeout =
      std::chrono::milliseconds(static_cast<std::int64_t>(choice.rank_timeout_s * 1000));
  return settings;
}

// A rank other than 0: loads the same experiment quietly (rank 0 speaks for the job) and trains
// what rank 0 hands it. A rank that cannot load it tells rank 0 why, and waits to be dismissed.
int work(cluster::MpiWorld& world, const std::vector<std::string>& args) {
  spdlog::set_level(spdlog::level::warn);
  spdlog::set_pattern(fmt::format("[rank {}] %v", world.rank()));
  StoreChoice choice;
  std::optional<Loaded> loaded;
  std::vector<PlannedRun> plan;
  cluster::WorkerSetup setup;
  try {
    loaded = load(args, kRunUsage, &choice);
    if (loaded) {
      spdlog::set_level(spdlog::level::warn);  // whatever -v or -q said
      plan = plan_runs(loaded->variants, loaded->options.shard_index, loaded->options.shard_count);
      setup = {&loaded->variants, loaded->registry.get(), &plan,
               loaded->jobs_given ? loaded->options.jobs : 1, ""};
    } else {
      setup.cannot_run = "--help";
    }
  } catch (const std::exception& e) {
    const std::string what = e.what();
    setup.cannot_run = what.substr(0, what.find('\n'));
  }
  const StopSignals stop_signals;
  return cluster::work_for_rank_zero(world, setup, stop_signals.flag(), settings_of(choice));
}

}  // namespace

int run_over_mpi(const std::vector<std::string>& args) {
  cluster::MpiWorld world;  // dismisses the other ranks however rank 0 ends
  if (world.rank() != 0) return work(world, args);
  StoreChoice choice;
  auto loaded = load(args, kRunUsage, &choice);
  if (!loaded) return 0;
  // The ranks are the parallelism: one run per rank unless --jobs says more.
  if (!loaded->jobs_given) loaded->options.jobs = 1;
  const StopSignals stop_signals;
  LocalTrainer local(loaded->variants, *loaded->registry, loaded->options.jobs,
                     &stop_signals.flag());
  cluster::MpiTrainer trainer(world, local, settings_of(choice), &stop_signals.flag());
  spdlog::info("{} MPI ranks: {} runs at once", world.size(), trainer.slots());
  return run_loaded(*loaded, choice, stop_signals, &trainer);
}

#endif

}  // namespace recrl::app
