#pragma once

#include <algorithm>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <Eigen/Core>

#include "recrl/core/export.hpp"

namespace recrl::logs {

// The log formats recrl reads (docs/logs.md): its own CSV, Open Bandit Dataset CSV files as
// published, and Vowpal Wabbit's --cb_adf text.
enum class LogFormat { Recrl, Obd, Vw };
RECRL_API std::optional<LogFormat> parse_log_format(std::string_view name);
RECRL_API const char* log_format_name(LogFormat format);  // "recrl", "obd", "vw"

// What off-policy evaluation and fitting need of a log, read in one streaming pass: the
// contexts, the logged actions with their propensities, and the rewards.
struct LogData {
  std::vector<std::string> features;  // the context's feature names (x.<name> columns)
  Eigen::MatrixXf contexts;           // [features x rows]
  std::vector<int> action;
  std::vector<double> propensity;  // in (0, 1]
  std::vector<double> reward;
  std::vector<int> position;  // the slot of each row (from 1), empty where the log has none
  int max_action = -1;        // the largest logged action index
  // The actions' labels where the log names them (recrl's action_label, VW's action lines,
  // OBD's item ids), index = action; may be longer than max_action + 1 (actions never logged).
  std::vector<std::string> action_labels;

  std::size_t rows() const { return action.size(); }
  // K: the actions the log knows of.
  int actions() const { return std::max(max_action + 1, static_cast<int>(action_labels.size())); }
};

// Reads a log in `format`; the readers below. A recrl log may be CSV or the SQLite decision log
// of `recrl serve`, told apart by the file's first bytes.
RECRL_API LogData read_log(const std::filesystem::path& file, LogFormat format);

// Reads a log in recrl's format (docs/logs.md). Required columns: action, propensity, reward;
// x.<feature> columns are read when present. A missing column, a value that is not a finite
// number, an action that is not a whole number >= 0, or a propensity outside (0, 1] is a
// DataError naming the file, line and column.
RECRL_API LogData read_recrl_log(const std::filesystem::path& file);

// Reads the decision log of `recrl serve` (SQLite, docs/serving.md): its settled decisions
// (activated, the reward window closed or, aggregating the earliest, a reward received), each
// with its reward or the log's default reward, in logging order. Decisions still waiting for
// their reward are left out.
RECRL_API LogData read_served_log(const std::filesystem::path& file);

// Reads an Open Bandit Dataset CSV file as published (docs/logs.md): a leading unnamed index
// column, timestamp, item_id (the action), position (from 1), click (the reward),
// propensity_score, user_feature_0.. (hashed categorical strings, one-hot encoded), and
// user-item_affinity_0..K-1 (numbers, read as features; K of them make K actions).
RECRL_API LogData read_obd_log(const std::filesystem::path& file);

// Reads Vowpal Wabbit's --cb_adf text (docs/logs.md): examples of an optional `shared` line
// and one line per action, separated by blank lines; the action line labelled
// `action:cost:probability` is the logged one (reward = -cost). The shared line's features are
// the context; action k is each example's k-th action line.
RECRL_API LogData read_vw_log(const std::filesystem::path& file);

// Target probabilities from a CSV with one row per log row and columns p_0 .. p_{K-1} (any other
// columns are ignored): [K x rows]. Each row's probabilities are numbers in [0, 1] summing to 1
// (within 1e-6); errors name the file, line and column.
RECRL_API Eigen::MatrixXd read_target_probabilities(const std::filesystem::path& file,
                                                    std::size_t rows);

// The truth file `recrl simulate` writes (decision_id, q_0 .. q_{K-1}): [K x rows], checked to
// have the log's rows and the target's K actions.
RECRL_API Eigen::MatrixXd read_expected_rewards(const std::filesystem::path& file, std::size_t rows,
                                                int n_actions);

}  // namespace recrl::logs
