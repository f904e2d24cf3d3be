#pragma once

#include <cstdint>
#include <filesystem>
#include <limits>
#include <string>

#include "recrl/core/export.hpp"
#include "recrl/core/value.hpp"
#include "recrl/loader/registry.hpp"
#include "recrl/logs/log_reader.hpp"

namespace recrl {

// `recrl fit`: a bandit trained offline from another policy's log (docs/fit.md).
struct FitRequest {
  std::filesystem::path log;
  logs::LogFormat log_format = logs::LogFormat::Recrl;
  std::string algorithm;        // a plugin that learns from logs (Algorithm::learn_from_log)
  Value params = Value::map();  // its parameters as given; the schema's defaults fill the rest
  // Each row weighs 1 / propensity (capped at `clip`), so that the fit is that of a uniformly
  // random logger; false: every row weighs 1.
  bool importance_weighted = true;
  double clip = std::numeric_limits<double>::infinity();
  std::filesystem::path out;
  bool replace = false;    // an existing --out may be replaced
  std::uint64_t seed = 0;  // recorded in the policy: the seed its random choices derive from
};

struct FitSummary {
  std::int64_t rows = 0;
  int features = 0, actions = 0;
  double max_weight = 0;
  double effective_sample_size = 0;  // (sum w)^2 / sum w^2
};

// Reads the log, fits the algorithm on every row in log order, and writes a policy file that
// `recommend` and `ope` use: its space is the log's features and actions (spec_of_log).
RECRL_API FitSummary fit_policy(const FitRequest& request, const plugin::PluginRegistry& registry);

}  // namespace recrl
