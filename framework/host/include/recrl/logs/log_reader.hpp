#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <Eigen/Core>

#include "recrl/core/export.hpp"

namespace recrl::logs {

// What off-policy evaluation and fitting need of a log, read in one streaming pass: the
// contexts, the logged actions with their propensities, and the rewards.
struct LogData {
  std::vector<std::string> features;  // the context's feature names (x.<name> columns)
  Eigen::MatrixXf contexts;           // [features x rows]
  std::vector<int> action;
  std::vector<double> propensity;  // in (0, 1]
  std::vector<double> reward;
  int max_action = -1;  // the largest logged action index

  std::size_t rows() const { return action.size(); }
};

// Reads a log in recrl's format (docs/logs.md). Required columns: action, propensity, reward;
// x.<feature> columns are read when present. A missing column, a value that is not a finite
// number, an action that is not a whole number >= 0, or a propensity outside (0, 1] is a
// DataError naming the file, line and column.
RECRL_API LogData read_recrl_log(const std::filesystem::path& file);

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
