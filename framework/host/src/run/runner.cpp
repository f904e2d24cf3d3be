#include "recrl/run/runner.hpp"

#include <algorithm>
#include <csignal>
#include <mutex>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include "observer_list.hpp"
#include "parallel_jobs.hpp"
#include "plugin_instances.hpp"
#include "recrl/config/yaml_value.hpp"
#include "recrl/core/errors.hpp"
#include "recrl/report/results.hpp"
#include "recrl/run/evaluation.hpp"
#include "recrl/run/run_trainer.hpp"
#include "recrl/store/result_store.hpp"
#include "recrl/util/atomic_file.hpp"
#include "store_recorder.hpp"

namespace recrl {

namespace {

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

int stop_signal(const RunOptions& options) {
  return options.stop != nullptr ? options.stop->load(std::memory_order_relaxed) : 0;
}

// The first line of an error message: a run's error is stored and shown as one line.
std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

}  // namespace

ExperimentInterrupted::ExperimentInterrupted(int signal, const std::string& message)
    : Error(message), signal_(signal) {}

ExperimentResult run_experiment(const std::vector<ResolvedExperiment>& variants,
                                const plugin::PluginRegistry& registry, const RunOptions& options) {
  RECRL_ASSERT(!variants.empty(), "an experiment has at least one variant");
  const ResolvedExperiment& first = variants.front();
  const config::Experiment& e = first.experiment;
  // A shard's runs are a share of the experiment: its results come from the merged store, so a
  // shard neither writes results files nor removes the experiment's.
  const bool whole_experiment = options.shard_count == 1;
  if (whole_experiment) remove_results(e.output);
  for (const ResolvedExperiment& x : variants) {
    const auto folder = x.experiment.variant.empty() ? e.output : variant_dir(x);
    util::write_file_atomically(folder / "config.resolved.yaml",
                                config::to_yaml(x.resolved_document()));
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
  result.reward_components = first.reward_components;

  const std::vector<PlannedRun> plan =
      plan_runs(variants, options.shard_index, options.shard_count);
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

  std::optional<LocalTrainer> local;
  RunTrainer* trainer = options.trainer;
  if (trainer == nullptr) trainer = &local.emplace(variants, registry, options.jobs, options.stop);
  std::mutex mutex;
  std::vector<std::size_t> elsewhere;  // runs left to the other processes running them
  std::vector<std::string> lost;       // runs whose trainer went away (RunLost)
  std::vector<std::optional<RunResult>> outcomes;
  // One run: claimed in the store (or skipped), trained, recorded.
  const auto run_one = [&](std::size_t i) {
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
          std::lock_guard lock(mutex);
          elsewhere.push_back(i);
        }
        notify.on_run_skipped(p);
        return std::optional<RunResult>();
      }
    }
    RunProgress progress;
    try {
      RunResult r = trainer->train(p, oracle_means[p.variant], resume, notify, progress);
      notify.on_run_finished(p, r);
      return std::optional<RunResult>(std::move(r));
    } catch (const RunStopped&) {
      notify.on_run_failed(p, "interrupted");
      throw;
    } catch (const RunLost& error) {
      // Not the run's fault: the others go on, and --resume runs it again.
      notify.on_run_failed(p, first_line(error.what()));
      spdlog::error("run {} ({}): {}", p.id, p.label, first_line(error.what()));
      std::lock_guard lock(mutex);
      lost.push_back(p.label);
      return std::optional<RunResult>();
    } catch (const std::exception& error) {
      notify.on_run_failed(p, first_line(error.what()));
      throw;
    }
  };
  try {
    outcomes = execute_in_parallel(plan.size(), static_cast<int>(trainer->slots()), run_one);
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
  if (!lost.empty()) {
    throw Error(fmt::format(
        "error: {} of {} runs failed because what trained them went away ({}); no results file "
        "was written. Run the same command with --resume to run only those",
        lost.size(), plan.size(), fmt::join(lost, ", ")));
  }
  // The runs left to other processes, as the store has them now: those that finished meanwhile
  // enter the table; the others are named with what became of them.
  std::vector<std::string> unfinished;
  for (const std::size_t i : elsewhere) {
    if (recorder->stored_result(plan[i])) continue;
    const store::Claim now = options.store->inspect_claim(plan[i].id);
    unfinished.push_back(
        now.reason == store::ClaimReason::running_elsewhere
            ? fmt::format("{} is being run by {}", plan[i].label, now.previous_owner)
            : fmt::format("{} was left unfinished by {}, which has ended", plan[i].label,
                          now.previous_owner));
  }
  if (!unfinished.empty()) {
    throw Error(fmt::format(
        "error: {} of {} runs are not finished ({}); no results file was written. Rerun with "
        "--resume for the whole table (it runs what no live process runs)",
        unfinished.size(), plan.size(), fmt::join(unfinished, ", ")));
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
  if (whole_experiment) write_results(result);
  return result;
}

ExperimentResult run_experiment(const ResolvedExperiment& experiment,
                                const plugin::PluginRegistry& registry, const RunOptions& options) {
  return run_experiment(std::vector<ResolvedExperiment>{experiment}, registry, options);
}

}  // namespace recrl
