#pragma once

#include <chrono>
#include <string>

#include <fmt/format.h>

namespace recrl::cluster::detail {

// Every rank says something at least this often while it lives (progress, or rank 0's ping),
// so that silence for MpiSettings::rank_timeout means it is gone.
inline constexpr std::chrono::milliseconds kSpeakEvery{500};
// How long a rank with nothing to send or receive sleeps before looking again: MPI's own
// blocking calls would spin and take a core from training.
inline constexpr std::chrono::milliseconds kIdleNap{1};

inline std::string seconds_text(std::chrono::milliseconds d) {
  return fmt::format("{:g}", static_cast<double>(d.count()) / 1000.0);
}

}  // namespace recrl::cluster::detail
