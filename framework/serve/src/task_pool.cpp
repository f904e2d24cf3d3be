#include "task_pool.hpp"

namespace recrl::serve::detail {

namespace {
thread_local bool t_shedding = false;
// Connections waiting for the shedding thread beyond this are shed on the accepting thread.
constexpr std::size_t kShedQueueLimit = 1024;

void run_shedding(const std::function<void()>& task) {
  t_shedding = true;
  task();
  t_shedding = false;
}
}  // namespace

bool shedding() { return t_shedding; }

BoundedPool::BoundedPool(std::size_t threads, std::size_t queue, std::function<void()> on_shed)
    : room_(threads + queue), on_shed_(std::move(on_shed)) {
  for (std::size_t i = 0; i < threads; ++i) workers_.emplace_back([this] { work(); });
  shedder_ = std::thread([this] { shed(); });
}

BoundedPool::~BoundedPool() { shutdown(); }

void BoundedPool::enqueue(std::function<void()> task) {
  std::unique_lock lock(mutex_);
  // Room for a connection: a thread not busy to take it, or a place in the queue. Busy threads
  // are counted rather than idle ones, so that a thread not yet started counts as free.
  if (queue_.size() + busy_ < room_) {
    queue_.push_back(std::move(task));
    lock.unlock();
    ready_.notify_one();
    return;
  }
  on_shed_();
  if (shed_queue_.size() < kShedQueueLimit) {
    shed_queue_.push_back(std::move(task));
    lock.unlock();
    shed_ready_.notify_one();
    return;
  }
  lock.unlock();
  run_shedding(task);
}

void BoundedPool::work() {
  for (;;) {
    std::function<void()> task;
    {
      std::unique_lock lock(mutex_);
      ready_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;
      task = std::move(queue_.front());
      queue_.pop_front();
      ++busy_;
    }
    task();
    std::lock_guard lock(mutex_);
    --busy_;
  }
}

void BoundedPool::shed() {
  for (;;) {
    std::function<void()> task;
    {
      std::unique_lock lock(mutex_);
      shed_ready_.wait(lock, [&] { return stopping_ || !shed_queue_.empty(); });
      if (shed_queue_.empty()) return;
      task = std::move(shed_queue_.front());
      shed_queue_.pop_front();
    }
    run_shedding(task);
  }
}

void BoundedPool::shutdown() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    stopping_ = true;
  }
  ready_.notify_all();
  shed_ready_.notify_all();
  // Workers finish the connections they hold and those still queued: nothing accepted is
  // dropped unanswered.
  for (auto& t : workers_) t.join();
  shedder_.join();
}

}  // namespace recrl::serve::detail
