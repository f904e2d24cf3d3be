#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include <httplib.h>

namespace recrl::serve::detail {

// True on the thread answering a connection the pool had no room for: the server answers its
// request with 503 and closes it.
bool shedding();

// The server's connections: `threads` served at once, up to `queue` waiting for a thread. A
// connection beyond that is handed to one shedding thread that answers 503 (Retry-After) at
// once, so that overload costs a short answer, not an ever longer wait or unbounded memory.
class BoundedPool : public httplib::TaskQueue {
 public:
  BoundedPool(std::size_t threads, std::size_t queue, std::function<void()> on_shed);
  ~BoundedPool() override;
  void enqueue(std::function<void()> task) override;
  void shutdown() override;

 private:
  void work();
  void shed();

  std::size_t room_;      // threads + queue: connections held at once
  std::size_t busy_ = 0;  // threads serving a connection
  std::function<void()> on_shed_;
  std::mutex mutex_;
  std::condition_variable ready_, shed_ready_;
  std::deque<std::function<void()>> queue_, shed_queue_;
  bool stopping_ = false;
  std::vector<std::thread> workers_;
  std::thread shedder_;
};

}  // namespace recrl::serve::detail
