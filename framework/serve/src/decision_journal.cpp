#include "recrl/serve/decision_journal.hpp"

#include <algorithm>

#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "recrl/store/store_error.hpp"

namespace recrl::serve {

void DecisionJournal::Wakeup::wait() {
  while (signalled_.exchange(0, std::memory_order_acquire) == 0)
    ::syscall(SYS_futex, &signalled_, FUTEX_WAIT_PRIVATE, 0, nullptr, nullptr, 0);
}

void DecisionJournal::Wakeup::post() {
  signalled_.store(1, std::memory_order_release);
  ::syscall(SYS_futex, &signalled_, FUTEX_WAKE_PRIVATE, 1, nullptr, nullptr, 0);
}

DecisionJournal::DecisionJournal(store::DecisionLog log)
    : log_(std::move(log)), schema_(log_.schema()) {}

DecisionJournal::~DecisionJournal() { close(); }

void DecisionJournal::close() {
  std::unique_lock lock(mutex_);
  closing_ = true;
  // Whatever was submitted before is written by the thread leading its commit.
  idle_.wait(lock, [&] { return !writing_ && pending_.empty(); });
}

// The first thread to find no commit under way leads one of everything pending (its own entries
// and those of the threads that arrived meanwhile); the others sleep, each on its own entry,
// until their commit is done. Leading passes to the first waiting entry's thread, so that each
// waiting request is woken once. Under load a commit carries many requests; alone, a request
// commits its own at once, with no hand-over to another thread.
void DecisionJournal::submit(std::span<Entry> entries) {
  std::unique_lock lock(mutex_);
  if (closing_)
    throw store::StoreError("error: the decision log is closed: the server is stopping");
  for (Entry& e : entries) pending_.push_back(&e);
  if (!writing_) {
    writing_ = true;
    lead(lock);
  }
  for (Entry& e : entries) {
    while (!e.done) {
      lock.unlock();
      e.wake.wait();
      lock.lock();
      if (e.lead && !e.done) {
        e.lead = false;
        lead(lock);
      }
    }
  }
  lock.unlock();
  for (const Entry& e : entries)
    if (e.error) std::rethrow_exception(e.error);
}

void DecisionJournal::lead(std::unique_lock<std::mutex>& lock) {
  batch_.swap(pending_);

  lock.unlock();
  write(batch_);
  lock.lock();
  for (Entry* e : batch_) {
    e->done = true;
    e->wake.post();
  }
  batch_.clear();
  if (pending_.empty()) {
    writing_ = false;
    idle_.notify_all();
  } else {
    pending_.front()->lead = true;
    pending_.front()->wake.post();
  }
}

void DecisionJournal::log_decisions(std::span<store::LoggedDecision> ds, std::span<char> is_new) {
  std::vector<Entry> entries(ds.size());
  for (std::size_t i = 0; i < ds.size(); ++i) entries[i].decision = &ds[i];
  submit(entries);
  for (std::size_t i = 0; i < ds.size(); ++i) is_new[i] = entries[i].is_new ? 1 : 0;
}

bool DecisionJournal::log_decision(store::LoggedDecision& d) {
  Entry e;
  e.kind = Kind::Decision;
  e.decision = &d;
  submit({&e, 1});
  return e.is_new;
}

store::RewardOutcome DecisionJournal::log_reward(const store::LoggedReward& r) {
  Entry e;
  e.kind = Kind::Reward;
  e.reward = &r;
  submit({&e, 1});
  return e.reward_outcome;
}

store::ActivationOutcome DecisionJournal::activate(const std::string& event_id,
                                                   std::int64_t now_ms) {
  Entry e;
  e.kind = Kind::Activation;
  e.event_id = &event_id;
  e.now_ms = now_ms;
  submit({&e, 1});
  return e.activation_outcome;
}

void DecisionJournal::on_writer(const std::function<void(store::DecisionLog&)>& work) {
  Entry e;
  e.kind = Kind::Work;
  e.work = &work;
  submit({&e, 1});
}

void DecisionJournal::write(std::vector<Entry*>& batch) {
  // Decisions first, in one transaction, then rewards in another: a reward always follows the
  // decision it is for, which was acknowledged (so committed) before the client could send it.
  decisions_.clear();
  rewards_.clear();
  for (Entry* e : batch) {
    if (e->kind == Kind::Decision) decisions_.push_back(std::move(*e->decision));
    if (e->kind == Kind::Reward) rewards_.push_back(*e->reward);
  }
  const auto fail_all = [&](Kind kind, std::exception_ptr error) {
    for (Entry* e : batch)
      if (e->kind == kind) e->error = error;
  };
  if (!decisions_.empty()) {
    is_new_.assign(decisions_.size(), 0);
    try {
      log_.append(decisions_, is_new_);
    } catch (...) {
      fail_all(Kind::Decision, std::current_exception());
    }
    std::size_t i = 0;
    for (Entry* e : batch) {
      if (e->kind != Kind::Decision) continue;
      e->is_new = is_new_[i] != 0;
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
    for (Entry* e : batch)
      if (e->kind == Kind::Reward) e->reward_outcome = reward_outcomes_[i++];
  }
  for (Entry* e : batch) {
    try {
      if (e->kind == Kind::Activation)
        e->activation_outcome = log_.activate(*e->event_id, e->now_ms);
      if (e->kind == Kind::Work) (*e->work)(log_);
    } catch (...) {
      e->error = std::current_exception();
    }
  }
}

}  // namespace recrl::serve
