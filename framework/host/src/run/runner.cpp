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

#include "recrl/util/problem_list.hpp"
#include "recrl/util/atomic_file.hpp"
#include "plugin_instances.hpp"
#include "recrl/config/yaml_value.hpp"
#include "recrl/core/errors.hpp"
#include "recrl/run/evaluation.hpp"
#include "observer_list.hpp"
#include "recrl/report/results.hpp"
#include "recrl/toolkit/expected_reward.hpp"
#include "recrl/store/result_store.hpp"
#include "store_recorder.hpp"
#include "recrl/util/text_hash.hpp"
#include "training_run.hpp"

namespace recrl {

namespace {

using plugin::Kind;

// Runs `f`, collecting a configuration problem instead of stopping at it.
template <typename F>
void collect(util::ProblemList& problems, F&& f) {
  try {
    f();
  } catch (const ConfigError& e) {
    problems.add(e);
  }
}

// The oracle's mean return on the held-out episodes, where the experiment has an oracle (and
// the oracle plugin is installed).
std::optional<double> oracle_reference(const ResolvedExperiment& x,
                                       const plugin::PluginRegistry& registry) {
  const auto logger = make_logger("oracle");
  EnvCopies copies = make_env_copies(
      x, registry, static_cast<int>(std::min(x.experiment.eval.episodes, kEvalSlots)), logger);
  const EnvSpec& spec = copies.envs.front()->spec();
  if (toolkit::oracle_unavailable(spec, *copies.rewards.front())) return std::nullopt;
  const plugin::PluginInfo* info = registry.find(Kind::Algorithm, "oracle");
  if (info == nullptr) return std::nullopt;
  const PluginContext ctx = context_for(x.reward, &spec, copies.rewards.front().get(), 1, logger, "");
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

// A run asked to checkpoint whose plugins cannot: refused with the experiment, not at the
// run's first checkpoint.
void check_checkpoint_support(const ResolvedAlgorithm& algo, const Algorithm& algorithm,
                              const Environment& env) {
  std::string cannot;
  if (!algorithm.supports_checkpoints()) {
    cannot = fmt::format("algorithm '{}'", algo.info->name);
  } else if (!env.supports_checkpoints()) {
    cannot = fmt::format("environment '{}'", env.spec().name);
  } else {
    return;
  }
  throw ConfigError(algo.use.where, algo.use.key_path + ".checkpoint_every",
                    cannot + " does not support checkpoints; set checkpoint_every to 0 (in "
                             "train: or in this algorithm's entry)");
}

}  // namespace

ExperimentInterrupted::ExperimentInterrupted(int signal, const std::string& message)
    : Error(message), signal_(signal) {}

Value ResolvedExperiment::resolved_document() const {
  Value doc = experiment.document;
  const auto set_params = [](Value& entry, const ResolvedPlugin& p) {
    entry.set("params", p.params.values());
  };
  if (Value* env_entry = doc.find("env")) set_params(*env_entry, env);
  if (Value* reward_entry = doc.find("reward")) set_params(*reward_entry, reward);
  if (Value* list = doc.find("algorithms"); list && list->is_list()) {
    for (std::size_t i = 0; i < algorithms.size() && i < list->items().size(); ++i) {
      Value& entry = list->items()[i];
      set_params(entry, algorithms[i]);
      entry.set("label", Value::string(algorithms[i].use.label));
      entry.set("timesteps", Value::integer(algorithms[i].timesteps));
      entry.set("n_envs", Value::integer(algorithms[i].n_envs));
      entry.set("normalize_observations", Value::boolean(algorithms[i].normalize_observations));
    }
  }
  return doc;
}

std::vector<std::filesystem::path> plugin_search_path(
    const std::vector<std::filesystem::path>& command_line_paths,
    const std::vector<std::filesystem::path>& experiment_paths) {
  std::vector<std::filesystem::path> path = plugin::PluginRegistry::default_search_path();
  path.insert(path.end(), command_line_paths.begin(), command_line_paths.end());
  path.insert(path.end(), experiment_paths.begin(), experiment_paths.end());
  return path;
}

ResolvedExperiment resolve_experiment(const config::Experiment& experiment,
                                      const plugin::PluginRegistry& registry) {
  ResolvedExperiment x;
  x.experiment = experiment;
  util::ProblemList problems;

  // Each entry's plugin and parameters; true when they are valid. One entry's problems do not
  // stop the others' checks, here or in the constructors below.
  const auto resolve = [&](const config::PluginUse& use, Kind kind, ResolvedPlugin& out) {
    out.use = use;
    const std::size_t known_problems = problems.size();
    collect(problems, [&] {
      out.info = &registry.get(kind, use.plugin, use.where, use.key_path + ".plugin");
      out.params =
          Params::validate(out.info->schema, use.params, use.key_path + ".params", use.where);
    });
    return problems.size() == known_problems;
  };
  const bool env_valid = resolve(experiment.env, Kind::Environment, x.env);
  const bool reward_valid = resolve(experiment.reward, Kind::Reward, x.reward);
  std::vector<bool> algorithm_valid;
  for (const config::AlgorithmUse& use : experiment.algorithms) {
    ResolvedAlgorithm& algo = x.algorithms.emplace_back();
    algorithm_valid.push_back(resolve(use, Kind::Algorithm, algo));
    algo.timesteps = use.timesteps.value_or(experiment.train.timesteps);
    algo.n_envs = use.n_envs.value_or(experiment.train.n_envs);
    algo.normalize_observations =
        use.normalize_observations.value_or(experiment.train.normalize_observations);
    algo.checkpoint_every = use.checkpoint_every.value_or(experiment.train.checkpoint_every);
  }

  // Construct each valid plugin once: constructors check what spans parameters and plugins
  // (an algorithm needs the environment and the reward).
  const auto logger = make_logger(experiment.name);
  std::shared_ptr<Environment> env;
  std::shared_ptr<RewardFunction> reward;
  if (env_valid) {
    collect(problems, [&] {
      env = registry.create_environment(x.env.info->name, x.env.params,
                                        context_for(x.env, nullptr, nullptr, 1, logger, ""));
    });
  }
  if (env && reward_valid) {
    collect(problems, [&] {
      reward = registry.create_reward(x.reward.info->name, x.reward.params,
                                      context_for(x.reward, &env->spec(), nullptr, 1, logger, ""));
    });
  }
  if (env && reward) {
    for (std::size_t i = 0; i < x.algorithms.size(); ++i) {
      if (!algorithm_valid[i]) continue;
      const ResolvedAlgorithm& algo = x.algorithms[i];
      collect(problems, [&] {
        const auto algorithm = registry.create_algorithm(
            algo.info->name, algo.params, algorithm_context(algo, env->spec(), *reward, logger, ""));
        if (algo.checkpoint_every > 0) check_checkpoint_support(algo, *algorithm, *env);
      });
    }
  }
  problems.throw_if_any();
  return x;
}

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
  {
    const auto probe =
        registry.create_environment(first.env.info->name, first.env.params,
                                    context_for(first.env, nullptr, nullptr, 1, nullptr, ""));
    result.action_labels = probe->spec().action.labels;
  }

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
