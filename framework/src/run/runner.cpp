#include "recrl/run/runner.hpp"

#include <chrono>
#include <cmath>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "../core/problem_list.hpp"
#include "atomic_file.hpp"
#include "recrl/config/yaml_value.hpp"
#include "recrl/core/errors.hpp"
#include "recrl/run/evaluation.hpp"
#include "recrl/run/normalizer.hpp"
#include "recrl/run/oracle.hpp"
#include "recrl/run/policy_file.hpp"
#include "recrl/run/vec_env.hpp"

namespace recrl {

namespace {

using Clock = std::chrono::steady_clock;
using plugin::Kind;

// Evaluation acts on up to this many episodes at once (batched forward passes).
constexpr std::int64_t kEvalSlots = 64;

// Runs `f`, collecting a configuration problem instead of stopping at it.
template <typename F>
void collect(detail::ProblemList& problems, F&& f) {
  try {
    f();
  } catch (const ConfigError& e) {
    problems.add(e);
  }
}

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

std::shared_ptr<spdlog::logger> make_logger(const std::string& name) {
  const auto& parent = spdlog::default_logger();
  auto logger = std::make_shared<spdlog::logger>(name, parent->sinks().begin(), parent->sinks().end());
  logger->set_level(parent->level());
  return logger;
}

PluginContext context_for(const ResolvedPlugin& p, const EnvSpec* env, const RewardFunction* reward,
                          int n_envs, std::shared_ptr<spdlog::logger> logger, std::string run_dir) {
  PluginContext ctx;
  ctx.env = env;
  ctx.reward = reward;
  ctx.n_envs = n_envs;
  ctx.logger = logger ? std::move(logger) : make_logger(p.use.label);
  ctx.run_dir = std::move(run_dir);
  ctx.key_path = p.use.key_path;
  ctx.where = p.use.where;
  return ctx;
}

// The environment copies and their rewards for one purpose (training or evaluation).
struct EnvCopies {
  std::vector<std::shared_ptr<Environment>> envs;
  std::vector<std::shared_ptr<RewardFunction>> rewards;
};

EnvCopies make_env_copies(const ResolvedExperiment& x, const plugin::PluginRegistry& registry,
                          int count, const std::shared_ptr<spdlog::logger>& logger) {
  EnvCopies copies;
  for (int i = 0; i < count; ++i) {
    copies.envs.push_back(registry.create_environment(
        x.env.info->name, x.env.params, context_for(x.env, nullptr, nullptr, count, logger, "")));
    copies.rewards.push_back(registry.create_reward(
        x.reward.info->name, x.reward.params,
        context_for(x.reward, &copies.envs.back()->spec(), nullptr, count, logger, "")));
  }
  return copies;
}

void check_metrics(const Metrics& metrics, const std::string& plugin, std::int64_t step) {
  for (const Metric& m : metrics) {
    if (!std::isfinite(m.value)) {
      throw NumericalError(fmt::format("algorithm '{}' reported {} = {} in the update at "
                                       "environment step {}",
                                       plugin, m.name, m.value, step));
    }
  }
}

// One (algorithm, seed) run: train, evaluate, save.
class Run {
 public:
  Run(const ResolvedExperiment& x, const ResolvedAlgorithm& algo, std::uint64_t seed,
      const plugin::PluginRegistry& registry, std::filesystem::path dir)
      : x_(x),
        algo_(algo),
        seed_(seed),
        dir_(std::move(dir)),
        logger_(make_logger(fmt::format("{}/s{}", algo.use.label, seed))),
        train_(make_env_copies(x, registry, algo.n_envs, logger_)),
        vec_(train_.envs, train_.rewards, x.reward.use.plugin, seed),
        eval_(make_evaluator(x, registry, logger_)),
        algorithm_(registry.create_algorithm(
            algo.info->name, algo.params,
            context_for(algo, &vec_.spec(), train_.rewards.front().get(), algo.n_envs, logger_,
                        dir_.string()))) {
    if (algo.normalize_observations) normalizer_ = ObservationNormalizer(vec_.spec().observation.size);
  }

  RunResult execute(std::optional<double> oracle_mean) {
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
      const StepBatch batch{acted,      actions, vec_.rewards(), next, final_obs,
                            vec_.terminated(), vec_.truncated()};
      if (algorithm_->observe(batch)) {
        metrics.clear();
        algorithm_->update(rng, metrics);
        check_metrics(metrics, algo_.info->name, vec_.steps());
        for (const Metric& m : metrics) metrics_file << vec_.steps() << ',' << m.name << ',' << m.value << '\n';
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
    if (oracle_mean && *oracle_mean > 0) result.pct_oracle = 100.0 * final_eval.mean_return / *oracle_mean;
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

 private:
  static Evaluator make_evaluator(const ResolvedExperiment& x, const plugin::PluginRegistry& registry,
                                  const std::shared_ptr<spdlog::logger>& logger) {
    const auto& eval = x.experiment.eval;
    EnvCopies copies = make_env_copies(x, registry, static_cast<int>(std::min(eval.episodes, kEvalSlots)), logger);
    return Evaluator(std::move(copies.envs), std::move(copies.rewards), eval.episodes, eval.seed);
  }

  static std::ofstream open_csv(const std::filesystem::path& file, const char* header) {
    std::filesystem::create_directories(file.parent_path());
    std::ofstream out(file);
    if (!out) throw Error("error: cannot write '" + file.string() + "'");
    out << header << '\n';
    return out;
  }

  // What the algorithm sees of a raw observation batch.
  void observe_into(const Matrix& raw, Matrix& out) const {
    if (algo_.normalize_observations) {
      normalizer_.normalize(raw, out);
    } else {
      out = raw;
    }
  }

  EvalResult evaluate(std::uint64_t index) {
    Rng rng(derive_seed(seed_, Stream::EvalAlgorithm, index));
    return eval_.run(*algorithm_, algo_.normalize_observations ? &normalizer_ : nullptr, rng);
  }

  PolicyRecord policy_record() const {
    PolicyRecord record;
    record.experiment = x_.experiment.name;
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

  const ResolvedExperiment& x_;
  const ResolvedAlgorithm& algo_;
  std::uint64_t seed_;
  std::filesystem::path dir_;
  std::shared_ptr<spdlog::logger> logger_;
  EnvCopies train_;
  VecEnv vec_;
  Evaluator eval_;
  std::shared_ptr<Algorithm> algorithm_;
  ObservationNormalizer normalizer_;
};

// The oracle's mean return on the held-out episodes, where the experiment has an oracle.
std::optional<double> oracle_reference(const ResolvedExperiment& x,
                                       const plugin::PluginRegistry& registry) {
  const auto logger = make_logger("oracle");
  EnvCopies copies = make_env_copies(
      x, registry, static_cast<int>(std::min(x.experiment.eval.episodes, kEvalSlots)), logger);
  if (oracle_unavailable(copies.envs.front()->spec(), *copies.rewards.front())) return std::nullopt;
  OraclePolicy oracle(copies.envs.front()->spec(), *copies.rewards.front(), x.reward.use.where,
                      x.reward.use.key_path);
  Evaluator evaluator(copies.envs, copies.rewards, x.experiment.eval.episodes, x.experiment.eval.seed);
  Rng unused(0);
  return evaluator.run(oracle, nullptr, unused).mean_return;
}

}  // namespace

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
  detail::ProblemList problems;

  const auto resolve = [&](const config::PluginUse& use, Kind kind, ResolvedPlugin& out) {
    out.use = use;
    collect(problems, [&] {
      out.info = &registry.get(kind, use.plugin, use.where, use.key_path + ".plugin");
      out.params = Params::validate(out.info->schema, use.params, use.key_path + ".params", use.where);
    });
  };
  resolve(experiment.env, Kind::Environment, x.env);
  resolve(experiment.reward, Kind::Reward, x.reward);
  for (const config::AlgorithmUse& use : experiment.algorithms) {
    ResolvedAlgorithm& algo = x.algorithms.emplace_back();
    resolve(use, Kind::Algorithm, algo);
    algo.timesteps = use.timesteps.value_or(experiment.train.timesteps);
    algo.n_envs = use.n_envs.value_or(experiment.train.n_envs);
    algo.normalize_observations =
        use.normalize_observations.value_or(experiment.train.normalize_observations);
  }
  problems.throw_if_any();

  // Construct each plugin once: constructors check what spans parameters and plugins.
  const auto logger = make_logger(experiment.name);
  std::shared_ptr<Environment> env;
  std::shared_ptr<RewardFunction> reward;
  collect(problems, [&] {
    env = registry.create_environment(x.env.info->name, x.env.params,
                                      context_for(x.env, nullptr, nullptr, 1, logger, ""));
  });
  if (env) {
    collect(problems, [&] {
      reward = registry.create_reward(x.reward.info->name, x.reward.params,
                                      context_for(x.reward, &env->spec(), nullptr, 1, logger, ""));
    });
  }
  if (env && reward) {
    for (const ResolvedAlgorithm& algo : x.algorithms) {
      collect(problems, [&] {
        registry.create_algorithm(algo.info->name, algo.params,
                                  context_for(algo, &env->spec(), reward.get(), algo.n_envs, logger, ""));
      });
    }
  }
  problems.throw_if_any();
  return x;
}

ExperimentResult run_experiment(const ResolvedExperiment& x, const plugin::PluginRegistry& registry) {
  const config::Experiment& e = x.experiment;
  remove_results(e.output);
  write_file_atomically(e.output / "config.resolved.yaml", config::to_yaml(x.resolved_document()));

  ExperimentResult result;
  result.experiment = e.name;
  result.output = e.output;
  result.env = x.env.info->name;
  result.reward = x.reward.info->name;
  result.eval_episodes = e.eval.episodes;
  result.eval_seed = e.eval.seed;
  result.oracle_mean = oracle_reference(x, registry);
  {
    const auto probe = registry.create_environment(
        x.env.info->name, x.env.params, context_for(x.env, nullptr, nullptr, 1, nullptr, ""));
    result.action_labels = probe->spec().action.labels;
  }

  for (const ResolvedAlgorithm& algo : x.algorithms) {
    for (std::uint64_t seed : e.seeds) {
      const auto dir = e.output / "runs" / fmt::format("{}__s{}", algo.use.label, seed);
      Run run(x, algo, seed, registry, dir);
      result.runs.push_back(run.execute(result.oracle_mean));
    }
  }
  write_results(result);
  return result;
}

}  // namespace recrl
