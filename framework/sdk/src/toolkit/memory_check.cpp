#include "recrl/toolkit/memory_check.hpp"

#include <unistd.h>

#include <fmt/format.h>

namespace recrl::toolkit {

std::uint64_t physical_memory_bytes() {
  const long pages = ::sysconf(_SC_PHYS_PAGES);
  const long page_size = ::sysconf(_SC_PAGESIZE);
  if (pages <= 0 || page_size <= 0) return 0;
  return static_cast<std::uint64_t>(pages) * static_cast<std::uint64_t>(page_size);
}

void require_memory(const Params& params, const std::string& name, double bytes,
                    const std::string& what) {
  const double available = static_cast<double>(physical_memory_bytes());
  if (available <= 0 || bytes <= available) return;
  constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;
  throw params.error(name, fmt::format("{} would need {:.1f} GiB, more than this machine's {:.1f} "
                                       "GiB of memory; make it smaller",
                                       what, bytes / kGiB, available / kGiB));
}

}  // namespace recrl::toolkit
