#include "recrl/run/run_plan.hpp"

#include <cctype>

#include <fmt/format.h>

#include "recrl/config/yaml_value.hpp"
#include "recrl/core/errors.hpp"
#include "recrl/util/text_hash.hpp"

namespace recrl {

namespace {

std::string label_of(const ResolvedExperiment& x, const ResolvedAlgorithm& algo,
                     std::uint64_t seed) {
  std::string label = fmt::format("{} s{}", algo.use.label, seed);
  if (!x.experiment.variant.empty()) label += " " + x.experiment.variant;
  return label;
}

}  // namespace

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

std::vector<PlannedRun> plan_runs(const std::vector<ResolvedExperiment>& variants, int shard_index,
                                  int shard_count) {
  RECRL_ASSERT(shard_count >= 1 && shard_index >= 1 && shard_index <= shard_count,
               "shard out of range");
  std::vector<PlannedRun> runs;
  std::size_t position = 0;
  for (std::size_t v = 0; v < variants.size(); ++v) {
    const ResolvedExperiment& x = variants[v];
    const std::filesystem::path base = variant_dir(x);
    for (std::size_t a = 0; a < x.algorithms.size(); ++a) {
      for (std::uint64_t seed : x.experiment.seeds) {
        // Shares are dealt round-robin, so each gets a mix of algorithms and variants.
        const bool mine = position++ % static_cast<std::size_t>(shard_count) ==
                          static_cast<std::size_t>(shard_index - 1);
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

}  // namespace recrl
