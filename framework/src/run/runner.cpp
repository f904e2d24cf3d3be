#include "recrl/run/runner.hpp"

#include <fmt/format.h>

#include "../core/problem_list.hpp"
#include "atomic_file.hpp"
#include "plugin_instances.hpp"
#include "recrl/config/yaml_value.hpp"
#include "recrl/core/errors.hpp"
#include "recrl/run/evaluation.hpp"
#include "recrl/run/oracle.hpp"
#include "training_run.hpp"

namespace recrl {

namespace {

using plugin::Kind;

// Runs `f`, collecting a configuration problem instead of stopping at it.
template <typename F>
void collect(detail::ProblemList& problems, F&& f) {
  try {
    f();
  } catch (const ConfigError& e) {
    problems.add(e);
  }
}

// The oracle's mean return on the held-out episodes, where the experiment has an oracle.
std::optional<double> oracle_reference(const ResolvedExperiment& x,
                                       const plugin::PluginRegistry& registry) {
  const auto logger = make_logger("oracle");
  EnvCopies copies = make_env_copies(
      x, registry, static_cast<int>(std::min(x.experiment.eval.episodes, kEvalSlots)), logger);
  if (oracle_unavailable(copies.envs.front()->spec(), *copies.rewards.front())) return std::nullopt;
  OraclePolicy oracle(copies.envs.front()->spec(), *copies.rewards.front(), x.reward.use.where,
                      x.reward.use.key_path);
  Evaluator evaluator(copies.envs, copies.rewards, x.reward.info->name, x.experiment.eval.episodes,
                      x.experiment.eval.seed);
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
      out.params =
          Params::validate(out.info->schema, use.params, use.key_path + ".params", use.where);
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
        registry.create_algorithm(
            algo.info->name, algo.params,
            context_for(algo, &env->spec(), reward.get(), algo.n_envs, logger, ""));
      });
    }
  }
  problems.throw_if_any();
  return x;
}

ExperimentResult run_experiment(const ResolvedExperiment& x,
                                const plugin::PluginRegistry& registry) {
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
      TrainingRun run(x, algo, seed, registry, dir);
      result.runs.push_back(run.execute(result.oracle_mean));
    }
  }
  write_results(result);
  return result;
}

}  // namespace recrl
