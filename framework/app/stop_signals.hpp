#pragma once

#include <atomic>
#include <csignal>

namespace recrl::app {

// While it lives, SIGINT and SIGTERM only raise a flag (the signal's number), which the runner
// polls at each step batch: runs stop cleanly and are recorded as interrupted. A second signal
// ends the process at once (exit 128 + signal), as a user pressing Ctrl-C twice expects; its
// runs stay "running" with a dead pid, which --resume takes over. One at a time per process.
class StopSignals {
 public:
  StopSignals();
  ~StopSignals();
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;

  const std::atomic<int>& flag() const;

 private:
  struct sigaction previous_int_ {};
  struct sigaction previous_term_ {};
};

}  // namespace recrl::app
