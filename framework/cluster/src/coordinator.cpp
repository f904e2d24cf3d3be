// Rank 0 of recrl run --mpi: hands runs to the ranks' free slots and brings their events back.
#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <thread>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "mailbox.hpp"
#include "messages.hpp"
#include "recrl/cluster/mpi_runs.hpp"
#include "speaking.hpp"

namespace recrl::cluster {

namespace {

using namespace detail;
using Clock = std::chrono::steady_clock;

// A run given to another rank, until it comes back.
struct Pending {
  const PlannedRun* run = nullptr;
  RunObserver* events = nullptr;
  RunProgress* progress = nullptr;
  enum class Outcome { running, finished, failed, interrupted, lost } outcome = Outcome::running;
  std::optional<RunResult> result;
  std::string message;  // why it failed or was lost
};

// A place for one run at a time: rank 0's own (trained here) or another rank's.
struct Slot {
  int rank = 0;
  std::uint32_t index = 0;
  bool busy = false;
  Pending* pending = nullptr;  // another rank's run in it
};

struct Rank {
  bool alive = true;
  Clock::time_point heard = Clock::now();
};

}  // namespace

struct MpiTrainer::State {
  State(MpiWorld& w, RunTrainer& l, MpiSettings s, const std::atomic<int>* f)
      : world(w), local(l), settings(s), stop(f) {}

  MpiWorld& world;
  RunTrainer& local;
  MpiSettings settings;
  const std::atomic<int>* stop;
  std::mutex mutex;
  std::condition_variable changed;  // a slot freed, a run came back, a rank died
  std::vector<Slot> slots;
  std::vector<Rank> ranks;
  std::vector<std::tuple<int, int, std::string>> outbox;  // rank, tag, bytes
  bool ending = false;
  bool stop_sent = false;
  std::thread postman;

  // --- under the mutex ---

  Slot* free_slot() {
    for (Slot& s : slots)
      if (!s.busy && ranks[s.rank].alive) return &s;
    return nullptr;
  }

  bool any_live_slot() const {
    for (const Slot& s : slots)
      if (ranks[s.rank].alive) return true;
    return false;
  }

  Pending* pending(int rank, std::uint32_t index) {
    for (Slot& s : slots)
      if (s.rank == rank && s.index == index) return s.pending;
    return nullptr;
  }

  void give_up(int rank, const std::string& why) {
    if (!ranks[rank].alive) return;
    ranks[rank].alive = false;
    world.forgo_finalize();
    spdlog::error("{}; its runs are recorded failed, the others go on", why);
    for (Slot& s : slots) {
      if (s.rank != rank || s.pending == nullptr) continue;
      s.pending->outcome = Pending::Outcome::lost;
      s.pending->message = why;
    }
    changed.notify_all();
  }

  // --- the postman's thread: the only one calling MPI while the trainer lives ---

  void deliver() {
    auto pinged = Clock::now();
    for (;;) {
      std::vector<std::tuple<int, int, std::string>> out;
      bool end = false;
      {
        std::lock_guard lock(mutex);
        out.swap(outbox);
        end = ending;
        if (stop != nullptr && *stop != 0 && !stop_sent) {
          stop_sent = true;
          for (std::size_t r = 1; r < ranks.size(); ++r)
            if (ranks[r].alive) out.emplace_back(static_cast<int>(r), kStop, std::string());
        }
      }
      for (const auto& [rank, tag, bytes] : out) send(rank, tag, bytes);
      if (end) return;
      bool worked = !out.empty();
      while (auto e = poll()) {
        worked = true;
        receive(*e);
      }
      if (const auto now = Clock::now(); now - pinged >= kSpeakEvery) {
        pinged = now;
        std::lock_guard lock(mutex);
        for (std::size_t r = 1; r < ranks.size(); ++r) {
          if (!ranks[r].alive) continue;
          send(static_cast<int>(r), kPing, {});
          if (now - ranks[r].heard > settings.rank_timeout) {
            give_up(static_cast<int>(r),
                    fmt::format("rank {} has been silent for {} s (it died, or its host did)", r,
                                seconds_text(settings.rank_timeout)));
          }
        }
      }
      if (!worked) std::this_thread::sleep_for(kIdleNap);
    }
  }

  void receive(const Envelope& e) {
    std::unique_lock lock(mutex);
    if (e.source <= 0 || static_cast<std::size_t>(e.source) >= ranks.size()) return;
    Rank& from = ranks[e.source];
    if (!from.alive) return;  // given up for dead: its runs are failed already
    from.heard = Clock::now();
    try {
      Reader in(e.bytes);
      if (e.tag == kProgress) {
        for (std::uint32_t n = in.u32(); n > 0; --n) {
          Pending* p = pending(e.source, in.u32());
          const std::int64_t steps = in.i64();
          const double eval = in.f64();
          if (p == nullptr) continue;
          p->progress->env_steps.store(steps, std::memory_order_relaxed);
          p->progress->latest_eval_mean.store(eval, std::memory_order_relaxed);
        }
        in.end();
        return;
      }
      if (e.tag == kHello || e.tag == kCannotRun) return;  // after the wait for hellos: too late
      Pending* p = pending(e.source, in.u32());
      if (p == nullptr) return;
      // Only this thread completes a pending run, so it stays while the observers are told.
      if (e.tag == kFinished || e.tag == kFailed) {
        if (e.tag == kFinished) {
          p->result = in.run_result();
          p->outcome = Pending::Outcome::finished;
        } else {
          const bool interrupted = in.u8() != 0;
          p->message = in.text();
          p->outcome = interrupted ? Pending::Outcome::interrupted : Pending::Outcome::failed;
        }
        in.end();
        changed.notify_all();
        return;
      }
      lock.unlock();
      if (e.tag == kCurvePoint) {
        const store::CurvePoint point = in.curve_point();
        in.end();
        p->events->on_curve_point(*p->run, point);
      } else if (e.tag == kHeartbeat) {
        in.end();
        p->events->on_heartbeat(*p->run);
      } else if (e.tag == kCheckpoint) {
        const std::filesystem::path file = in.text();
        in.end();
        p->events->on_checkpoint(*p->run, file);
      }
    } catch (const DataError& error) {
      if (!lock.owns_lock()) lock.lock();
      give_up(e.source, fmt::format("rank {}: {}", e.source, error.what()));
    }
  }
};

MpiTrainer::MpiTrainer(MpiWorld& world, RunTrainer& local, MpiSettings settings,
                       const std::atomic<int>* stop)
    : state_(std::make_unique<State>(world, local, settings, stop)) {
  State& s = *state_;
  s.ranks.resize(static_cast<std::size_t>(world.size()));
  for (std::uint32_t i = 0; i < local.slots(); ++i) s.slots.push_back({0, i});
  // Every other rank says hello (with its slots) or why it cannot run.
  std::vector<bool> answered(s.ranks.size(), false);
  answered[0] = true;
  const auto deadline = Clock::now() + settings.rank_timeout;
  while (std::find(answered.begin(), answered.end(), false) != answered.end() &&
         Clock::now() < deadline) {
    const auto e = poll();
    if (!e) {
      std::this_thread::sleep_for(kIdleNap);
      continue;
    }
    if (e->source <= 0 || answered[e->source]) continue;
    answered[e->source] = true;
    Reader in(e->bytes);
    if (e->tag == kHello) {
      for (std::uint32_t i = 0, n = in.u32(); i < n; ++i) s.slots.push_back({e->source, i});
    } else {
      s.ranks[e->source].alive = false;
      spdlog::warn("rank {} cannot run: {}; its share goes to the others", e->source,
                   e->tag == kCannotRun ? in.text() : "it said something else first");
    }
  }
  for (std::size_t r = 1; r < s.ranks.size(); ++r) {
    if (answered[r]) continue;
    s.ranks[r].alive = false;
    spdlog::warn("rank {} did not answer within {} s; its share goes to the others", r,
                 seconds_text(settings.rank_timeout));
  }
  for (Rank& r : s.ranks) r.heard = Clock::now();
  s.postman = std::thread([&s] { s.deliver(); });
}

MpiTrainer::~MpiTrainer() {
  {
    std::lock_guard lock(state_->mutex);
    state_->ending = true;
  }
  state_->postman.join();
  state_->world.dismiss_others();
}

std::size_t MpiTrainer::slots() const { return state_->slots.size(); }

RunResult MpiTrainer::train(const PlannedRun& run, std::optional<double> oracle_mean,
                            const std::optional<ResumeFrom>& resume, RunObserver& events,
                            RunProgress& progress) {
  State& s = *state_;
  std::unique_lock lock(s.mutex);
  Slot* slot = nullptr;
  s.changed.wait(lock, [&] {
    slot = s.free_slot();
    return slot != nullptr || !s.any_live_slot();
  });
  if (slot == nullptr) throw RunLost("no rank is left to train it");
  slot->busy = true;
  const auto release = [&] {
    slot->busy = false;
    slot->pending = nullptr;
    s.changed.notify_all();
  };
  if (s.ranks.size() > 1) progress.where = fmt::format("rank {}", slot->rank);
  if (slot->rank == 0) {
    lock.unlock();
    try {
      RunResult r = s.local.train(run, oracle_mean, resume, events, progress);
      lock.lock();
      release();
      return r;
    } catch (...) {
      if (!lock.owns_lock()) lock.lock();
      release();
      throw;
    }
  }
  progress.total_steps = run.timesteps;  // what the training run sets where it runs
  Pending pending;
  pending.run = &run;
  pending.events = &events;
  pending.progress = &progress;
  lock.unlock();
  events.on_run_started(run, progress);
  lock.lock();
  slot->pending = &pending;
  s.outbox.emplace_back(slot->rank, kAssign,
                        Writer()
                            .u32(slot->index)
                            .text(run.id)
                            .optional_f64(oracle_mean)
                            .u8(resume.has_value())
                            .optional_path(resume ? resume->recorded : std::nullopt)
                            .bytes());
  s.changed.wait(lock, [&] { return pending.outcome != Pending::Outcome::running; });
  release();
  switch (pending.outcome) {
    case Pending::Outcome::finished:
      return std::move(*pending.result);
    case Pending::Outcome::interrupted:
      throw RunStopped{};
    case Pending::Outcome::lost:
      throw RunLost(pending.message);
    default:
      throw Error(pending.message);
  }
}

}  // namespace recrl::cluster
