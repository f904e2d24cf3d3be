#pragma once

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

}  // namespace recrl::toolkit
