#include "recrl/serve/decision_journal.hpp"

#include <algorithm>

#include <linux/futex.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "recrl/store/store_error.hpp"

namespace recrl::serve {

namespace {

// Written entries kept for reuse: more than the connections that can wait on a commit at once.
constexpr std::size_t kSpareEntries = 1024;

}  // namespace

void DecisionJournal::Wakeup::wait() {
  while (signalled_.exchange(0, std::memory_order_acquire) == 0)
    ::syscall(SYS_futex, &signalled_, FUTEX_WAIT_PRIVATE, 0, nullptr, nullptr, 0);
}

void DecisionJournal::Wakeup::post() {
  signalled_.store(1, std::memory_order_release);
  ::syscall(SYS_futex, &signalled_, FUTEX_WAKE_PRIVATE, 1, nullptr, nullptr, 0);
}

DecisionJournal::DecisionJournal(store::DecisionLog log)
    : log_(std::move(log)), schema_(log_.schema()), writer_([this] { run_writer(); }) {}

DecisionJournal::~DecisionJournal() { close(); }

void DecisionJournal::close() {
  {
    std::lock_guard lock(mutex_);
    closing_ = true;
  }
  work_.notify_one();
  if (writer_.joinable()) writer_.join();
}

void DecisionJournal::submit(std::span<std::unique_ptr<Entry>> entries) {
  bool wake = false;
  {
    std::lock_guard lock(mutex_);
    if (closing_)
      throw store::StoreError("error: the decision log is closed: the server is stopping");
    for (auto& e : entries) pending_.push_back(std::move(e));
    wake = writer_waiting_;
  }
  if (wake) work_.notify_one();
}

void DecisionJournal::submit(std::unique_ptr<Entry> entry) { submit({&entry, 1}); }

// The writer commits everything pending at once, then calls each write's callback in the order
// the writes came; what arrives meanwhile waits for the next commit.
void DecisionJournal::run_writer() {
  ::pthread_setname_np(::pthread_self(), "recrl-log");  // top -H, perf
  std::unique_lock lock(mutex_);
  for (;;) {
    writer_waiting_ = true;
    work_.wait(lock, [&] { return !pending_.empty() || closing_; });
    writer_waiting_ = false;
    if (pending_.empty()) return;  // closing, and everything handed in is written
    batch_.swap(pending_);
    lock.unlock();
    write(batch_);
    for (auto& e : batch_) {
      try {
        e->done(e->outcome);
      } catch (...) {
        // A callback that throws loses its own answer, not the writer.
      }
      e->done = nullptr;
      e->outcome = Outcome{};
    }
    lock.lock();
    // Kept for reuse, up to a bound: a burst of writes does not hold its memory for good.
    for (auto& e : batch_)
      if (spare_.size() < kSpareEntries) spare_.push_back(std::move(e));
    batch_.clear();
  }
}

std::unique_ptr<DecisionJournal::Entry> DecisionJournal::entry(Kind kind, Done done) {
  std::unique_ptr<Entry> e;
  {
    std::lock_guard lock(mutex_);
    if (!spare_.empty()) {
      e = std::move(spare_.back());
      spare_.pop_back();
    }
  }
  if (!e) e = std::make_unique<Entry>();
  e->kind = kind;
  e->decision = nullptr;
  e->work = nullptr;
  e->done = std::move(done);
  return e;
}

void DecisionJournal::log_decision(store::LoggedDecision& d, Done done) {
  auto e = entry(Kind::Decision, std::move(done));
  e->decision = &d;
  submit(std::move(e));
}

void DecisionJournal::log_reward(const store::LoggedReward& r, Done done) {
  auto e = entry(Kind::Reward, std::move(done));
  e->reward = r;
  submit(std::move(e));
}

void DecisionJournal::activate(const std::string& event_id, std::int64_t now_ms, Done done) {
  auto e = entry(Kind::Activation, std::move(done));
  e->event_id = event_id;
  e->now_ms = now_ms;
  submit(std::move(e));
}

void DecisionJournal::log_decisions(std::span<store::LoggedDecision> ds, std::span<char> is_new) {
  if (ds.empty()) return;
  // One submission, so one commit; the callbacks run in order, so the last one's wakes the
  // caller when every outcome is in.
  std::vector<std::unique_ptr<Entry>> entries;
  std::exception_ptr error;
  Wakeup committed;
  for (std::size_t i = 0; i < ds.size(); ++i) {
    entries.push_back(entry(Kind::Decision, [&, i, last = i + 1 == ds.size()](const Outcome& o) {
      is_new[i] = o.is_new ? 1 : 0;
      if (o.error) error = o.error;
      if (last) committed.post();
    }));
    entries.back()->decision = &ds[i];
  }
  submit(entries);
  committed.wait();
  if (error) std::rethrow_exception(error);
}

void DecisionJournal::on_writer(const std::function<void(store::DecisionLog&)>& work) {
  std::exception_ptr error;
  Wakeup done;
  auto e = entry(Kind::Work, [&](const Outcome& o) {
    error = o.error;
    done.post();
  });
  e->work = &work;
  submit(std::move(e));
  done.wait();
  if (error) std::rethrow_exception(error);
}

void DecisionJournal::write(std::vector<std::unique_ptr<Entry>>& batch) {
  // Decisions first, in one transaction, then rewards in another: a reward always follows the
  // decision it is for, which was acknowledged (so committed) before the client could send it.
  decisions_.clear();
  rewards_.clear();
  for (auto& e : batch) {
    if (e->kind == Kind::Decision) decisions_.push_back(std::move(*e->decision));
    if (e->kind == Kind::Reward) rewards_.push_back(e->reward);
  }
  const auto fail_all = [&](Kind kind, std::exception_ptr error) {
    for (auto& e : batch)
      if (e->kind == kind) e->outcome.error = error;
  };
  if (!decisions_.empty()) {
    is_new_.assign(decisions_.size(), 0);
    try {
      log_.append(decisions_, is_new_);
    } catch (...) {
      fail_all(Kind::Decision, std::current_exception());
    }
    std::size_t i = 0;
    for (auto& e : batch) {
      if (e->kind != Kind::Decision) continue;
      e->outcome.is_new = is_new_[i] != 0;
      *e->decision = std::move(decisions_[i]);
      ++i;
    }
  }
  if (!rewards_.empty()) {
    reward_outcomes_.resize(rewards_.size());
    try {
      log_.add_rewards(rewards_, reward_outcomes_);
    } catch (...) {
      fail_all(Kind::Reward, std::current_exception());
    }
    std::size_t i = 0;
    for (auto& e : batch)
      if (e->kind == Kind::Reward) e->outcome.reward = reward_outcomes_[i++];
  }
  for (auto& e : batch) {
    try {
      if (e->kind == Kind::Activation)
        e->outcome.activation = log_.activate(e->event_id, e->now_ms);
      if (e->kind == Kind::Work) (*e->work)(log_);
    } catch (...) {
      e->outcome.error = std::current_exception();
    }
  }
}

}  // namespace recrl::serve
