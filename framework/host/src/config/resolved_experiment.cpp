#include "recrl/config/resolved_experiment.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "recrl/core/errors.hpp"
#include "recrl/store/records.hpp"
#include "recrl/toolkit/expected_reward.hpp"
#include "recrl/util/problem_list.hpp"

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

}  // namespace

std::shared_ptr<spdlog::logger> make_logger(const std::string& name) {
  const auto& parent = spdlog::default_logger();
  auto logger =
      std::make_shared<spdlog::logger>(name, parent->sinks().begin(), parent->sinks().end());
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

PluginContext algorithm_context(const ResolvedAlgorithm& algo, const EnvSpec& env,
                                const RewardFunction& reward,
                                std::shared_ptr<spdlog::logger> logger, std::string run_dir) {
  PluginContext ctx =
      context_for(algo, &env, &reward, algo.n_envs, std::move(logger), std::move(run_dir));
  ctx.total_timesteps = algo.timesteps;
  return ctx;
}

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
  if (env) x.env_spec = env->spec();
  if (env && reward_valid) {
    collect(problems, [&] {
      reward = registry.create_reward(x.reward.info->name, x.reward.params,
                                      context_for(x.reward, &env->spec(), nullptr, 1, logger, ""));
      x.reward_components = reward->components();
      for (const std::string& counter : env->counters())
        x.reward_components.push_back(store::env_counter_name(counter));
      x.has_oracle = !toolkit::oracle_unavailable(x.env_spec, *reward).has_value();
    });
  }
  if (env && reward) {
    for (std::size_t i = 0; i < x.algorithms.size(); ++i) {
      if (!algorithm_valid[i]) continue;
      const ResolvedAlgorithm& algo = x.algorithms[i];
      collect(problems, [&] {
        const auto algorithm =
            registry.create_algorithm(algo.info->name, algo.params,
                                      algorithm_context(algo, env->spec(), *reward, logger, ""));
        if (algo.checkpoint_every <= 0) return;
        if (const auto refusal = checkpoint_refusal(*algorithm, algo.info->name, *env)) {
          throw ConfigError(algo.use.where, algo.use.key_path + ".checkpoint_every",
                            *refusal +
                                "; set checkpoint_every to 0 (in train: or in this "
                                "algorithm's entry)");
        }
      });
    }
  }
  problems.throw_if_any();
  return x;
}

std::optional<std::string> checkpoint_refusal(const Algorithm& algorithm,
                                              const std::string& algorithm_plugin,
                                              const Environment& env) {
  if (!algorithm.supports_checkpoints()) {
    return "algorithm '" + algorithm_plugin + "' does not support checkpoints";
  }
  if (!env.supports_checkpoints()) {
    return "environment '" + env.spec().name + "' does not support checkpoints";
  }
  return std::nullopt;
}

std::vector<ResolvedExperiment> load_resolved_experiment(
    const std::filesystem::path& file, const std::vector<config::Override>& overrides,
    const std::vector<std::filesystem::path>& plugin_folders, plugin::PluginRegistry& registry) {
  const std::vector<config::Experiment> variants =
      config::load_experiment_variants(file, overrides);
  registry.scan(plugin::search_path(plugin_folders, variants.front().plugin_paths));
  registry.throw_if_problems();
  std::vector<ResolvedExperiment> resolved;
  for (const config::Experiment& variant : variants)
    resolved.push_back(resolve_experiment(variant, registry));
  return resolved;
}

}  // namespace recrl
