// recrl bench: trains each algorithm of a benchmark experiment on one thread and prints its
// speed: environment steps per second, where the time went (environment, acting, updating,
// evaluation) and the GFLOP/s of the updates' matrix products.
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include <Eigen/Core>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "commands.hpp"
#include "multiply_add_peak.hpp"
#include "options.hpp"
#include "recrl/config/experiment.hpp"
#include "recrl/core/errors.hpp"
#include "recrl/loader/registry.hpp"
#include "recrl/run/runner.hpp"

namespace recrl::app {

namespace {

// The default benchmark: experiments/seed.yaml's learners (Stable-Baselines3's defaults, 8
// environment copies for PPO and A2C, 1 for DQN, normalised observations; the bandits on one
// copy and raw features) on one seed, 100k steps each, with only the final evaluation. Embedded so
// that an installed recrl needs no source tree.
constexpr const char* kSeedBench = R"(name: bench
env:
  plugin: recommendation
  params: {users: {source: synthetic}, horizon: 1}
reward:
  plugin: seed_rules
algorithms:
  - {plugin: ppo, n_envs: 8}
  - {plugin: a2c, n_envs: 8}
  - {plugin: dqn, n_envs: 1}
  - {plugin: eps_greedy, n_envs: 1, normalize_observations: false}
  - {plugin: linucb, n_envs: 1, normalize_observations: false}
  - {plugin: lin_ts, n_envs: 1, normalize_observations: false}
  - {plugin: squarecb, n_envs: 1, normalize_observations: false}
seeds: [0]
train: {timesteps: 100000, n_envs: 8, normalize_observations: true}
eval: {episodes: 10000, seed: 1000003, every: 0}
)";

// A scratch folder for the benchmark's experiment file and run folders, removed afterwards.
class ScratchFolder {
 public:
  ScratchFolder()
      : path_(std::filesystem::temp_directory_path() /
              fmt::format("recrl-bench-{}", static_cast<long>(::getpid()))) {
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ScratchFolder(const ScratchFolder&) = delete;
  ScratchFolder& operator=(const ScratchFolder&) = delete;
  ~ScratchFolder() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

std::string seconds_and_share(double seconds, double total) {
  return fmt::format("{:.2f} ({:.0f}%)", seconds, total > 0 ? 100.0 * seconds / total : 0.0);
}

// One algorithm's runs, one per repetition, in the order they ran.
struct AlgorithmRuns {
  std::string label;
  std::vector<const RunResult*> runs;
};

std::vector<AlgorithmRuns> runs_by_algorithm(const std::vector<ExperimentResult>& repetitions) {
  std::vector<AlgorithmRuns> by_algorithm;
  for (const ExperimentResult& repetition : repetitions) {
    for (const RunResult& r : repetition.runs) {
      auto it = std::find_if(by_algorithm.begin(), by_algorithm.end(),
                             [&](const AlgorithmRuns& a) { return a.label == r.label; });
      if (it == by_algorithm.end()) it = by_algorithm.insert(by_algorithm.end(), {r.label, {}});
      it->runs.push_back(&r);
    }
  }
  return by_algorithm;
}

// One row per algorithm: its run of median speed (the slower middle one of an even count), and
// with several repetitions the range of their speeds.
std::string bench_table(const std::vector<AlgorithmRuns>& algorithms, int repetitions) {
  const bool repeated = repetitions > 1;
  std::string out =
      "| algorithm | env steps | env steps/s | environment s | acting s | updating s | "
      "evaluation s | update GFLOP/s | eval mean |";
  out += repeated ? fmt::format(" env steps/s, {} runs |\n", repetitions) : std::string("\n");
  out += "|---|---:|---:|---:|---:|---:|---:|---:|---:|";
  out += repeated ? "---:|\n" : "\n";
  for (const AlgorithmRuns& a : algorithms) {
    std::vector<const RunResult*> by_speed = a.runs;
    std::sort(by_speed.begin(), by_speed.end(), [](const RunResult* x, const RunResult* y) {
      return x->steps_per_s < y->steps_per_s;
    });
    const RunResult& r = *by_speed[(by_speed.size() - 1) / 2];
    // The training loop's time, split; the shares are of training time (evaluation apart).
    const double training = r.env_s + r.act_s + r.update_s;
    const std::string gflops = r.update_s > 0 && r.update_flops > 0
                                   ? fmt::format("{:.2f}", r.update_flops / r.update_s / 1e9)
                                   : std::string("n/a");
    out += fmt::format("| {} | {} | {:.0f} | {} | {} | {} | {:.2f} | {} | {:.4f} |", r.label,
                       r.env_steps, r.steps_per_s, seconds_and_share(r.env_s, training),
                       seconds_and_share(r.act_s, training),
                       seconds_and_share(r.update_s, training), r.eval_s, gflops, r.eval_mean);
    out += repeated ? fmt::format(" {:.0f} – {:.0f} |\n", by_speed.front()->steps_per_s,
                                  by_speed.back()->steps_per_s)
                    : std::string("\n");
  }
  return out;
}

// The same seed trains the same policy: repetitions that evaluate differently are a bug, said
// under the table (the speeds would not be of the same computation either).
std::string determinism_warnings(const std::vector<AlgorithmRuns>& algorithms) {
  std::string out;
  for (const AlgorithmRuns& a : algorithms) {
    for (const RunResult* r : a.runs) {
      if (r->eval_mean != a.runs.front()->eval_mean) {
        out += fmt::format(
            "warning: {}: repetitions with the same seed evaluated {} and {}: the training is "
            "not deterministic\n",
            a.label, a.runs.front()->eval_mean, r->eval_mean);
        break;
      }
    }
  }
  return out;
}

// Keeps the algorithm entries whose labels `only` names (all when it is empty); a label that
// names no entry is a config error listing the labels there are.
void keep_only(config::Experiment& experiment, const std::vector<std::string>& only) {
  if (only.empty()) return;
  std::vector<std::string> labels;
  for (const config::AlgorithmUse& use : experiment.algorithms) labels.push_back(use.label);
  for (const std::string& label : only) {
    if (std::find(labels.begin(), labels.end(), label) == labels.end()) {
      throw ConfigError(
          fmt::format("--only {}: no algorithm of the experiment has this label "
                      "(its labels: {})",
                      label, fmt::join(labels, ", ")));
    }
  }
  std::erase_if(experiment.algorithms, [&](const config::AlgorithmUse& use) {
    return std::find(only.begin(), only.end(), use.label) == only.end();
  });
}

}  // namespace

int bench_command(const std::vector<std::string>& args) {
  CommonOptions common;
  std::string file;
  std::int64_t timesteps = 0;
  std::uint64_t seed = 0;
  int repeat = 1;
  std::vector<std::string> only;
  po::options_description options("options");
  options.add_options()(
      "experiment", po::value(&file),
      "benchmark this experiment's algorithms instead of the built-in one (see --help)")(
      "timesteps", po::value(&timesteps),
      "training steps per algorithm (default: the experiment's)")(
      "seed", po::value(&seed)->default_value(0), "the one seed every algorithm runs with")(
      "repeat", po::value(&repeat)->default_value(1),
      "run everything N times, one algorithm after the other each time, and report each "
      "algorithm's run of median speed and the range (a shared machine's speed varies)")(
      "only", po::value(&only)->composing(),
      "benchmark only the algorithm with this label, e.g. --only ppo (repeatable)");
  po::positional_options_description positional;
  common.add_experiment_options(options, positional);
  po::variables_map vm;
  const std::string usage =
      "usage: recrl bench [FILE.yaml] [--only LABEL]... [--timesteps N] [--seed S] [--repeat N] "
      "[--set PATH=VALUE]...\n"
      "\n"
      "Trains each algorithm, one after the other on one thread, and prints env steps/s, the\n"
      "time split (environment, acting, updating; evaluation apart) and the GFLOP/s of the\n"
      "updates. Without FILE: PPO, A2C and DQN with Stable-Baselines3's defaults on the seed\n"
      "environment (as experiments/seed.yaml), 100k steps, seed 0. Under the table: the\n"
      "core's multiply-add peak before and after the runs (a shared machine's speed drifts).";
  if (!parse(args, usage, options, positional, vm)) return 0;
  if (!common.quiet && !common.verbose) spdlog::set_level(spdlog::level::warn);
  common.apply_verbosity();
  if (vm.count("timesteps") && timesteps < 1) {
    throw ConfigError("--timesteps " + std::to_string(timesteps) + ": expected at least 1");
  }
  if (repeat < 1) {
    throw ConfigError("--repeat " + std::to_string(repeat) + ": expected at least 1");
  }

  const ScratchFolder scratch;
  const bool built_in = file.empty();
  if (built_in) {
    file = (scratch.path() / "bench.yaml").string();
    std::ofstream(file) << kSeedBench;
  }
  std::vector<config::Override> overrides;
  for (const std::string& o : common.overrides) overrides.push_back(config::parse_override(o));
  overrides.push_back(config::parse_override(fmt::format("seeds=[{}]", seed)));
  // Each repetition writes to its own folder (a folder's finished runs would be skipped).
  const auto load_repetition = [&](int repetition) {
    std::vector<config::Override> with_output = overrides;
    with_output.push_back(config::parse_override(
        "output=" + (scratch.path() / fmt::format("out-{}", repetition)).string()));
    std::vector<config::Experiment> variants = config::load_experiment_variants(file, with_output);
    for (config::Experiment& variant : variants) keep_only(variant, only);
    if (timesteps > 0) {
      // Every algorithm entry, including those that set their own budget.
      for (config::Experiment& variant : variants) {
        for (config::AlgorithmUse& use : variant.algorithms) use.timesteps = timesteps;
      }
    }
    return variants;
  };

  const std::vector<config::Experiment> first = load_repetition(0);
  plugin::PluginRegistry registry;
  registry.scan(plugin::search_path(common.plugin_folders(), first.front().plugin_paths));
  registry.throw_if_problems();
  const auto resolve_all = [&](const std::vector<config::Experiment>& variants) {
    std::vector<ResolvedExperiment> resolved;
    for (const config::Experiment& variant : variants)
      resolved.push_back(resolve_experiment(variant, registry));
    return resolved;
  };
  const std::vector<ResolvedExperiment> resolved = resolve_all(first);

  std::cout << fmt::format("recrl bench: {} on {} + {}, seed {}, one thread; Eigen SIMD: {}\n\n",
                           built_in ? "built-in benchmark" : file, resolved.front().env.info->name,
                           resolved.front().reward.info->name, seed,
                           Eigen::SimdInstructionSetsInUse());
  RunOptions run_options;
  run_options.jobs = 1;
  const double peak_before = multiply_add_peak_gflops();
  std::vector<ExperimentResult> repetitions;
  repetitions.push_back(run_experiment(resolved, registry, run_options));
  for (int repetition = 1; repetition < repeat; ++repetition) {
    repetitions.push_back(
        run_experiment(resolve_all(load_repetition(repetition)), registry, run_options));
  }
  const double peak_after = multiply_add_peak_gflops();
  const std::vector<AlgorithmRuns> algorithms = runs_by_algorithm(repetitions);
  std::cout << bench_table(algorithms, repeat) << determinism_warnings(algorithms)
            << fmt::format(
                   "\nthis core's multiply-add peak (float, the build's SIMD): {:.0f} GFLOP/s "
                   "before the runs, {:.0f} after\n",
                   peak_before, peak_after);
  return 0;
}

}  // namespace recrl::app
