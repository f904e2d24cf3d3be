#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "recrl/core/errors.hpp"
#include "recrl/core/export.hpp"

namespace recrl::toolkit {

// A small CSV table: a header row of column names, then rows of text fields, all with as many
// fields as the header. Comma separated, RFC 4180 quoting ("a ""quoted"" field", fields that
// span lines), LF or CRLF line ends, an optional UTF-8 byte-order mark; blank lines are
// skipped. Every problem is a DataError that names the file and the line (and, for a field,
// its 1-based column), e.g.
//   users.csv:5:3: error: column 'monetary_value': expected a number >= 0, got '-3'
// Meant for inputs such as user tables: it holds the whole file's text once, and each field as
// 8 bytes pointing into it.
class RECRL_API CsvTable {
 public:
  // Files larger than this are refused unread (docs/limits.md): 2 GiB of text is ~25 million
  // rows of ten features.
  static constexpr std::uint64_t kMaxBytes = 2ull << 30;
  // Reads and parses a regular file of at most max_bytes (and kMaxBytes; a device or FIFO is
  // refused: see util::read_file). `file` is also how messages name it.
  static CsvTable read_file(const std::filesystem::path& file, std::uint64_t max_bytes = kMaxBytes);
  // Parses text of at most kMaxBytes; `name` stands for the file in messages.
  static CsvTable parse(std::string text, const std::string& name);

  const std::string& name() const { return name_; }
  const std::vector<std::string>& header() const { return header_; }
  std::size_t columns() const { return header_.size(); }
  std::size_t rows() const { return line_of_row_.size(); }

  // The column called `name`, or nullopt.
  std::optional<std::size_t> find_column(std::string_view name) const;
  // The column called `name`; a DataError naming the file and the columns it has otherwise.
  std::size_t require_column(std::string_view name) const;

  // Row indices are 0-based data rows (the header is not a row); columns are 0-based here
  // and 1-based in messages.
  std::string_view text(std::size_t row, std::size_t column) const;
  // The field as a finite number; a DataError at its position otherwise. Surrounding spaces
  // are ignored; "nan", "inf" and trailing text are refused.
  double number(std::size_t row, std::size_t column) const;
  // The same, also requiring min <= value <= max (the message says which bounds apply).
  double number(std::size_t row, std::size_t column, double min, double max) const;

  // The line on which a data row starts (1-based, as an editor shows it).
  int line(std::size_t row) const { return line_of_row_[row]; }
  // file:line:column of a field.
  SourceLocation where(std::size_t row, std::size_t column) const;
  // "file:line:col: error: column 'name': message", for checks the caller makes itself.
  DataError error(std::size_t row, std::size_t column, const std::string& message) const;

 private:
  std::string name_;
  std::vector<std::string> header_;
  int header_line_ = 1;
  // A field: `length` characters at `offset` of text_, or of escaped_ when kEscaped is set in
  // length (a quoted field whose doubled quotes were undone).
  struct Cell {
    std::uint32_t offset;
    std::uint32_t length;
  };
  static constexpr std::uint32_t kEscaped = 1u << 31;

  std::string text_;              // the file
  std::string escaped_;           // quoted fields with "" inside, without the extra quotes
  std::vector<Cell> cells_;       // [rows x columns], row-major
  std::vector<int> line_of_row_;  // [rows]
};

}  // namespace recrl::toolkit
