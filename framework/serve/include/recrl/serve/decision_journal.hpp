#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "recrl/core/export.hpp"
#include "recrl/store/decision_log.hpp"

namespace recrl::serve {

// The decision log behind the server: its own thread commits whatever requests handed it since
// its last commit, in one transaction (group commit), so that a commit's cost is shared by the
// requests that arrived meanwhile; a request is answered only once its write committed, so a
// decision the server acknowledged is in the log, whatever happens to the process afterwards.
// A write is either asynchronous (a callback on the writer thread once committed: the request's
// thread goes on serving others meanwhile) or waited for.
class RECRL_API DecisionJournal {
 public:
  explicit DecisionJournal(store::DecisionLog log);
  DecisionJournal(const DecisionJournal&) = delete;
  DecisionJournal& operator=(const DecisionJournal&) = delete;
  ~DecisionJournal();  // close()

  // What a write came to.
  struct Outcome {
    bool is_new = false;  // a decision: its event id was not logged before
    store::RewardOutcome reward{};
    store::ActivationOutcome activation{};
    std::exception_ptr error;  // a StoreError: nothing of the write was logged
  };
  using Done = std::function<void(const Outcome&)>;

  // Logs `d` and calls `done` on the writer thread once committed; `d` must live until then,
  // when it is the logged decision (an earlier one where its event id was logged before).
  // Throws StoreError, without calling `done`, once the journal is closed.
  void log_decision(store::LoggedDecision& d, Done done);
  void log_reward(const store::LoggedReward& r, Done done);
  void activate(const std::string& event_id, std::int64_t now_ms, Done done);

  // Several decisions, committed together, waited for: is_new[i] is 0 where ds[i]'s event id was
  // logged before, and then ds[i] is the logged decision. Throws StoreError when the write
  // failed (nothing of it was logged).
  void log_decisions(std::span<store::LoggedDecision> ds, std::span<char> is_new);
  // Runs `work` on the log between commits (a model version, a lookup), waited for.
  void on_writer(const std::function<void(store::DecisionLog&)>& work);
  // Commits what was handed in before and stops the writer; later writes throw.
  void close();
  const store::DecisionLogSchema& schema() const { return schema_; }

 private:
  // One thread's sleep until another's signal, straight on a futex: std::binary_semaphore spins
  // through sched_yield before it sleeps, a context switch per waiting request on a loaded
  // machine (bench/README.md).
  class Wakeup {
   public:
    void wait();
    void post();

   private:
    std::atomic<std::uint32_t> signalled_{0};
  };
  enum class Kind { Decision, Reward, Activation, Work };
  struct Entry {
    Kind kind = Kind::Decision;
    store::LoggedDecision* decision = nullptr;
    store::LoggedReward reward;
    std::string event_id;
    std::int64_t now_ms = 0;
    const std::function<void(store::DecisionLog&)>* work = nullptr;
    Outcome outcome;
    Done done;
  };
  // Hands `entries` to the writer, in order, in one commit.
  void submit(std::span<std::unique_ptr<Entry>> entries);
  void submit(std::unique_ptr<Entry> entry);
  // An entry for a write, one the writer is done with when there is one (its strings keep their
  // memory), so that a served request's write allocates nothing.
  std::unique_ptr<Entry> entry(Kind kind, Done done);
  void run_writer();
  void write(std::vector<std::unique_ptr<Entry>>& batch);

  store::DecisionLog log_;
  store::DecisionLogSchema schema_;
  std::mutex mutex_;
  std::condition_variable work_;  // something pending, or closing
  std::vector<std::unique_ptr<Entry>> pending_;
  std::vector<std::unique_ptr<Entry>> spare_;  // written entries, for entry() to reuse
  bool writer_waiting_ = false;
  bool closing_ = false;
  // The writer's, reused batch after batch.
  std::vector<std::unique_ptr<Entry>> batch_;
  std::vector<store::LoggedDecision> decisions_;
  std::vector<char> is_new_;
  std::vector<store::LoggedReward> rewards_;
  std::vector<store::RewardOutcome> reward_outcomes_;
  std::thread writer_;  // last: it starts once everything above is made
};

}  // namespace recrl::serve
