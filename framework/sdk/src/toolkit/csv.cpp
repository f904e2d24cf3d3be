#include "recrl/toolkit/csv.hpp"

#include "recrl/util/read_file.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <iterator>
#include <limits>

namespace recrl::toolkit {

namespace {

// Splits text into records (lists of fields) following RFC 4180, tracking line numbers so
// that every message can point at the file's own lines.
class RecordReader {
 public:
  RecordReader(std::string_view text, const std::string& name) : text_(text), name_(name) {
    constexpr std::string_view kByteOrderMark = "\xEF\xBB\xBF";
    if (text_.substr(0, kByteOrderMark.size()) == kByteOrderMark) pos_ = kByteOrderMark.size();
  }

  // Reads the next non-blank record into `fields`; false when the text is exhausted.
  bool next(std::vector<std::string>& fields, int& start_line) {
    fields.clear();
    while (pos_ < text_.size() && line_break_length() > 0) {
      pos_ += line_break_length();
      ++line_;
    }
    if (pos_ >= text_.size()) return false;
    start_line = line_;

    for (;;) {
      fields.emplace_back();
      read_field(fields.back(), static_cast<int>(fields.size()));
      if (pos_ >= text_.size()) return true;
      if (text_[pos_] == ',') {
        ++pos_;
        continue;
      }
      pos_ += line_break_length();  // read_field stops only at a comma, a line break or the end
      ++line_;
      return true;
    }
  }

 private:
  // 2 at "\r\n", 1 at "\n" or a lone "\r", 0 elsewhere.
  std::size_t line_break_length() const {
    if (text_[pos_] == '\n') return 1;
    if (text_[pos_] != '\r') return 0;
    return pos_ + 1 < text_.size() && text_[pos_ + 1] == '\n' ? 2 : 1;
  }

  bool at_field_end() const {
    return pos_ >= text_.size() || text_[pos_] == ',' || line_break_length() > 0;
  }

  void read_field(std::string& field, int column) {
    if (pos_ < text_.size() && text_[pos_] == '"') {
      read_quoted_field(field, column);
      return;
    }
    while (!at_field_end()) {
      if (text_[pos_] == '"') {
        throw DataError({name_, line_, column},
                        "a '\"' inside an unquoted field; quote the whole field and double the "
                        "quote (\"a \"\"b\"\" c\")");
      }
      field += text_[pos_++];
    }
  }

  void read_quoted_field(std::string& field, int column) {
    const int opening_line = line_;
    ++pos_;  // the opening quote
    for (;;) {
      if (pos_ >= text_.size()) {
        throw DataError({name_, opening_line, column},
                        "a quoted field is never closed (a '\"' opens it, none closes it)");
      }
      const char c = text_[pos_++];
      if (c == '"') {
        if (pos_ < text_.size() && text_[pos_] == '"') {
          field += '"';  // "" stands for one quote
          ++pos_;
          continue;
        }
        break;
      }
      if (c == '\n') ++line_;
      field += c;
    }
    if (!at_field_end()) {
      throw DataError({name_, line_, column},
                      "text after the closing '\"' of a quoted field (expected ',' or the end "
                      "of the line)");
    }
  }

  std::string_view text_;
  const std::string& name_;
  std::size_t pos_ = 0;
  int line_ = 1;
};

std::string_view trimmed(std::string_view s) {
  const auto first = s.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  const auto last = s.find_last_not_of(" \t");
  return s.substr(first, last - first + 1);
}

std::string format_bound(double x) {
  char buffer[32];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, x);
  return std::string(buffer, result.ptr);
}

// "a number", "a number >= 0", "a number in [0, 1]", ...
std::string describe_number(double min, double max) {
  const bool has_min = min > -std::numeric_limits<double>::infinity();
  const bool has_max = max < std::numeric_limits<double>::infinity();
  if (has_min && has_max)
    return "a number in [" + format_bound(min) + ", " + format_bound(max) + "]";
  if (has_min) return "a number >= " + format_bound(min);
  if (has_max) return "a number <= " + format_bound(max);
  return "a finite number";
}

// The finite number the whole of `text` spells (spaces around it allowed), or nullopt.
std::optional<double> parse_finite(std::string_view text) {
  std::string_view s = trimmed(text);
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);  // from_chars refuses a leading '+'
  if (s.empty()) return std::nullopt;
  double value = 0.0;
  const auto [end, error] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (error != std::errc() || end != s.data() + s.size() || !std::isfinite(value)) {
    return std::nullopt;
  }
  return value;
}

}  // namespace

CsvTable CsvTable::read_file(const std::filesystem::path& file, std::uint64_t max_bytes) {
  return parse(util::read_file(file, "the CSV file", max_bytes), file.string());
}

CsvTable CsvTable::parse(std::string_view text, const std::string& name) {
  CsvTable table;
  table.name_ = name;
  RecordReader reader(text, table.name_);
  std::vector<std::string> fields;
  int line = 0;

  if (!reader.next(fields, line)) {
    throw DataError({name, 0, 0}, "the CSV file is empty; expected a header row of column names");
  }
  for (std::size_t c = 0; c < fields.size(); ++c) {
    std::string column_name(trimmed(fields[c]));
    const SourceLocation where{name, line, static_cast<int>(c + 1)};
    if (column_name.empty()) throw DataError(where, "the header has an empty column name");
    if (table.find_column(column_name)) {
      throw DataError(where, "the header names column '" + column_name + "' twice");
    }
    table.header_.push_back(std::move(column_name));
  }
  table.header_line_ = line;

  while (reader.next(fields, line)) {
    if (fields.size() != table.columns()) {
      // Point at the first field that should not be there, or just past the last one given.
      throw DataError({name, line, static_cast<int>(std::min(fields.size(), table.columns()) + 1)},
                      "the row has " + std::to_string(fields.size()) +
                          " fields but the header has " + std::to_string(table.columns()));
    }
    for (auto& field : fields) table.cells_.push_back(std::move(field));
    table.line_of_row_.push_back(line);
  }
  if (table.rows() == 0) {
    throw DataError({name, 0, 0}, "the CSV file has a header but no data rows");
  }
  return table;
}

std::optional<std::size_t> CsvTable::find_column(std::string_view name) const {
  for (std::size_t c = 0; c < header_.size(); ++c) {
    if (header_[c] == name) return c;
  }
  return std::nullopt;
}

std::size_t CsvTable::require_column(std::string_view name) const {
  if (const auto column = find_column(name)) return *column;
  std::string found;
  for (const auto& column_name : header_) found += (found.empty() ? "" : ", ") + column_name;
  throw DataError({name_, header_line_, 1},
                  "missing column '" + std::string(name) + "' (the header has: " + found + ")");
}

const std::string& CsvTable::text(std::size_t row, std::size_t column) const {
  return cells_[row * columns() + column];
}

double CsvTable::number(std::size_t row, std::size_t column) const {
  return number(row, column, -std::numeric_limits<double>::infinity(),
                std::numeric_limits<double>::infinity());
}

double CsvTable::number(std::size_t row, std::size_t column, double min, double max) const {
  const std::string& field = text(row, column);
  const auto value = parse_finite(field);
  if (!value || *value < min || *value > max) {
    throw error(row, column, "expected " + describe_number(min, max) + ", got '" + field + "'");
  }
  return *value;
}

SourceLocation CsvTable::where(std::size_t row, std::size_t column) const {
  return {name_, line(row), static_cast<int>(column + 1)};
}

DataError CsvTable::error(std::size_t row, std::size_t column, const std::string& message) const {
  return DataError(where(row, column), "column '" + header_[column] + "': " + message);
}

}  // namespace recrl::toolkit
