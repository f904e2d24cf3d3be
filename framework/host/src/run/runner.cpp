#include "recrl/run/runner.hpp"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <csignal>
#include <exception>
#include <mutex>
#include <thread>
#include <type_traits>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include "recrl/util/atomic_file.hpp"
#include "plugin_instances.hpp"
#include "recrl/config/yaml_value.hpp"
#include "recrl/core/errors.hpp"
#include "recrl/run/evaluation.hpp"
#include "observer_list.hpp"
#include "recrl/report/results.hpp"
#include "recrl/store/result_store.hpp"
#include "store_recorder.hpp"
#include "recrl/util/text_hash.hpp"
#include "training_run.hpp"

namespace recrl {

namespace {

using plugin::Kind;

// The oracle's mean return on the held-out episodes, where the experiment has an oracle (and
// the oracle plugin is installed).
std::optional<double> oracle_reference(const ResolvedExperiment& x,
                                       const plugin::PluginRegistry& registry) {
  const plugin::PluginInfo* info = registry.find(plugin::Kind::Algorithm, "oracle");
  if (!x.has_oracle || info == nullptr) return std::nullopt;
  const auto logger = make_logger("oracle");
  EnvCopies copies = make_env_copies(
      x, registry, static_cast<int>(std::min(x.experiment.eval.episodes, kEvalSlots)), logger);
  const PluginContext ctx =
      context_for(x.reward, &x.env_spec, copies.rewards.front().get(), 1, logger, "");
  const auto oracle = registry.create_algorithm(
      "oracle", Params::validate(info->schema, Value::null(), "oracle.params", {}), ctx);
  Evaluator evaluator(copies.envs, copies.rewards, x.reward.info->name, x.experiment.eval.episodes,
                      x.experiment.eval.seed);
  Rng unused(0);
  return evaluator.run(*oracle, nullptr, unused).mean_return;
}

// Where a variant's runs go: <output>/runs, or <output>/runs/<variant> in a sweep.
std::filesystem::path variant_dir(const ResolvedExperiment& x) {
  const std::filesystem::path runs = x.experiment.output / "runs";
  if (x.experiment.variant.empty()) return runs;
  std::string folder = x.experiment.variant;
  for (char& c : folder) {
    const bool portable = std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' ||
                          c == '-' || c == '=' || c == ',';
    if (!portable) c = '_';
  }
  return runs / folder;
}

// Runs job(0..count-1) on `jobs` threads and returns the results in job order, so the outcome
// does not depend on the number of threads. After a failure no new job starts; the first
// failure (in job order) is rethrown once the running jobs end.
template <typename Job>
auto execute_in_parallel(std::size_t count, int jobs, Job job) {
  std::vector<std::invoke_result_t<Job, std::size_t>> results(count);
  std::vector<std::exception_ptr> failures(count);
  std::atomic<std::size_t> next{0};
  std::atomic<bool> failed{false};
  const auto worker = [&] {
    for (std::size_t i; !failed && (i = next++) < count;) {
      try {
        results[i] = job(i);
      } catch (...) {
        failures[i] = std::current_exception();
        failed = true;
      }
    }
  };
  const std::size_t threads =
      std::min<std::size_t>(std::max(jobs, 1), std::max<std::size_t>(count, 1));
  std::vector<std::thread> pool;
  for (std::size_t t = 1; t < threads; ++t) pool.emplace_back(worker);
  worker();
  for (std::thread& t : pool) t.join();
  for (const std::exception_ptr& failure : failures) {
    if (failure) std::rethrow_exception(failure);
  }
  return results;
}

int stop_signal(const RunOptions& options) {
  return options.stop != nullptr ? options.stop->load(std::memory_order_relaxed) : 0;
}

// The first line of an error message: a run's error is stored and shown as one line.
std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

std::string label_of(const ResolvedExperiment& x, const ResolvedAlgorithm& algo,
                     std::uint64_t seed) {
  std::string label = fmt::format("{} s{}", algo.use.label, seed);
  if (!x.experiment.variant.empty()) label += " " + x.experiment.variant;
  return label;
}

}  // namespace

ExperimentInterrupted::ExperimentInterrupted(int signal, const std::string& message)
    : Error(message), signal_(signal) {}

std::string run_id(const ResolvedExperiment& x, const ResolvedAlgorithm& algo, std::uint64_t seed) {
  // Everything that determines the run's numbers, and the names that tell it apart in its
  // experiment; as YAML, whose text for a Value is fixed.
  const auto plugin = [](const ResolvedPlugin& p) {
    return Value::map({{"plugin", Value::string(p.info->name)},
                       {"version", Value::string(p.info->version)},
                       {"params", p.params.values()}});
  };
  std::vector<Value::Entry> assignments;
  for (const auto& [path, value] : x.experiment.assignments) assignments.emplace_back(path, value);
  Value algorithm = plugin(algo);
  algorithm.set("label", Value::string(algo.use.label));
  algorithm.set("timesteps", Value::integer(algo.timesteps));
  algorithm.set("n_envs", Value::integer(algo.n_envs));
  algorithm.set("normalize_observations", Value::boolean(algo.normalize_observations));
  const auto& eval = x.experiment.eval;
  const Value identity = Value::map({
      {"experiment", Value::string(x.experiment.name)},
      {"variant", Value::map(std::move(assignments))},
      {"env", plugin(x.env)},
      {"reward", plugin(x.reward)},
      {"algorithm", std::move(algorithm)},
      {"eval", Value::map({{"episodes", Value::integer(eval.episodes)},
                           {"seed", Value::integer(static_cast<std::int64_t>(eval.seed))},
                           {"every", Value::integer(eval.every)}})},
      {"seed", Value::integer(static_cast<std::int64_t>(seed))},
  });
  // 64 bits: collisions are negligible for the thousands of runs a store holds.
  return fmt::format("{:016x}", util::text_hash(config::to_yaml(identity)));
}

std::vector<PlannedRun> plan_runs(const std::vector<ResolvedExperiment>& variants,
                                  const RunOptions& options) {
  RECRL_ASSERT(options.shard_count >= 1 && options.shard_index >= 1 &&
                   options.shard_index <= options.shard_count,
               "shard out of range");
  std::vector<PlannedRun> runs;
  std::size_t position = 0;
  for (std::size_t v = 0; v < variants.size(); ++v) {
    const ResolvedExperiment& x = variants[v];
    const std::filesystem::path base = variant_dir(x);
    for (std::size_t a = 0; a < x.algorithms.size(); ++a) {
      for (std::uint64_t seed : x.experiment.seeds) {
        // Shares are dealt round-robin, so each gets a mix of algorithms and variants.
        const bool mine = position++ % static_cast<std::size_t>(options.shard_count) ==
                          static_cast<std::size_t>(options.shard_index - 1);
        if (!mine) continue;
        const ResolvedAlgorithm& algo = x.algorithms[a];
        runs.push_back({v, a, seed, run_id(x, algo, seed),
                        base / fmt::format("{}__s{}", algo.use.label, seed),
                        label_of(x, algo, seed), algo.timesteps});
      }
    }
  }
  return runs;
}

ExperimentResult run_experiment(const std::vector<ResolvedExperiment>& variants,
                                const plugin::PluginRegistry& registry, const RunOptions& options) {
  RECRL_ASSERT(!variants.empty(), "an experiment has at least one variant");
  const ResolvedExperiment& first = variants.front();
  const config::Experiment& e = first.experiment;
  remove_results(e.output);
  for (const ResolvedExperiment& x : variants) {
    const auto folder = x.experiment.variant.empty() ? e.output : variant_dir(x);
    util::write_file_atomically(folder / "config.resolved.yaml", config::to_yaml(x.resolved_document()));
  }

  ExperimentResult result;
  result.experiment = e.name;
  result.output = e.output;
  result.env = first.env.info->name;
  result.reward = first.reward.info->name;
  result.eval_episodes = e.eval.episodes;
  result.eval_seed = e.eval.seed;
  std::vector<std::optional<double>> oracle_means;
  for (const ResolvedExperiment& x : variants)
    oracle_means.push_back(oracle_reference(x, registry));
  result.oracle_mean = oracle_means.front();
  result.action_labels = first.env_spec.action.labels;

  const std::vector<PlannedRun> plan = plan_runs(variants, options);
  std::optional<StoreRecorder> recorder;
  std::vector<RunObserver*> observers;
  if (options.store != nullptr) {
    recorder.emplace(*options.store, variants, result.action_labels, options.resume);
    recorder->record_plan(plan);
    observers.push_back(&*recorder);
  }
  observers.insert(observers.end(), options.observers.begin(), options.observers.end());
  ObserverList notify(std::move(observers));
  notify.on_plan(plan);

  std::mutex elsewhere_mutex;
  std::vector<std::string> elsewhere;  // runs left to the other processes running them
  std::vector<std::optional<RunResult>> outcomes;
  try {
    outcomes = execute_in_parallel(plan.size(), options.jobs, [&](std::size_t i) {
      const PlannedRun& p = plan[i];
      if (stop_signal(options) != 0) throw RunStopped{};
      std::optional<ResumeFrom> resume;
      if (recorder) {
        const store::Claim claim = recorder->claim(p);
        if (options.resume) resume = ResumeFrom{claim.checkpoint};
        if (!claim.run_it) {
          if (claim.reason == store::ClaimReason::running_elsewhere) {
            if (!options.resume) {
              throw Error(fmt::format(
                  "error: run {} ({}) is being run by {} right now; wait for it to end, or add "
                  "--resume to run only the runs that are neither finished nor running",
                  p.id, p.label, claim.previous_owner));
            }
            spdlog::warn("run {} ({}) is being run by {}: left to it", p.id, p.label,
                         claim.previous_owner);
            std::lock_guard lock(elsewhere_mutex);
            elsewhere.push_back(fmt::format("{} by {}", p.label, claim.previous_owner));
          }
          notify.on_run_skipped(p);
          return std::optional<RunResult>();
        }
      }
      const ResolvedExperiment& x = variants[p.variant];
      RunProgress progress;
      notify.on_run_started(p, progress);
      try {
        TrainingRun run(x, x.algorithms[p.algorithm], p.seed, registry, p.dir,
                        {&p, &notify, &progress, options.stop});
        RunResult r = run.execute(oracle_means[p.variant], resume);
        r.run_id = p.id;
        r.variant = x.experiment.variant;
        notify.on_run_finished(p, r);
        return std::optional<RunResult>(std::move(r));
      } catch (const RunStopped&) {
        notify.on_run_failed(p, "interrupted");
        throw;
      } catch (const std::exception& error) {
        notify.on_run_failed(p, first_line(error.what()));
        throw;
      }
    });
  } catch (...) {
    if (stop_signal(options) == 0) throw;
  }
  if (const int signal = stop_signal(options); signal != 0) {
    const std::size_t finished =
        static_cast<std::size_t>(std::count_if(plan.begin(), plan.end(), [&](const PlannedRun& p) {
          return recorder && recorder->stored_result(p).has_value();
        }));
    throw ExperimentInterrupted(
        signal, fmt::format("interrupted by {}: {} of {} runs are finished{}; no results file was "
                            "written. Run the same command with --resume to run the rest",
                            signal == SIGTERM  ? "SIGTERM"
                            : signal == SIGINT ? "SIGINT"
                                               : "a signal",
                            finished, plan.size(),
                            recorder ? " (in " + options.store->path().string() + ")" : ""));
  }
  if (!elsewhere.empty()) {
    throw Error(fmt::format(
        "error: {} of {} runs are being run by other processes ({}); no results file was written. "
        "Rerun with --resume once they have ended for the whole table",
        elsewhere.size(), plan.size(), fmt::join(elsewhere, ", ")));
  }

  for (std::size_t i = 0; i < plan.size(); ++i) {
    // With a store the table is what the store holds: runs skipped by --resume are in it too.
    std::optional<RunResult> r = recorder ? recorder->stored_result(plan[i]) : outcomes[i];
    if (!r) {
      throw InternalError(fmt::format("run {} ({}) ended but its result is not in the store",
                                      plan[i].id, plan[i].label));
    }
    result.runs.push_back(std::move(*r));
  }
  write_results(result);
  return result;
}

ExperimentResult run_experiment(const ResolvedExperiment& experiment,
                                const plugin::PluginRegistry& registry, const RunOptions& options) {
  return run_experiment(std::vector<ResolvedExperiment>{experiment}, registry, options);
}

}  // namespace recrl
