#include "recrl/toolkit/csv.hpp"

#include "recrl/util/number_text.hpp"
#include "recrl/util/read_file.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>

namespace recrl::toolkit {

namespace {

// Splits text into records (lists of fields) following RFC 4180, tracking line numbers so
// that every message can point at the file's own lines. A field is a span of the text (inside
// the quotes of a quoted one); only a quoted field with doubled quotes ("") is copied, without
// them, to `escaped`.
class RecordReader {
 public:
  struct Field {
    std::size_t offset = 0;
    std::size_t length = 0;
    bool escaped = false;  // in `escaped` rather than in the text
  };

  RecordReader(std::string_view text, const std::string& name, std::string& escaped)
      : text_(text), name_(name), escaped_(escaped) {
    constexpr std::string_view kByteOrderMark = "\xEF\xBB\xBF";
    if (text_.substr(0, kByteOrderMark.size()) == kByteOrderMark) pos_ = kByteOrderMark.size();
  }

  // Reads the next non-blank record into `fields`; false when the text is exhausted.
  bool next(std::vector<Field>& fields, int& start_line) {
    fields.clear();
    while (pos_ < text_.size() && line_break_length() > 0) {
      pos_ += line_break_length();
      ++line_;
    }
    if (pos_ >= text_.size()) return false;
    start_line = line_;

    for (;;) {
      fields.push_back(read_field(static_cast<int>(fields.size() + 1)));
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

  Field read_field(int column) {
    if (pos_ < text_.size() && text_[pos_] == '"') return read_quoted_field(column);
    const std::size_t start = pos_;
    while (!at_field_end()) {
      if (text_[pos_] == '"') {
        throw DataError({name_, line_, column},
                        "a '\"' inside an unquoted field; quote the whole field and double the "
                        "quote (\"a \"\"b\"\" c\")");
      }
      ++pos_;
    }
    return {start, pos_ - start, false};
  }

  Field read_quoted_field(int column) {
    const int opening_line = line_;
    ++pos_;  // the opening quote
    const std::size_t start = pos_;
    bool doubled = false;  // a "" inside: the field is copied without the extra quotes
    for (;;) {
      if (pos_ >= text_.size()) {
        throw DataError({name_, opening_line, column},
                        "a quoted field is never closed (a '\"' opens it, none closes it)");
      }
      const char c = text_[pos_++];
      if (c == '"') {
        if (pos_ < text_.size() && text_[pos_] == '"') {
          doubled = true;
          ++pos_;
          continue;
        }
        break;
      }
      if (c == '\n') ++line_;
    }
    const std::size_t end = pos_ - 1;  // the closing quote
    if (!at_field_end()) {
      throw DataError({name_, line_, column},
                      "text after the closing '\"' of a quoted field (expected ',' or the end "
                      "of the line)");
    }
    if (!doubled) return {start, end - start, false};
    const std::size_t offset = escaped_.size();
    for (std::size_t i = start; i < end; ++i) {
      escaped_ += text_[i];
      if (text_[i] == '"') ++i;  // "" stands for one quote
    }
    return {offset, escaped_.size() - offset, true};
  }

  std::string_view text_;
  const std::string& name_;
  std::string& escaped_;
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

}  // namespace

CsvTable CsvTable::read_file(const std::filesystem::path& file, std::uint64_t max_bytes) {
  return parse(util::read_file(file, "the CSV file", std::min(max_bytes, kMaxBytes)),
               file.string());
}

CsvTable CsvTable::parse(std::string text, const std::string& name) {
  RECRL_ASSERT(text.size() <= kMaxBytes, "CsvTable::parse: the text is larger than kMaxBytes");
  CsvTable table;
  table.name_ = name;
  table.text_ = std::move(text);
  RecordReader reader(table.text_, table.name_, table.escaped_);
  std::vector<RecordReader::Field> fields;
  int line = 0;

  if (!reader.next(fields, line)) {
    throw DataError({name, 0, 0}, "the CSV file is empty; expected a header row of column names");
  }
  for (std::size_t c = 0; c < fields.size(); ++c) {
    const RecordReader::Field& f = fields[c];
    const std::string_view raw =
        std::string_view(f.escaped ? table.escaped_ : table.text_).substr(f.offset, f.length);
    std::string column_name(trimmed(raw));
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
    for (const RecordReader::Field& f : fields) {
      // Offsets and lengths fit 32 bits: the text is at most kMaxBytes (2 GiB), and the escaped
      // copies are shorter than the fields they come from.
      table.cells_.push_back({static_cast<std::uint32_t>(f.offset),
                              static_cast<std::uint32_t>(f.length) | (f.escaped ? kEscaped : 0u)});
    }
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

std::string_view CsvTable::text(std::size_t row, std::size_t column) const {
  const Cell& cell = cells_[row * columns() + column];
  const std::string& storage = (cell.length & kEscaped) != 0 ? escaped_ : text_;
  return std::string_view(storage).substr(cell.offset, cell.length & ~kEscaped);
}

double CsvTable::number(std::size_t row, std::size_t column) const {
  return number(row, column, -std::numeric_limits<double>::infinity(),
                std::numeric_limits<double>::infinity());
}

double CsvTable::number(std::size_t row, std::size_t column, double min, double max) const {
  const std::string_view field = text(row, column);
  const auto value = util::parse_finite_number(field);
  if (!value || *value < min || *value > max) {
    throw error(row, column,
                "expected " + describe_number(min, max) + ", got '" + std::string(field) + "'");
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
