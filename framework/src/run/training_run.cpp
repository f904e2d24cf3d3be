#include "training_run.hpp"

#include <chrono>
#include <cmath>
#include <sstream>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "atomic_file.hpp"
#include "recrl/core/errors.hpp"

namespace recrl {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

void check_metrics(const Metrics& metrics, const std::string& plugin, std::int64_t step) {
  for (const Metric& m : metrics) {
    if (!std::isfinite(m.value)) {
      throw NumericalError(
          fmt::format("algorithm '{}' reported {} = {} in the update at "
                      "environment step {}",
                      plugin, m.name, m.value, step));
    }
  }
}

}  // namespace

TrainingRun::TrainingRun(const ResolvedExperiment& x, const ResolvedAlgorithm& algo,
                         std::uint64_t seed, const plugin::PluginRegistry& registry,
                         std::filesystem::path dir)
    : x_(x),
      algo_(algo),
      seed_(seed),
      dir_(std::move(dir)),
      logger_(make_logger(fmt::format("{}/s{}", algo.use.label, seed))),
      train_(make_env_copies(x, registry, algo.n_envs, logger_)),
      vec_(train_.envs, train_.rewards, x.reward.use.plugin, seed),
      eval_(make_evaluator(x, registry, logger_)),
      algorithm_(
          registry.create_algorithm(algo.info->name, algo.params,
                                    algorithm_context(algo, vec_.spec(), *train_.rewards.front(),
                                                      logger_, dir_.string()))) {
  if (algo.normalize_observations)
    normalizer_ = ObservationNormalizer(vec_.spec().observation.size);
}

RunResult TrainingRun::execute(std::optional<double> oracle_mean) {
  const auto start = Clock::now();
  double eval_seconds = 0;
  std::ofstream metrics_file = open_csv(dir_ / "metrics.csv.partial", "env_steps,name,value");
  std::string curve = "env_steps,eval_mean,eval_std,train_episodes,train_return_mean,wall_s\n";

  const int n = vec_.size();
  const int dim = vec_.spec().observation.size;
  Matrix acted(dim, n), next(dim, n), final_obs(dim, n);
  std::vector<int> actions(n, 0);
  Metrics metrics;
  metrics.reserve(32);
  Rng rng(derive_seed(seed_, Stream::Algorithm));

  vec_.reset();
  if (algo_.normalize_observations) normalizer_.update(vec_.obs());
  observe_into(vec_.obs(), next);

  const std::int64_t every = x_.experiment.eval.every;
  std::int64_t next_eval = every > 0 ? every : -1;
  std::int64_t episodes_since = 0;
  double returns_since = 0;
  auto record_curve = [&](const EvalResult& e) {
    const std::string train_mean =
        episodes_since > 0 ? fmt::format("{}", returns_since / static_cast<double>(episodes_since))
                           : std::string();
    curve += fmt::format("{},{},{},{},{},{}\n", vec_.steps(), e.mean_return, e.std_return,
                         episodes_since, train_mean, seconds_since(start));
    episodes_since = 0;
    returns_since = 0;
  };

  logger_->info("training {} ({}) on seed {} for {} steps with {} environment copies",
                algo_.use.label, algo_.info->name, seed_, algo_.timesteps, n);
  while (vec_.steps() < algo_.timesteps) {
    acted = next;
    algorithm_->act(ObsBatch{acted, vec_.obs()}, ActMode::Explore, rng, actions);
    vec_.step(actions);
    if (algo_.normalize_observations) normalizer_.update(vec_.obs());
    observe_into(vec_.obs(), next);
    observe_into(vec_.final_obs(), final_obs);
    const StepBatch batch{acted,     actions,           vec_.rewards(),  next,
                          final_obs, vec_.terminated(), vec_.truncated()};
    if (algorithm_->observe(batch)) {
      metrics.clear();
      algorithm_->update(rng, metrics);
      check_metrics(metrics, algo_.info->name, vec_.steps());
      for (const Metric& m : metrics)
        metrics_file << vec_.steps() << ',' << m.name << ',' << m.value << '\n';
    }
    for (double r : vec_.finished_returns()) {
      ++episodes_since;
      returns_since += r;
    }
    if (next_eval > 0 && vec_.steps() >= next_eval && vec_.steps() < algo_.timesteps) {
      const auto eval_start = Clock::now();
      record_curve(evaluate(next_eval / every));
      eval_seconds += seconds_since(eval_start);
      while (next_eval <= vec_.steps()) next_eval += every;
    }
  }
  const double train_seconds = seconds_since(start) - eval_seconds;

  const EvalResult final_eval = evaluate(0);
  record_curve(final_eval);
  metrics_file.close();
  if (!metrics_file) throw Error("error: cannot write '" + (dir_ / "metrics.csv").string() + "'");
  std::filesystem::rename(dir_ / "metrics.csv.partial", dir_ / "metrics.csv");
  write_file_atomically(dir_ / "curve.csv", curve);
  write_policy_file(dir_ / "policy.recrl", policy_record());

  RunResult result;
  result.label = algo_.use.label;
  result.plugin = algo_.info->name;
  result.plugin_version = algo_.info->version;
  result.seed = seed_;
  result.eval_mean = final_eval.mean_return;
  result.eval_std = final_eval.std_return;
  if (oracle_mean && *oracle_mean > 0)
    result.pct_oracle = 100.0 * final_eval.mean_return / *oracle_mean;
  result.env_steps = vec_.steps();
  result.wall_s = seconds_since(start);
  result.train_s = train_seconds;
  result.steps_per_s = train_seconds > 0 ? static_cast<double>(vec_.steps()) / train_seconds : 0;
  result.policy = dir_ / "policy.recrl";
  result.curve = dir_ / "curve.csv";
  result.action_counts = final_eval.action_counts;
  logger_->info("{} seed {}: eval mean {:.4f} after {} steps ({:.0f} steps/s)", result.label, seed_,
                result.eval_mean, result.env_steps, result.steps_per_s);
  return result;
}

Evaluator TrainingRun::make_evaluator(const ResolvedExperiment& x,
                                      const plugin::PluginRegistry& registry,
                                      const std::shared_ptr<spdlog::logger>& logger) {
  const auto& eval = x.experiment.eval;
  EnvCopies copies =
      make_env_copies(x, registry, static_cast<int>(std::min(eval.episodes, kEvalSlots)), logger);
  return Evaluator(std::move(copies.envs), std::move(copies.rewards), x.reward.info->name,
                   eval.episodes, eval.seed);
}

std::ofstream TrainingRun::open_csv(const std::filesystem::path& file, const char* header) {
  std::filesystem::create_directories(file.parent_path());
  std::ofstream out(file);
  if (!out) throw Error("error: cannot write '" + file.string() + "'");
  out << header << '\n';
  return out;
}

void TrainingRun::observe_into(const Matrix& raw, Matrix& out) const {
  if (algo_.normalize_observations) {
    normalizer_.normalize(raw, out);
  } else {
    out = raw;
  }
}

EvalResult TrainingRun::evaluate(std::uint64_t index) {
  Rng rng(derive_seed(seed_, Stream::EvalAlgorithm, index));
  return eval_.run(*algorithm_, algo_.normalize_observations ? &normalizer_ : nullptr, rng);
}

PolicyRecord TrainingRun::policy_record() const {
  PolicyRecord record;
  record.experiment = x_.experiment.name;
  record.experiment_file = std::filesystem::absolute(x_.experiment.file).string();
  record.label = algo_.use.label;
  record.seed = seed_;
  record.env_steps = vec_.steps();
  record.algorithm = {algo_.info->name, algo_.info->version, algo_.params.values()};
  record.env = {x_.env.info->name, x_.env.info->version, x_.env.params.values()};
  record.reward = {x_.reward.info->name, x_.reward.info->version, x_.reward.params.values()};
  record.normalize_observations = algo_.normalize_observations;
  record.normalizer = normalizer_;
  std::ostringstream state;
  algorithm_->save(state);
  record.algorithm_state = state.str();
  return record;
}

}  // namespace recrl
