#include "recrl/logs/log_reader.hpp"

#include <cmath>

#include <fmt/format.h>

#include "log_fields.hpp"
#include "recrl/logs/csv_stream.hpp"
#include "recrl/store/decision_log.hpp"

namespace recrl::logs {

std::optional<LogFormat> parse_log_format(std::string_view name) {
  if (name == "recrl") return LogFormat::Recrl;
  if (name == "obd") return LogFormat::Obd;
  if (name == "vw") return LogFormat::Vw;
  return std::nullopt;
}

const char* log_format_name(LogFormat format) {
  switch (format) {
    case LogFormat::Obd:
      return "obd";
    case LogFormat::Vw:
      return "vw";
    case LogFormat::Recrl:
      break;
  }
  return "recrl";
}

LogData read_log(const std::filesystem::path& file, LogFormat format) {
  switch (format) {
    case LogFormat::Obd:
      return read_obd_log(file);
    case LogFormat::Vw:
      return read_vw_log(file);
    case LogFormat::Recrl:
      break;
  }
  // recrl's own logs come as CSV (simulate) or as the SQLite decision log of recrl serve.
  if (store::looks_like_sqlite(file)) return read_served_log(file);
  // A file named as a database that is not one is a damaged or wrong file, not a CSV log.
  const std::string extension = file.extension().string();
  if (extension == ".db" || extension == ".sqlite" || extension == ".sqlite3")
    throw DataError({file.string(), 0, 0},
                    "not a SQLite database (it does not start with SQLite's header): a decision "
                    "log of recrl serve is one; a CSV log may have any other name");
  return read_recrl_log(file);
}

LogData read_recrl_log(const std::filesystem::path& file) {
  CsvStream csv(file);
  if (csv.find_column("action") < 0 && csv.find_column("item_id") >= 0 &&
      csv.find_column("propensity_score") >= 0) {
    throw DataError({csv.name(), 1, 1},
                    "no 'action' column; the header is an Open Bandit Dataset file's: give "
                    "--log-format obd");
  }
  const std::size_t action = csv.require_column("action", "the logged action's index");
  const std::size_t propensity =
      csv.require_column("propensity", "its probability under the logger");
  const std::size_t reward = csv.require_column("reward", "what the decision earned");
  const int label = csv.find_column("action_label");
  const int position = csv.find_column("position");
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
    const int a = action_field(csv, action);
    log.action.push_back(a);
    log.max_action = std::max(log.max_action, a);
    log.propensity.push_back(propensity_field(csv, propensity));
    log.reward.push_back(csv.number(reward));
    if (position >= 0)
      log.position.push_back(position_field(csv, static_cast<std::size_t>(position)));
    for (const std::size_t c : feature_columns)
      contexts.push_back(csv.feature(c));
    // The first label seen for each action names it.
    if (label >= 0) {
      const auto index = static_cast<std::size_t>(a);
      if (log.action_labels.size() <= index) log.action_labels.resize(index + 1);
      if (log.action_labels[index].empty())
        log.action_labels[index] = csv.field(static_cast<std::size_t>(label));
    }
  }
  if (log.rows() == 0) throw DataError({csv.name(), 1, 1}, "the log has no rows");
  for (std::size_t a = 0; a < log.action_labels.size(); ++a) {
    if (log.action_labels[a].empty()) log.action_labels[a] = "action " + std::to_string(a);
  }
  log.contexts = Eigen::Map<const Eigen::MatrixXf>(
      contexts.data(), static_cast<Eigen::Index>(feature_columns.size()),
      static_cast<Eigen::Index>(log.rows()));
  return log;
}

namespace {

// The numbers of `columns` of every record, [columns x rows], one record per log row; `check`
// sees each record's numbers as they are read (its errors name the record).
template <typename RowCheck>
Eigen::MatrixXd read_per_row(CsvStream& csv, const std::vector<std::size_t>& columns,
                             std::size_t rows, const RowCheck& check) {
  Eigen::MatrixXd out(static_cast<Eigen::Index>(columns.size()), static_cast<Eigen::Index>(rows));
  std::size_t row = 0;
  while (csv.next()) {
    if (row == rows) {
      throw DataError({csv.name(), csv.line(), 1},
                      fmt::format("more rows than the log's {}", rows));
    }
    auto values = out.col(static_cast<Eigen::Index>(row));
    for (std::size_t c = 0; c < columns.size(); ++c) {
      values[static_cast<Eigen::Index>(c)] = csv.number(columns[c]);
    }
    check(values);
    ++row;
  }
  if (row != rows) {
    throw DataError({csv.name(), 0, 0},
                    fmt::format("{} rows where the log has {}: one row per log row", row, rows));
  }
  return out;
}

}  // namespace

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
  return read_per_row(csv, columns, rows, [&](const Eigen::Ref<const Eigen::VectorXd>& p) {
    for (std::size_t a = 0; a < columns.size(); ++a) {
      const double value = p[static_cast<Eigen::Index>(a)];
      if (value < 0 || value > 1) {
        throw csv.error(columns[a], fmt::format("expected a probability in [0, 1], got '{}'",
                                                csv.field(columns[a])));
      }
    }
    if (std::abs(p.sum() - 1) > 1e-6) {
      throw DataError({csv.name(), csv.line(), 1},
                      fmt::format("the probabilities sum to {}, not 1", p.sum()));
    }
  });
}

Eigen::MatrixXd read_expected_rewards(const std::filesystem::path& file, std::size_t rows,
                                      int n_actions) {
  CsvStream csv(file);
  std::vector<std::size_t> columns;
  for (int a = 0; a < n_actions; ++a) {
    columns.push_back(csv.require_column("q_" + std::to_string(a),
                                         "action " + std::to_string(a) + "'s expected reward"));
  }
  return read_per_row(csv, columns, rows, [](const Eigen::Ref<const Eigen::VectorXd>&) {});
}

}  // namespace recrl::logs
