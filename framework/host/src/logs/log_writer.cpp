#include "recrl/logs/log_writer.hpp"

#include <array>
#include <charconv>

#include <fmt/format.h>

#include "recrl/core/errors.hpp"
#include "recrl/util/atomic_file.hpp"
#include "recrl/util/number_text.hpp"

namespace recrl::logs {

namespace {

void append_number(std::string& text, double value) { text += util::shortest_number_text(value); }

void append_number(std::string& text, float value) {
  std::array<char, 32> buffer{};
  const auto result = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value);
  text.append(buffer.data(), result.ptr);
}

}  // namespace

std::string csv_field(const std::string& text) {
  if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
  std::string quoted = "\"";
  for (const char c : text) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  return quoted + "\"";
}

void check_output_file(const std::filesystem::path& file, bool replace, const std::string& what) {
  std::error_code error;
  const auto status = std::filesystem::status(file, error);
  if (!std::filesystem::exists(status)) return;
  if (!std::filesystem::is_regular_file(status)) {
    throw ConfigError(fmt::format(
        "{} {}: not a regular file (a folder, FIFO, device or socket); recrl writes regular "
        "files only and does not replace it",
        what, file.string()));
  }
  if (!replace) {
    throw ConfigError(
        fmt::format("{} {}: the file exists (--force replaces it)", what, file.string()));
  }
}

LogWriter::LogWriter(const std::filesystem::path& file, LogColumns columns, bool replace)
    : file_(file), columns_(std::move(columns)) {
  check_output_file(file_, replace, "--out");
  text_ = "decision_id,timestamp";
  for (const auto& name : columns_.features) text_ += "," + csv_field("x." + name);
  text_ += ",action,action_label,propensity";
  if (columns_.probabilities) {
    for (std::size_t a = 0; a < columns_.action_labels.size(); ++a) {
      text_ += ",p_" + std::to_string(a);
    }
  }
  text_ += ",reward";
  for (const auto& name : columns_.components) text_ += "," + csv_field("r." + name);
  text_ += ",policy\n";
}

void LogWriter::write(const LogRow& row) {
  RECRL_ASSERT(
      row.features.size() == columns_.features.size() &&
          row.components.size() == columns_.components.size() &&
          (!columns_.probabilities || row.probabilities.size() == columns_.action_labels.size()),
      "LogWriter::write: the row does not have the log's columns");
  RECRL_ASSERT(
      row.action >= 0 && static_cast<std::size_t>(row.action) < columns_.action_labels.size(),
      "LogWriter::write: action out of range");
  text_ += csv_field(row.decision_id);
  text_ += ',';
  text_ += csv_field(row.timestamp);
  for (const float x : row.features) {
    text_ += ',';
    append_number(text_, x);
  }
  text_ += ',';
  text_ += std::to_string(row.action);
  text_ += ',';
  text_ += csv_field(columns_.action_labels[static_cast<std::size_t>(row.action)]);
  text_ += ',';
  append_number(text_, row.propensity);
  for (const float p : row.probabilities) {
    text_ += ',';
    append_number(text_, p);
  }
  text_ += ',';
  append_number(text_, row.reward);
  for (const double c : row.components) {
    text_ += ',';
    append_number(text_, c);
  }
  text_ += ',';
  text_ += csv_field(row.policy);
  text_ += '\n';
  ++rows_;
}

std::int64_t LogWriter::commit() {
  util::write_file_atomically(file_, text_);
  return rows_;
}

void write_target_probabilities(const std::filesystem::path& file,
                                const Eigen::MatrixXd& probabilities) {
  std::string text;
  for (Eigen::Index a = 0; a < probabilities.rows(); ++a) {
    text += fmt::format("{}p_{}", a == 0 ? "" : ",", a);
  }
  text += '\n';
  for (Eigen::Index i = 0; i < probabilities.cols(); ++i) {
    for (Eigen::Index a = 0; a < probabilities.rows(); ++a) {
      if (a > 0) text += ',';
      text += util::shortest_number_text(probabilities(a, i));
    }
    text += '\n';
  }
  util::write_file_atomically(file, text);
}

}  // namespace recrl::logs
