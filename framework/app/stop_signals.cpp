#include "stop_signals.hpp"

#include <unistd.h>

namespace recrl::app {

namespace {

// A lock-free atomic is what a signal handler may touch.
std::atomic<int> stop_flag{0};
static_assert(std::atomic<int>::is_always_lock_free);

extern "C" void on_stop_signal(int signal) {
  if (stop_flag.exchange(signal) == 0) return;
  constexpr char kMessage[] = "recrl: stopped at once\n";
  [[maybe_unused]] const auto written = write(STDERR_FILENO, kMessage, sizeof kMessage - 1);
  _exit(128 + signal);
}

}  // namespace

StopSignals::StopSignals() {
  stop_flag = 0;
  struct sigaction action {};
  action.sa_handler = on_stop_signal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, &previous_int_);
  sigaction(SIGTERM, &action, &previous_term_);
}

StopSignals::~StopSignals() {
  sigaction(SIGINT, &previous_int_, nullptr);
  sigaction(SIGTERM, &previous_term_, nullptr);
}

const std::atomic<int>& StopSignals::flag() const { return stop_flag; }

}  // namespace recrl::app
