#include "process_identity.hpp"

#include <cerrno>
#include <chrono>

#include <signal.h>
#include <unistd.h>

namespace recrl::store::detail {

ProcessIdentity ProcessIdentity::current() {
  char name[256] = {};
  if (gethostname(name, sizeof name - 1) != 0) name[0] = '\0';
  return {name[0] != '\0' ? std::string(name) : std::string("localhost"),
          static_cast<std::int64_t>(getpid())};
}

bool process_alive(std::int64_t pid) {
  if (pid <= 0) return false;
  // Signal 0 checks existence only; EPERM means it exists but belongs to another user.
  return kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM;
}

Timestamp now() {
  using namespace std::chrono;
  return duration<double>(system_clock::now().time_since_epoch()).count();
}

}  // namespace recrl::store::detail
