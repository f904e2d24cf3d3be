#pragma once

#include <cstddef>
#include <cstdint>
#include <istream>
#include <ostream>
#include <string>
#include <type_traits>

#include <Eigen/Core>

#include "recrl/core/errors.hpp"

namespace recrl::toolkit {

// Binary save/load helpers for algorithm state (weights, optimiser moments). Values are written
// as their bytes in the machine's representation, so a save -> load round trip is exact (bit
// for bit). Readers check what they read and throw DataError("<what>: ...") on a short stream or
// a shape that does not match, so that a truncated or foreign policy file is reported, not
// silently loaded. Policy files are not meant to move between machines of different byte order.

template <typename T>
void write_pod(std::ostream& out, const T& value) {
  static_assert(std::is_trivially_copyable_v<T>, "write_pod needs a trivially copyable type");
  out.write(reinterpret_cast<const char*>(&value), sizeof(T));
}

template <typename T>
T read_pod(std::istream& in, const std::string& what) {
  static_assert(std::is_trivially_copyable_v<T>, "read_pod needs a trivially copyable type");
  T value{};
  in.read(reinterpret_cast<char*>(&value), sizeof(T));
  if (!in) throw DataError(SourceLocation{}, what + ": the saved state ends early");
  return value;
}

// Writes rows, cols and the coefficients (column-major) of a dense matrix or vector.
template <typename Derived>
void write_array(std::ostream& out, const Eigen::PlainObjectBase<Derived>& array) {
  write_pod<std::int64_t>(out, array.rows());
  write_pod<std::int64_t>(out, array.cols());
  out.write(reinterpret_cast<const char*>(array.data()),
            static_cast<std::streamsize>(sizeof(typename Derived::Scalar) * array.size()));
}

// Reads what write_array wrote into `array`, which must already have the saved shape (the
// shape is part of the model's configuration, so a mismatch means a different model).
template <typename Derived>
void read_array(std::istream& in, Eigen::PlainObjectBase<Derived>& array, const std::string& what) {
  const auto rows = read_pod<std::int64_t>(in, what);
  const auto cols = read_pod<std::int64_t>(in, what);
  if (rows != array.rows() || cols != array.cols()) {
    throw DataError(SourceLocation{}, what + ": saved shape " + std::to_string(rows) + " x " +
                                          std::to_string(cols) + " does not match the expected " +
                                          std::to_string(array.rows()) + " x " +
                                          std::to_string(array.cols()));
  }
  in.read(reinterpret_cast<char*>(array.data()),
          static_cast<std::streamsize>(sizeof(typename Derived::Scalar) * array.size()));
  if (!in) throw DataError(SourceLocation{}, what + ": the saved state ends early");
}

// Writes the first `cols` columns of a dense matrix (rows, cols, coefficients): a partly filled
// buffer saves what it holds, not its capacity.
template <typename Derived>
void write_columns(std::ostream& out, const Eigen::PlainObjectBase<Derived>& array,
                   Eigen::Index cols) {
  write_pod<std::int64_t>(out, array.rows());
  write_pod<std::int64_t>(out, cols);
  out.write(reinterpret_cast<const char*>(array.data()),
            static_cast<std::streamsize>(sizeof(typename Derived::Scalar) * array.rows() * cols));
}

// Reads what write_columns wrote into the first `cols` columns of `array` (its rows must match
// and `cols` is what the caller expects, e.g. from a saved fill level).
template <typename Derived>
void read_columns(std::istream& in, Eigen::PlainObjectBase<Derived>& array, Eigen::Index cols,
                  const std::string& what) {
  const auto rows = read_pod<std::int64_t>(in, what);
  const auto saved_cols = read_pod<std::int64_t>(in, what);
  if (rows != array.rows() || saved_cols != cols || cols > array.cols()) {
    throw DataError(SourceLocation{},
                    what + ": saved shape " + std::to_string(rows) + " x " +
                        std::to_string(saved_cols) + " does not match the expected " +
                        std::to_string(array.rows()) + " x " + std::to_string(cols));
  }
  in.read(reinterpret_cast<char*>(array.data()),
          static_cast<std::streamsize>(sizeof(typename Derived::Scalar) * rows * cols));
  if (!in) throw DataError(SourceLocation{}, what + ": the saved state ends early");
}

// Writes the count and the elements of an array of plain values (a std::vector's data(),
// size(), or a prefix of it).
template <typename T>
void write_values(std::ostream& out, const T* values, std::size_t count) {
  static_assert(std::is_trivially_copyable_v<T>, "write_values needs trivially copyable values");
  write_pod<std::uint64_t>(out, count);
  out.write(reinterpret_cast<const char*>(values), static_cast<std::streamsize>(sizeof(T) * count));
}

// Reads what write_values wrote into `values`, when exactly `count` values were saved.
template <typename T>
void read_values(std::istream& in, T* values, std::size_t count, const std::string& what) {
  static_assert(std::is_trivially_copyable_v<T>, "read_values needs trivially copyable values");
  const auto saved = read_pod<std::uint64_t>(in, what);
  if (saved != count) {
    throw DataError(SourceLocation{}, what + ": saved " + std::to_string(saved) + " values where " +
                                          std::to_string(count) + " were expected");
  }
  in.read(reinterpret_cast<char*>(values), static_cast<std::streamsize>(sizeof(T) * count));
  if (!in) throw DataError(SourceLocation{}, what + ": the saved state ends early");
}

// A section tag: each part of a saved state starts with its name and format version, so that
// a reader out of step with the writer fails at once, naming the part, instead of reading
// another part's bytes as its own.
inline void write_tag(std::ostream& out, const std::string& tag) {
  write_pod<std::uint32_t>(out, static_cast<std::uint32_t>(tag.size()));
  out.write(tag.data(), static_cast<std::streamsize>(tag.size()));
}

inline void expect_tag(std::istream& in, const std::string& tag) {
  const auto size = read_pod<std::uint32_t>(in, tag);
  std::string found(size == tag.size() ? size : 0, '\0');
  if (size == tag.size()) in.read(found.data(), static_cast<std::streamsize>(size));
  if (!in || found != tag) {
    throw DataError(SourceLocation{}, tag +
                                          ": the saved state is not in this part's format "
                                          "(written by another version or damaged)");
  }
}

// A saved policy's fixed first bytes (a magic word or tag written with out.write): throws
// DataError(message) when the stream does not start with them.
inline void expect_magic(std::istream& in, const char* magic, std::size_t size,
                         const std::string& message) {
  std::string found(size, '\0');
  in.read(found.data(), static_cast<std::streamsize>(size));
  if (!in || found != std::string(magic, size)) throw DataError(SourceLocation{}, message);
}

// Reads the format version write_pod<std::int32_t> wrote; a DataError naming `what` when it is
// not `expected` (a state written by another version of the plugin).
inline void expect_version(std::istream& in, std::int32_t expected, const std::string& what) {
  const auto version = read_pod<std::int32_t>(in, what);
  if (version != expected) {
    throw DataError(SourceLocation{}, what + ": saved state version " + std::to_string(version) +
                                          ", this plugin reads " + std::to_string(expected));
  }
}

}  // namespace recrl::toolkit
