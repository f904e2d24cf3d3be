#include "recrl/logs/csv_stream.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "recrl/util/number_text.hpp"

namespace recrl::logs {

namespace {

constexpr std::size_t kBufferBytes = 1 << 20;
// Longer than any sensible record: stops an unclosed quote from reading the rest of a huge
// file into one field.
constexpr std::size_t kMaxRecordBytes = 16u << 20;

}  // namespace

std::ifstream open_log_file(const std::filesystem::path& file) {
  const auto fail = [&](const std::string& reason) {
    return DataError(SourceLocation{file.string()}, "cannot read the log: " + reason);
  };
  std::error_code error;
  const auto status = std::filesystem::status(file, error);
  if (error) throw fail(error.message());
  if (std::filesystem::is_directory(status)) throw fail("it is a folder");
  if (!std::filesystem::is_regular_file(status)) {
    throw fail("not a regular file (a device, FIFO or socket)");
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) throw fail("cannot open it");
  return in;
}

CsvStream::CsvStream(const std::filesystem::path& file)
    : name_(file.string()), in_(open_log_file(file)), buffer_(kBufferBytes) {
  // A UTF-8 byte-order mark is not part of the first column's name. (Found by fuzz_log: an
  // empty file has no first character to put back.)
  const int first = get();
  if (first == 0xEF) {
    if (get() != 0xBB || get() != 0xBF) throw DataError({name_, 1, 1}, "a broken byte-order mark");
  } else if (first >= 0) {
    --position_;
  }
  if (!read_record()) throw DataError({name_, 1, 1}, "empty: no header row");
  for (std::size_t c = 0; c < ends_.size(); ++c) header_.emplace_back(field(c));
  records_ = 0;
}

int CsvStream::get() {
  if (position_ == filled_) {
    in_.read(buffer_.data(), static_cast<std::streamsize>(buffer_.size()));
    filled_ = static_cast<std::size_t>(in_.gcount());
    position_ = 0;
    if (filled_ == 0) return -1;
  }
  return static_cast<unsigned char>(buffer_[position_++]);
}

bool CsvStream::read_record() {
  text_.clear();
  ends_.clear();
  int c = get();
  // Blank lines between records are skipped.
  while (c == '\n' || c == '\r') {
    if (c == '\n') ++line_;
    c = get();
  }
  if (c < 0) return false;
  record_line_ = line_;
  bool quoted = false;
  bool was_quoted = false;
  for (;; c = get()) {
    if (text_.size() > kMaxRecordBytes) {
      throw DataError({name_, record_line_, static_cast<int>(ends_.size()) + 1},
                      "a record longer than 16 MiB (an unclosed quote?)");
    }
    if (quoted) {
      if (c < 0) {
        throw DataError({name_, record_line_, static_cast<int>(ends_.size()) + 1},
                        "a quoted field is not closed before the end of the file");
      }
      if (c == '"') {
        const int after = get();
        if (after == '"') {
          text_ += '"';
          continue;
        }
        quoted = false;
        if (after >= 0) --position_;
        continue;
      }
      if (c == '\n') ++line_;
      text_ += static_cast<char>(c);
      continue;
    }
    if (c == '"' && !was_quoted && text_.size() == (ends_.empty() ? 0 : ends_.back())) {
      quoted = was_quoted = true;
      continue;
    }
    if (c == ',') {
      ends_.push_back(text_.size());
      was_quoted = false;
      continue;
    }
    if (c == '\r') {
      const int after = get();
      if (after != '\n' && after >= 0) --position_;
      c = '\n';
    }
    if (c == '\n' || c < 0) {
      if (c == '\n') ++line_;
      ends_.push_back(text_.size());
      return true;
    }
    text_ += static_cast<char>(c);
  }
}

bool CsvStream::next() {
  if (!read_record()) return false;
  ++records_;
  if (ends_.size() != header_.size()) {
    throw DataError({name_, record_line_, 1},
                    fmt::format("{} fields where the header has {}", ends_.size(), header_.size()));
  }
  return true;
}

int CsvStream::find_column(std::string_view name) const {
  for (std::size_t c = 0; c < header_.size(); ++c) {
    if (header_[c] == name) return static_cast<int>(c);
  }
  return -1;
}

std::size_t CsvStream::require_column(const std::string& name, const std::string& what) const {
  const int index = find_column(name);
  if (index < 0) {
    throw DataError({name_, 1, 1}, fmt::format("no '{}' column ({}); the header has: {}", name,
                                               what, fmt::join(header_, ", ")));
  }
  return static_cast<std::size_t>(index);
}

std::string_view CsvStream::field(std::size_t column) const {
  const std::size_t begin = column == 0 ? 0 : ends_[column - 1];
  return std::string_view(text_).substr(begin, ends_[column] - begin);
}

double CsvStream::number(std::size_t column) const {
  const auto value = util::parse_finite_number(field(column));
  if (!value) {
    throw error(column, fmt::format("expected a finite number, got '{}'", field(column)));
  }
  return *value;
}

float CsvStream::feature(std::size_t column) const {
  const double value = number(column);
  if (!util::fits_float(value))
    throw error(column, fmt::format("expected {}, got '{}'", util::kFloatRangeText, field(column)));
  return static_cast<float>(value);
}

DataError CsvStream::error(std::size_t column, const std::string& message) const {
  return DataError({name_, record_line_, static_cast<int>(column) + 1},
                   fmt::format("column '{}': {}", header_[column], message));
}

}  // namespace recrl::logs
