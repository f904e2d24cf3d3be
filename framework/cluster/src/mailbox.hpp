#pragma once

#include <optional>
#include <string>

namespace recrl::cluster::detail {

// A message received: who sent it, its tag (messages.hpp) and its bytes.
struct Envelope {
  int source = 0;
  int tag = 0;
  std::string bytes;
};

// Sends `bytes` to `rank` under `tag`. Messages are small (a run's result at most), so MPI sends
// them eagerly: this returns without waiting for the receiver, even a dead one.
void send(int rank, int tag, const std::string& bytes);

// The next message that has arrived from anyone, without waiting; none if none has.
std::optional<Envelope> poll();

}  // namespace recrl::cluster::detail
