#include "recrl/run/fit.hpp"

#include <sstream>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "recrl/core/errors.hpp"
#include "recrl/logs/log_writer.hpp"
#include "recrl/run/policy_file.hpp"
#include "recrl/run/recommend.hpp"

namespace recrl {

namespace {

LogOrigin origin_of(const FitRequest& request, const logs::LogData& log) {
  LogOrigin origin;
  origin.log = std::filesystem::absolute(request.log).lexically_normal().string();
  origin.format = logs::log_format_name(request.log_format);
  origin.rows = static_cast<std::int64_t>(log.rows());
  origin.features = log.features;
  origin.actions = log.action_labels;
  for (int a = static_cast<int>(origin.actions.size()); a < log.actions(); ++a) {
    origin.actions.push_back("action " + std::to_string(a));
  }
  return origin;
}

}  // namespace

FitSummary fit_policy(const FitRequest& request, const plugin::PluginRegistry& registry) {
  // Refused before the log is read: a mistake here should not cost a long read.
  logs::check_output_file(request.out, request.replace, "--out");
  const auto& info = registry.get(plugin::Kind::Algorithm, request.algorithm,
                                  SourceLocation{"--algorithm"}, "--algorithm");
  const Params params =
      Params::validate(info.schema, request.params, "--params", SourceLocation{"--params"});

  const logs::LogData log = logs::read_log(request.log, request.log_format);
  PolicyRecord record;
  record.log_origin = origin_of(request, log);
  const EnvSpec spec = spec_of_log(*record.log_origin);
  PluginContext ctx;
  ctx.env = &spec;
  ctx.n_envs = 1;
  ctx.logger = spdlog::default_logger();
  ctx.key_path = "--algorithm";
  ctx.where = SourceLocation{"--algorithm"};
  const auto algorithm = registry.create_algorithm(info.name, params, ctx);

  FitSummary summary;
  summary.rows = static_cast<std::int64_t>(log.rows());
  summary.features = spec.observation.size;
  summary.actions = spec.action.size;
  std::vector<double> weights(log.rows(), 1.0);
  double sum = 0, sum_squares = 0;
  for (std::size_t i = 0; i < log.rows(); ++i) {
    if (request.importance_weighted) weights[i] = std::min(1.0 / log.propensity[i], request.clip);
    summary.max_weight = std::max(summary.max_weight, weights[i]);
    sum += weights[i];
    sum_squares += weights[i] * weights[i];
  }
  summary.effective_sample_size = sum * sum / sum_squares;
  // Scaled to a mean of 1, so that the ridge prior (lambda) weighs as much against the log as
  // it does against the same number of online steps.
  const double scale = static_cast<double>(log.rows()) / sum;
  for (double& w : weights) w *= scale;

  // The whole log as one batch: the contexts are already the matrix act() would see.
  const LoggedBatch batch{log.contexts, log.action, log.reward, weights};
  if (!algorithm->learn_from_log(batch)) {
    throw ConfigError(fmt::format(
        "--algorithm: '{}' cannot learn from a log (it learns from its own interaction); "
        "algorithms that can: the bandits eps_greedy, linucb, lin_ts and squarecb",
        info.name));
  }

  record.experiment = "fit";
  record.label = info.name;
  record.seed = request.seed;
  record.env_steps = summary.rows;
  record.algorithm = {info.name, info.version, params.values()};
  std::ostringstream state;
  algorithm->save(state);
  record.algorithm_state = state.str();
  write_policy_file(request.out, record);
  return summary;
}

}  // namespace recrl
