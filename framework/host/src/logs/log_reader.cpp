#include "recrl/logs/log_reader.hpp"

#include <cmath>

#include <fmt/format.h>

#include "recrl/logs/csv_stream.hpp"

namespace recrl::logs {

namespace {

std::size_t require(const CsvStream& csv, const std::string& column, const std::string& what) {
  const int index = csv.find_column(column);
  if (index < 0) {
    throw DataError({csv.name(), 1, 1}, fmt::format("no '{}' column ({}); the header has: {}",
                                                    column, what, fmt::join(csv.header(), ", ")));
  }
  return static_cast<std::size_t>(index);
}

}  // namespace

LogData read_recrl_log(const std::filesystem::path& file) {
  CsvStream csv(file);
  const std::size_t action = require(csv, "action", "the logged action's index");
  const std::size_t propensity = require(csv, "propensity", "its probability under the logger");
  const std::size_t reward = require(csv, "reward", "what the decision earned");
  LogData log;
  std::vector<std::size_t> feature_columns;
  for (std::size_t c = 0; c < csv.header().size(); ++c) {
    const std::string& name = csv.header()[c];
    if (name.rfind("x.", 0) == 0) {
      log.features.push_back(name.substr(2));
      feature_columns.push_back(c);
    }
  }
  std::vector<float> contexts;
  while (csv.next()) {
    const double a = csv.number(action);
    if (a < 0 || a != std::floor(a) || a > 1e6) {
      throw csv.error(
          action, fmt::format("expected an action index (0, 1, ...), got '{}'", csv.field(action)));
    }
    const double p = csv.number(propensity);
    if (!(p > 0 && p <= 1)) {
      throw csv.error(propensity, fmt::format("expected a probability in (0, 1], got '{}'",
                                              csv.field(propensity)));
    }
    log.action.push_back(static_cast<int>(a));
    log.max_action = std::max(log.max_action, static_cast<int>(a));
    log.propensity.push_back(p);
    log.reward.push_back(csv.number(reward));
    for (const std::size_t c : feature_columns)
      contexts.push_back(static_cast<float>(csv.number(c)));
  }
  if (log.rows() == 0) throw DataError({csv.name(), 1, 1}, "the log has no rows");
  log.contexts = Eigen::Map<const Eigen::MatrixXf>(
      contexts.data(), static_cast<Eigen::Index>(feature_columns.size()),
      static_cast<Eigen::Index>(log.rows()));
  return log;
}

Eigen::MatrixXd read_target_probabilities(const std::filesystem::path& file, std::size_t rows) {
  CsvStream csv(file);
  std::vector<std::size_t> columns;
  for (int a = 0;; ++a) {
    const int c = csv.find_column("p_" + std::to_string(a));
    if (c < 0) break;
    columns.push_back(static_cast<std::size_t>(c));
  }
  if (columns.empty()) {
    throw DataError({csv.name(), 1, 1},
                    "no p_0 column: the target's probabilities are columns "
                    "p_0 .. p_{K-1}, one row per log row");
  }
  Eigen::MatrixXd probs(static_cast<Eigen::Index>(columns.size()), static_cast<Eigen::Index>(rows));
  std::size_t row = 0;
  while (csv.next()) {
    if (row == rows) {
      throw DataError({csv.name(), csv.line(), 1},
                      fmt::format("more rows than the log's {}", rows));
    }
    double sum = 0;
    for (std::size_t a = 0; a < columns.size(); ++a) {
      const double p = csv.number(columns[a]);
      if (p < 0 || p > 1) {
        throw csv.error(columns[a], fmt::format("expected a probability in [0, 1], got '{}'",
                                                csv.field(columns[a])));
      }
      probs(static_cast<Eigen::Index>(a), static_cast<Eigen::Index>(row)) = p;
      sum += p;
    }
    if (std::abs(sum - 1) > 1e-6) {
      throw DataError({csv.name(), csv.line(), 1},
                      fmt::format("the probabilities sum to {}, not 1", sum));
    }
    ++row;
  }
  if (row != rows) {
    throw DataError({csv.name(), 0, 0},
                    fmt::format("{} rows where the log has {}: one row per log row", row, rows));
  }
  return probs;
}

Eigen::MatrixXd read_expected_rewards(const std::filesystem::path& file, std::size_t rows,
                                      int n_actions) {
  CsvStream csv(file);
  std::vector<std::size_t> columns;
  for (int a = 0; a < n_actions; ++a) {
    columns.push_back(require(csv, "q_" + std::to_string(a),
                              "action " + std::to_string(a) + "'s expected reward"));
  }
  Eigen::MatrixXd q(n_actions, static_cast<Eigen::Index>(rows));
  std::size_t row = 0;
  while (csv.next()) {
    if (row == rows) {
      throw DataError({csv.name(), csv.line(), 1},
                      fmt::format("more rows than the log's {}", rows));
    }
    for (int a = 0; a < n_actions; ++a) {
      q(a, static_cast<Eigen::Index>(row)) = csv.number(columns[static_cast<std::size_t>(a)]);
    }
    ++row;
  }
  if (row != rows) {
    throw DataError({csv.name(), 0, 0},
                    fmt::format("{} rows where the log has {}: one row per log row", row, rows));
  }
  return q;
}

}  // namespace recrl::logs
