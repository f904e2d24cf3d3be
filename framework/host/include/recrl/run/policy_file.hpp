#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "recrl/core/export.hpp"
#include "recrl/core/value.hpp"
#include "recrl/run/normalizer.hpp"

namespace recrl {

// A policy file holds networks of at most a few million parameters: a larger file is refused
// unread (docs/limits.md).
inline constexpr std::uint64_t kMaxPolicyBytes = 1ull << 30;

// A plugin as it was configured for a run: enough to make it again.
struct PluginConfig {
  std::string plugin;
  std::string version;
  Value params;  // the validated parameters, defaults included
};

// Where a policy fitted from a log (`recrl fit`) came from. Such a policy has no simulator: no
// environment or reward; the log's features and actions say what it reads and chooses.
struct LogOrigin {
  std::string log;     // the log file, as an absolute path
  std::string format;  // recrl, obd or vw
  std::int64_t rows = 0;
  std::vector<std::string> features;
  std::vector<std::string> actions;  // labels, index = action
};

// Everything needed to use a trained policy on its own: the algorithm and its parameters and
// weights, the normaliser statistics, and the environment and reward it was trained with.
struct PolicyRecord {
  std::string experiment;
  // The experiment file the plugin parameters were written in, as an absolute path. Values
  // read back are located there, so a relative path in them (a CSV of users, say) resolves as
  // it did in training.
  std::string experiment_file;
  std::string label;
  std::uint64_t seed = 0;
  std::int64_t env_steps = 0;
  PluginConfig algorithm;
  PluginConfig env;     // empty for a policy fitted from a log
  PluginConfig reward;  // empty for a policy fitted from a log
  std::optional<LogOrigin> log_origin;
  bool normalize_observations = false;
  ObservationNormalizer normalizer;  // meaningful when normalize_observations
  std::string algorithm_state;       // the bytes Algorithm::save wrote
};

// File layout: the line "recrl-policy 1", then one line of JSON (everything but the state,
// with "state_bytes"), then the algorithm's state bytes. Written to a temporary file and renamed,
// so a policy file is either complete or absent.
RECRL_API void write_policy_file(const std::filesystem::path& file, const PolicyRecord& record);
// Throws DataError naming the file for a missing, truncated, corrupt or foreign file.
RECRL_API PolicyRecord read_policy_file(const std::filesystem::path& file);
// The same in memory: a policy file's bytes, and a record from them (`name` for messages).
// A plugin's parameters as compact JSON text.
RECRL_API std::string params_json_text(const Value& params);
RECRL_API std::string policy_bytes(const PolicyRecord& record);
RECRL_API PolicyRecord parse_policy(const std::string& content, const std::string& name);

}  // namespace recrl
