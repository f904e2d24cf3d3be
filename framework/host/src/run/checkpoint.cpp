#include "recrl/run/checkpoint.hpp"

#include <cstring>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string_view>

#include <fmt/format.h>

#include "recrl/util/atomic_file.hpp"
#include "recrl/core/errors.hpp"
#include "recrl/toolkit/binary_io.hpp"
#include "recrl/util/read_file.hpp"
#include "recrl/util/text_hash.hpp"

namespace recrl {

namespace {

// The header, in the machine's byte order (checkpoints do not move between machines):
//   magic "RECRLCKP", u32 format version, u32 byte-order mark, u64 FNV-1a of the identity,
//   u64 payload length, u64 FNV-1a of the payload; then the payload.
constexpr char kMagic[8] = {'R', 'E', 'C', 'R', 'L', 'C', 'K', 'P'};
constexpr std::uint32_t kFormatVersion = 1;
// A checkpoint holds a replay buffer of up to millions of transitions; the limit only keeps a
// device or a runaway file from being read without end (docs/limits.md).
constexpr std::uint64_t kMaxCheckpointBytes = 64ull << 30;
constexpr std::uint32_t kByteOrderMark = 0x01020304u;
constexpr std::size_t kHeaderSize =
    sizeof kMagic + 2 * sizeof(std::uint32_t) + 3 * sizeof(std::uint64_t);
constexpr char kProgressTag[] = "recrl.run_progress.2";

void write_progress(std::ostream& out, const RunBookkeeping& p) {
  toolkit::write_tag(out, kProgressTag);
  toolkit::write_pod(out, p.next_eval);
  toolkit::write_pod(out, p.episodes_since);
  toolkit::write_pod(out, p.returns_since);
  toolkit::write_pod(out, p.metrics_bytes);
  toolkit::write_pod(out, p.elapsed_seconds);
  toolkit::write_pod(out, p.eval_seconds);
  toolkit::write_pod(out, p.phase_times.env_s);
  toolkit::write_pod(out, p.phase_times.act_s);
  toolkit::write_pod(out, p.phase_times.update_s);
  toolkit::write_pod(out, p.update_flops);
  toolkit::write_values(out, p.curve.data(), p.curve.size());
}

RunBookkeeping read_progress(std::istream& in, std::size_t payload_size) {
  toolkit::expect_tag(in, kProgressTag);
  RunBookkeeping p;
  p.next_eval = toolkit::read_pod<std::int64_t>(in, kProgressTag);
  p.episodes_since = toolkit::read_pod<std::int64_t>(in, kProgressTag);
  p.returns_since = toolkit::read_pod<double>(in, kProgressTag);
  p.metrics_bytes = toolkit::read_pod<std::uint64_t>(in, kProgressTag);
  p.elapsed_seconds = toolkit::read_pod<double>(in, kProgressTag);
  p.eval_seconds = toolkit::read_pod<double>(in, kProgressTag);
  p.phase_times.env_s = toolkit::read_pod<double>(in, kProgressTag);
  p.phase_times.act_s = toolkit::read_pod<double>(in, kProgressTag);
  p.phase_times.update_s = toolkit::read_pod<double>(in, kProgressTag);
  p.update_flops = toolkit::read_pod<double>(in, kProgressTag);
  const auto curve_size = toolkit::read_pod<std::uint64_t>(in, kProgressTag);
  if (curve_size > payload_size) {
    throw DataError(SourceLocation{}, std::string(kProgressTag) + ": damaged curve length");
  }
  p.curve.resize(curve_size);
  in.read(p.curve.data(), static_cast<std::streamsize>(curve_size));
  if (!in) throw DataError(SourceLocation{}, std::string(kProgressTag) + ": ends early");
  return p;
}

template <typename T>
T header_field(const std::string& bytes, std::size_t offset) {
  T value{};
  std::memcpy(&value, bytes.data() + offset, sizeof(T));
  return value;
}

// DataError's message without its own "error: " prefix, to be placed after the file's name.
std::string reason_of(const DataError& e) {
  const std::string_view what = e.what();
  constexpr std::string_view prefix = "error: ";
  return std::string(what.starts_with(prefix) ? what.substr(prefix.size()) : what);
}

}  // namespace

void write_checkpoint(const std::filesystem::path& file, const std::string& identity,
                      const TrainingLoop& loop, const RunBookkeeping& progress) {
  std::ostringstream payload_stream;
  write_progress(payload_stream, progress);
  loop.save_state(payload_stream);
  const std::string payload = payload_stream.str();

  std::ostringstream out;
  out.write(kMagic, sizeof kMagic);
  toolkit::write_pod(out, kFormatVersion);
  toolkit::write_pod(out, kByteOrderMark);
  toolkit::write_pod<std::uint64_t>(out, util::text_hash(identity));
  toolkit::write_pod<std::uint64_t>(out, payload.size());
  toolkit::write_pod<std::uint64_t>(out, util::text_hash(payload));
  out.write(payload.data(), static_cast<std::streamsize>(payload.size()));
  util::write_file_atomically(file, out.str());
}

RunBookkeeping read_checkpoint(const std::filesystem::path& file, const std::string& identity,
                               TrainingLoop& loop) {
  const SourceLocation where{file.string()};
  const std::string bytes = util::read_file(file, "the checkpoint", kMaxCheckpointBytes);

  if (bytes.size() < sizeof kMagic || std::memcmp(bytes.data(), kMagic, sizeof kMagic) != 0) {
    throw DataError(where, "not a recrl checkpoint (it does not start with RECRLCKP)");
  }
  if (bytes.size() < kHeaderSize) throw DataError(where, "checkpoint truncated in its header");
  std::size_t at = sizeof kMagic;
  const auto version = header_field<std::uint32_t>(bytes, at);
  const auto byte_order = header_field<std::uint32_t>(bytes, at += sizeof(std::uint32_t));
  const auto identity_hash = header_field<std::uint64_t>(bytes, at += sizeof(std::uint32_t));
  const auto payload_size = header_field<std::uint64_t>(bytes, at += sizeof(std::uint64_t));
  const auto payload_hash = header_field<std::uint64_t>(bytes, at += sizeof(std::uint64_t));
  if (version != kFormatVersion) {
    throw DataError(where, fmt::format("checkpoint format version {}, this recrl reads version {}",
                                       version, kFormatVersion));
  }
  if (byte_order != kByteOrderMark) {
    throw DataError(where, "checkpoint written on a machine of another byte order");
  }
  if (identity_hash != util::text_hash(identity)) {
    throw DataError(where,
                    "checkpoint of another run or configuration (algorithm, parameters, "
                    "environment, reward or seed differ); delete it to start this run afresh");
  }
  const std::size_t available = bytes.size() - kHeaderSize;
  if (payload_size != available) {
    throw DataError(where, fmt::format("checkpoint truncated or extended: {} bytes of state "
                                       "where the header says {}",
                                       available, payload_size));
  }
  const std::string_view payload(bytes.data() + kHeaderSize, available);
  if (util::text_hash(payload) != payload_hash) {
    throw DataError(where, "checkpoint damaged (its checksum does not match its contents)");
  }

  std::istringstream state{std::string(payload)};
  try {
    RunBookkeeping progress = read_progress(state, available);
    loop.load_state(state);
    if (state.peek() != std::char_traits<char>::eof()) {
      throw DataError(SourceLocation{}, "unread bytes after the training state");
    }
    return progress;
  } catch (const DataError& e) {
    throw DataError(where, "checkpoint does not fit this run: " + reason_of(e));
  }
}

}  // namespace recrl
