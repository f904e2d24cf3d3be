#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "recrl/run/run_observer.hpp"
#include "recrl/store/records.hpp"
#include "recrl/store/run_result.hpp"

namespace recrl::cluster::detail {

// The messages between rank 0 and the other ranks (docs/cluster.md), one MPI tag each. A
// message is a byte string: its fields in order, numbers as their bytes (the ranks are one
// build on one kind of machine, so a double crosses bit for bit).
enum Tag : int {
  // rank N -> rank 0
  kHello = 1,   // u32 slots: ready, with that many runs at once
  kCannotRun,   // string why: its experiment or plugins did not load
  kProgress,    // u32 count, then per busy slot: u32 slot, i64 env steps, f64 latest eval
  kCurvePoint,  // u32 slot, CurvePoint
  kHeartbeat,   // u32 slot
  kCheckpoint,  // u32 slot, string path
  kFinished,    // u32 slot, RunResult
  kFailed,      // u32 slot, u8 interrupted, string message
  // rank 0 -> rank N
  kAssign,  // u32 slot, string run id, optional f64 oracle mean, u8 resume, optional path
  kStop,    // stop the runs (the experiment was interrupted)
  kPing,    // rank 0 is alive
  kDone,    // u8 finalize: no more runs, end (with MPI_Finalize unless a rank is gone)
};

// Appends fields to a message.
class Writer {
 public:
  Writer& u8(std::uint8_t v) { return raw(v); }
  Writer& u32(std::uint32_t v) { return raw(v); }
  Writer& i64(std::int64_t v) { return raw(v); }
  Writer& u64(std::uint64_t v) { return raw(v); }
  Writer& f64(double v) { return raw(v); }
  Writer& text(const std::string& v);
  Writer& optional_f64(const std::optional<double>& v);
  Writer& optional_path(const std::optional<std::filesystem::path>& v);
  Writer& curve_point(const store::CurvePoint& p);
  Writer& run_result(const RunResult& r);
  const std::string& bytes() const { return bytes_; }

 private:
  template <typename T>
  Writer& raw(T v) {
    bytes_.append(reinterpret_cast<const char*>(&v), sizeof v);
    return *this;
  }
  std::string bytes_;
};

// Reads a message's fields in the order they were written; a message that ends early or has
// bytes left over throws DataError (a rank of another recrl version).
class Reader {
 public:
  explicit Reader(const std::string& bytes) : bytes_(bytes) {}
  std::uint8_t u8() { return raw<std::uint8_t>(); }
  std::uint32_t u32() { return raw<std::uint32_t>(); }
  std::int64_t i64() { return raw<std::int64_t>(); }
  std::uint64_t u64() { return raw<std::uint64_t>(); }
  double f64() { return raw<double>(); }
  std::string text();
  std::optional<double> optional_f64();
  std::optional<std::filesystem::path> optional_path();
  store::CurvePoint curve_point();
  RunResult run_result();
  // Throws unless every byte was read.
  void end() const;

 private:
  template <typename T>
  T raw() {
    T v{};
    take(&v, sizeof v);
    return v;
  }
  void take(void* out, std::size_t size);
  // A count of items at least min_item_size bytes each, which the bytes left can hold.
  std::uint64_t count(std::size_t min_item_size);
  const std::string& bytes_;
  std::size_t at_ = 0;
};

}  // namespace recrl::cluster::detail
