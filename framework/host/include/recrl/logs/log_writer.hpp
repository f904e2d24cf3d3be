#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include <Eigen/Core>

#include "recrl/core/export.hpp"

namespace recrl::logs {

// The columns of an interaction log (docs/logs.md): what every row of one log holds.
struct LogColumns {
  std::vector<std::string> features;       // context features, written as x.<name>
  std::vector<std::string> action_labels;  // one per action; index = the action
  std::vector<std::string> components;     // reward components, written as r.<name>
  bool probabilities = false;              // p_0 .. p_{K-1}: the policy's full distribution
};

// One decision and what followed.
struct LogRow {
  std::string decision_id;
  std::string timestamp;            // ISO 8601, UTC
  std::span<const float> features;  // in LogColumns::features order
  int action = 0;
  float propensity = 1;                  // P(action | context) under the logging policy, in (0, 1]
  std::span<const float> probabilities;  // all actions' (when LogColumns::probabilities)
  double reward = 0;
  std::span<const double> components;  // in LogColumns::components order
  std::string policy;                  // the logging policy's id
};

// Writes a log in recrl's CSV format. Features and probabilities are recrl's floats, written as
// the shortest text that reads back as the same float (121.48, not 121.4800033569336). Rows are
// kept in memory (about 200 bytes each) and commit() writes the whole file at once
// (util::write_file_atomically: a temporary file renamed into place), so a log is either complete
// under its name or not there: an error or an interrupt before commit() leaves nothing. The
// constructor checks the target first: an existing file is refused unless `replace`; a folder, FIFO
// or device always is.
class RECRL_API LogWriter {
 public:
  LogWriter(const std::filesystem::path& file, LogColumns columns, bool replace);

  void write(const LogRow& row);
  // Writes the log; returns the number of rows.
  std::int64_t commit();

 private:
  std::filesystem::path file_;
  LogColumns columns_;
  std::string text_;
  std::int64_t rows_ = 0;
};

// Refuses `file` as an output unless it is absent, or a regular file (or a link to one) and
// `replace` is set. `what` names it in the message ("--out", "the truth file").
RECRL_API void check_output_file(const std::filesystem::path& file, bool replace,
                                 const std::string& what);

// Writes a target's probabilities per log row ([K x rows]) as read_target_probabilities reads
// them: columns p_0 .. p_{K-1}, shortest round-trip numbers, written whole.
RECRL_API void write_target_probabilities(const std::filesystem::path& file,
                                          const Eigen::MatrixXd& probabilities);

// A CSV field as written: quoted (RFC 4180) when it holds a comma, quote or line break.
RECRL_API std::string csv_field(const std::string& text);

}  // namespace recrl::logs
