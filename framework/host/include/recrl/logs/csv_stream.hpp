#pragma once

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "recrl/core/errors.hpp"
#include "recrl/core/export.hpp"

namespace recrl::logs {

// Opens a log for reading: only a regular file (util::read_file's rule); errors say "cannot
// read the log" and why, naming `file`.
RECRL_API std::ifstream open_log_file(const std::filesystem::path& file);

// Reads a CSV file one record at a time, for files too large to hold (interaction logs of
// millions of rows): memory is one record and a read buffer. The dialect is CsvTable's: comma
// separated, RFC 4180 quoting (fields may span lines), LF or CRLF, an optional UTF-8 byte-order
// mark, blank lines skipped, a header row first. Errors name the file, the record's line and
// the 1-based column. Only regular files are read (util::read_file's rule).
class RECRL_API CsvStream {
 public:
  explicit CsvStream(const std::filesystem::path& file);

  const std::string& name() const { return name_; }
  const std::vector<std::string>& header() const { return header_; }
  // The column called `name`, or -1.
  int find_column(std::string_view name) const;
  // The column called `name`, or an error at the header saying what it holds (`what`) and
  // which columns there are.
  std::size_t require_column(const std::string& name, const std::string& what) const;

  // Moves to the next record; false at the end of the file. A record with another number of
  // fields than the header is an error.
  bool next();
  std::string_view field(std::size_t column) const;
  // The field as a finite number (parse_finite_number's forms); an error at its place otherwise.
  double number(std::size_t column) const;
  // The field as a feature's value: a finite number that fits a 32-bit float.
  float feature(std::size_t column) const;
  // The line on which the current record starts, as an editor counts.
  int line() const { return record_line_; }
  std::int64_t records() const { return records_; }
  DataError error(std::size_t column, const std::string& message) const;

 private:
  // Reads one record into fields_; false at the end.
  bool read_record();
  int get();

  std::string name_;
  std::ifstream in_;
  std::vector<char> buffer_;
  std::size_t position_ = 0, filled_ = 0;
  int line_ = 1;
  int record_line_ = 0;
  std::int64_t records_ = 0;
  std::vector<std::string> header_;
  std::string text_;               // the current record's fields, one after another
  std::vector<std::size_t> ends_;  // where each field ends in text_
};

}  // namespace recrl::logs
