#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "recrl/core/export.hpp"
#include "recrl/store/decision_log.hpp"

namespace recrl::serve {

// The decision log behind the server: request threads hand it decisions and rewards and wait
// until they are committed. Whatever gathers while one commit is under way goes into the next,
// in one transaction (group commit), so that a commit's cost is shared by the requests that
// waited for it. A request is answered only after its write committed: a decision the server
// acknowledged is in the log, whatever happens to the process afterwards.
class RECRL_API DecisionJournal {
 public:
  explicit DecisionJournal(store::DecisionLog log);
  DecisionJournal(const DecisionJournal&) = delete;
  DecisionJournal& operator=(const DecisionJournal&) = delete;
  ~DecisionJournal();  // close()

  // Logs `d`; false when its event id was logged before, and then `d` is the logged decision.
  // Throws StoreError when the write failed (nothing of it was logged).
  bool log_decision(store::LoggedDecision& d);
  // The same for several, committed together.
  void log_decisions(std::span<store::LoggedDecision> ds, std::span<char> is_new);
  store::RewardOutcome log_reward(const store::LoggedReward& r);
  store::ActivationOutcome activate(const std::string& event_id, std::int64_t now_ms);
  // Runs `work` on the log between commits (a model version, a lookup).
  void on_writer(const std::function<void(store::DecisionLog&)>& work);
  // Waits for what was submitted to commit; later calls throw.
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
    const store::LoggedReward* reward = nullptr;
    const std::string* event_id = nullptr;
    std::int64_t now_ms = 0;
    const std::function<void(store::DecisionLog&)>* work = nullptr;
    bool is_new = false;
    store::RewardOutcome reward_outcome{};
    store::ActivationOutcome activation_outcome{};
    bool done = false;
    bool lead = false;  // woken to lead the next commit
    Wakeup wake;
    std::exception_ptr error;
  };
  void submit(std::span<Entry> entries);
  // Commits everything pending; called with the lock held and `writing_` set.
  void lead(std::unique_lock<std::mutex>& lock);
  void write(std::vector<Entry*>& batch);

  store::DecisionLog log_;
  store::DecisionLogSchema schema_;
  std::mutex mutex_;
  std::condition_variable idle_;  // no commit under way, nothing pending
  std::vector<Entry*> pending_;
  bool writing_ = false;  // a thread is committing `batch_`
  bool closing_ = false;
  // The committing thread's, reused batch after batch.
  std::vector<Entry*> batch_;
  std::vector<store::LoggedDecision> decisions_;
  std::vector<char> is_new_;
  std::vector<store::LoggedReward> rewards_;
  std::vector<store::RewardOutcome> reward_outcomes_;
};

}  // namespace recrl::serve
