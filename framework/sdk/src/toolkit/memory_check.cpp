#include "recrl/toolkit/memory_check.hpp"

#include <unistd.h>

#include <cctype>
#include <charconv>
#include <cstdlib>
#include <fstream>
#include <string_view>

#include <fmt/format.h>

#include "recrl/core/errors.hpp"

namespace recrl::toolkit {
namespace {

constexpr const char* kLimitVariable = "RECRL_MEMORY_LIMIT";

// The smallest memory.max on the way from this process's cgroup (v2) up to the root; 0 when
// there is none ("max" everywhere, cgroup v1, or no /sys/fs/cgroup).
std::uint64_t cgroup_memory_max() {
  std::ifstream membership("/proc/self/cgroup");
  std::string line;
  std::string path;
  while (std::getline(membership, line)) {
    if (line.rfind("0::", 0) == 0) path = line.substr(3);
  }
  if (path.empty() || path.front() != '/') return 0;
  std::uint64_t smallest = 0;
  while (true) {
    std::ifstream file("/sys/fs/cgroup" + (path == "/" ? std::string() : path) + "/memory.max");
    std::uint64_t value = 0;
    if (file >> value && value > 0 && (smallest == 0 || value < smallest)) smallest = value;
    if (path == "/") break;
    path = path.substr(0, path.find_last_of('/'));
    if (path.empty()) path = "/";
  }
  return smallest;
}

[[noreturn]] void bad_size(std::string_view text) {
  throw ConfigError(fmt::format(
      "{}: expected a size such as 8G, 512M or a number of bytes, got '{}'", kLimitVariable, text));
}

// "8G", "512M", "64k", "1073741824": K, M, G and T are powers of 1024, as ulimit and systemd
// read them.
std::uint64_t parse_size(std::string_view text) {
  std::uint64_t number = 0;
  const char* const last = text.data() + text.size();
  const auto [end, error] = std::from_chars(text.data(), last, number);
  if (error != std::errc() || number == 0 || last - end > 1) bad_size(text);
  int shift = 0;
  if (end != last) {
    constexpr std::string_view kUnits = "KMGT";
    const auto unit =
        kUnits.find(static_cast<char>(std::toupper(static_cast<unsigned char>(*end))));
    if (unit == std::string_view::npos) bad_size(text);
    shift = 10 * static_cast<int>(unit + 1);
  }
  if (number > (UINT64_MAX >> shift)) bad_size(text);
  return number << shift;
}

// "23.5 GiB", "92 MiB".
std::string readable_size(double bytes) {
  constexpr double kMiB = 1024.0 * 1024.0;
  if (bytes >= 1024 * kMiB) return fmt::format("{:.1f} GiB", bytes / (1024 * kMiB));
  return fmt::format("{:.0f} MiB", bytes / kMiB);
}

}  // namespace

std::uint64_t physical_memory_bytes() {
  const long pages = ::sysconf(_SC_PHYS_PAGES);
  const long page_size = ::sysconf(_SC_PAGESIZE);
  if (pages <= 0 || page_size <= 0) return 0;
  return static_cast<std::uint64_t>(pages) * static_cast<std::uint64_t>(page_size);
}

MemoryLimit memory_limit() {
  MemoryLimit limit{physical_memory_bytes(), "this machine's memory"};
  const auto lower = [&](std::uint64_t bytes, const char* source) {
    if (bytes > 0 && (limit.bytes == 0 || bytes < limit.bytes)) limit = {bytes, source};
  };
  lower(cgroup_memory_max(), "the memory.max of this process's cgroup");
  if (const char* variable = std::getenv(kLimitVariable)) {
    lower(parse_size(variable), kLimitVariable);
  }
  return limit;
}

void require_memory(const Params& params, const std::string& name, double bytes,
                    const std::string& what) {
  const MemoryLimit limit = memory_limit();
  const double available = static_cast<double>(limit.bytes);
  if (available <= 0 || bytes <= available) return;
  throw params.error(name,
                     fmt::format("{} would need {}, more than the {} of {}; make it smaller", what,
                                 readable_size(bytes), readable_size(available), limit.source));
}

NetworkFootprint mlp_footprint(std::int64_t input, const std::vector<int>& hidden,
                               std::int64_t output, std::int64_t batch, int copies) {
  double parameters = 0;
  double units = static_cast<double>(input) + static_cast<double>(output);
  double in = static_cast<double>(input);
  for (const int width : hidden) {
    parameters += (in + 1) * width;
    units += width;
    in = width;
  }
  parameters += (in + 1) * static_cast<double>(output);
  return {parameters, 4.0 * copies * parameters, 4.0 * 2 * units * static_cast<double>(batch)};
}

void require_network_memory(const Params& params, const NetworkFootprint& networks,
                            std::int64_t batch, const std::string& batch_param) {
  require_memory(params,
                 networks.batch_bytes > networks.parameter_bytes ? batch_param : "policy_kwargs",
                 networks.parameter_bytes + networks.batch_bytes,
                 fmt::format("networks of {:.3g} parameters, in batches of {} samples,",
                             networks.parameters, batch));
}

}  // namespace recrl::toolkit
