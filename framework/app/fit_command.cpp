// recrl fit
#include <cmath>
#include <iostream>

#include <fmt/format.h>

#include "commands.hpp"
#include "options.hpp"
#include "recrl/config/experiment.hpp"
#include "recrl/core/errors.hpp"
#include "recrl/loader/registry.hpp"
#include "recrl/run/fit.hpp"

namespace recrl::app {

int fit_command(const std::vector<std::string>& args) {
  CommonOptions common;
  std::string log, log_format = "recrl", weights = "propensity", out;
  std::vector<std::string> params;
  FitRequest request;
  po::options_description options("options");
  options.add_options()("log", po::value(&log)->required(), "the log to learn from (docs/logs.md)")(
      "log-format", po::value(&log_format), "recrl (default), obd or vw")(
      "algorithm", po::value(&request.algorithm)->required(),
      "eps_greedy, linucb, lin_ts or squarecb (or a plugin that learns from logs)")(
      "params", po::value(&params)->multitoken(),
      "the algorithm's parameters, NAME=VALUE ... (recrl describe ALGORITHM lists them)")(
      "weights", po::value(&weights), "propensity (default: each row weighs 1/propensity) or none")(
      "clip", po::value(&request.clip), "cap on the weights (default none)")(
      "out", po::value(&out)->required(), "the policy file to write")(
      "seed", po::value(&request.seed), "recorded in the policy for its random choices (0)")(
      "force", po::bool_switch(&request.replace), "replace --out if it exists");
  common.add_plugin_path(options);
  common.add_verbosity(options);
  po::variables_map vm;
  if (!parse(args,
             "usage: recrl fit --log LOG [--log-format recrl|obd|vw] --algorithm NAME "
             "[--params NAME=VALUE ...] [--weights propensity|none] [--clip W] --out POLICY "
             "[--seed S] [--force]",
             options, {}, vm)) {
    return 0;
  }
  if (weights != "propensity" && weights != "none") {
    throw ConfigError("--weights: expected propensity or none, got '" + weights + "'");
  }
  if (!(request.clip >= 1)) {
    throw ConfigError("--clip: expected a weight >= 1 (weights 1/propensity are at least 1)");
  }
  request.log = log;
  request.log_format = log_format_option(log_format);
  request.importance_weighted = weights == "propensity";
  request.out = out;
  std::vector<config::Override> overrides;
  for (const std::string& p : params) overrides.push_back(config::parse_override(p));
  config::apply_overrides(request.params, overrides);

  plugin::PluginRegistry registry;
  common.load_plugins_quietly(registry);
  const FitSummary s = fit_policy(request, registry);
  std::cout << fmt::format(
      "fitted {} on {} rows of {} ({} features, {} actions){}; wrote {}\n", request.algorithm,
      s.rows, log, s.features, s.actions,
      request.importance_weighted
          ? fmt::format(", weighted by 1/propensity (max weight {:.3g}, effective sample size "
                        "{:.0f})",
                        s.max_weight, s.effective_sample_size)
          : std::string(),
      out);
  return 0;
}

}  // namespace recrl::app
