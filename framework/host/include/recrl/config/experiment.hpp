#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "recrl/core/export.hpp"
#include "recrl/core/value.hpp"

namespace recrl::config {

// A plugin named in an experiment file: `env:`, `reward:` or an entry of `algorithms:`.
struct PluginUse {
  std::string plugin;    // lookup name
  std::string label;     // how results name it; defaults to the plugin name
  Value params;          // the `params:` map as written (Null when absent); checked later
                         // against the plugin's schema
  std::string key_path;  // "env", "reward", "algorithms[1]"
  SourceLocation where;  // of the entry itself
};

// An `algorithms:` entry; the optional fields override `train:` for this algorithm only
// (as rl-baselines3-zoo lets each algorithm pick n_envs and n_timesteps).
struct AlgorithmUse : PluginUse {
  std::optional<std::int64_t> timesteps;
  std::optional<int> n_envs;
  std::optional<bool> normalize_observations;
  std::optional<std::int64_t> checkpoint_every;
};

struct TrainSettings {
  std::int64_t timesteps = 100000;      // environment steps per run, over all copies
  int n_envs = 1;                       // environment copies stepped together
  bool normalize_observations = false;  // running mean/std normaliser (VecNormalize)
  // Env steps between checkpoints of a run's training state, which `recrl run --resume`
  // continues from (docs/checkpoints.md); 0: none. Not part of the run's identity.
  std::int64_t checkpoint_every = 0;
};

struct EvalSettings {
  std::int64_t episodes = 10000;  // held-out episodes for each evaluation
  std::uint64_t seed = 1000003;   // the held-out users; never used in training
  std::int64_t every =
      0;  // env steps between evaluations for the learning curve; 0: only at the end
};

// A validated experiment file: structure and types checked; plugin parameters are checked
// later, against each plugin's schema, by the runner.
struct Experiment {
  std::filesystem::path file;
  std::string name;
  PluginUse env;
  PluginUse reward;
  std::vector<AlgorithmUse> algorithms;
  std::vector<std::uint64_t> seeds{0};
  TrainSettings train;
  EvalSettings eval;
  std::filesystem::path output;  // relative paths are relative to the working directory
  std::vector<std::filesystem::path> plugin_paths;  // relative to the experiment file's folder
  Value document;  // the whole file after --set overrides, for config.resolved.yaml

  // The point of the `sweep:` grid this experiment is (empty without a sweep): the label names it
  // in tables ("channel=0.2,learning_rate=0.001"), the assignments are what it set.
  std::string variant;
  std::vector<std::pair<std::string, Value>> assignments;
};

// One `--set PATH=VALUE` override. PATH is dot-separated keys, list indices and, in lists of
// plugins, labels ("algorithms.0.params.learning_rate", "algorithms.ppo.params.learning_rate");
// VALUE is parsed as a YAML scalar or flow value.
struct Override {
  std::string path;
  std::string value;
};
// Parses "PATH=VALUE"; throws ConfigError on a malformed argument.
RECRL_API Override parse_override(const std::string& argument);
// Applies overrides to a loaded document. Setting a key that does not exist in a map creates
// it (validation then judges it); indexing past the end of a list, or into a scalar, is a
// ConfigError that names the override.
RECRL_API void apply_overrides(Value& document, const std::vector<Override>& overrides);
// Sets `value` at a PATH as above: a missing map key is created, a list entry is named by its
// index or its label (its plugin name when it has none). Errors are ConfigErrors at `origin`.
RECRL_API void set_at_path(Value& document, const std::string& path, const Value& value,
                           const SourceLocation& origin);

// Loads, applies overrides and validates the structure of an experiment file. Unknown keys
// ("did you mean 'timesteps'?"), wrong types, out-of-range or non-finite values, missing
// required keys, duplicate algorithm labels: all ConfigErrors with file:line:column. All
// problems found are collected and reported together (ConfigErrors joined by newlines, at
// most 20) in one ConfigError.
RECRL_API Experiment load_experiment(const std::filesystem::path& file,
                                     const std::vector<Override>& overrides = {});

// The experiment file after --set overrides, not yet validated.
RECRL_API Value load_experiment_document(const std::filesystem::path& file,
                                         const std::vector<Override>& overrides = {});

// Loads an experiment and expands its `sweep:` section, a map from parameter paths (as --set
// takes them; the first key must be env, reward, algorithms, train or eval) to lists of values,
// into the grid of their combinations: the first path varies slowest. Each variant is validated
// like an experiment of its own; without a sweep there is one, with an empty variant label.
RECRL_API std::vector<Experiment> load_experiment_variants(
    const std::filesystem::path& file, const std::vector<Override>& overrides = {});

// "did you mean 'x'?" for `word` among `candidates` (edit distance <= 2), or "".
RECRL_API std::string did_you_mean(const std::string& word,
                                   const std::vector<std::string>& candidates);

}  // namespace recrl::config
