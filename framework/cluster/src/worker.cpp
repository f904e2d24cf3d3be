// The life of a rank other than 0 in recrl run --mpi.
#include <csignal>
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

// Messages from the run threads, sent to rank 0 by the main thread, the only one that calls
// MPI on this rank.
class Outbox {
 public:
  void put(int tag, std::string bytes) {
    std::lock_guard lock(mutex_);
    items_.emplace_back(tag, std::move(bytes));
  }
  // Sends what is waiting; whether there was anything.
  bool flush() {
    std::vector<std::pair<int, std::string>> items;
    {
      std::lock_guard lock(mutex_);
      items.swap(items_);
    }
    for (const auto& [tag, bytes] : items) send(0, tag, bytes);
    return !items.empty();
  }

 private:
  std::mutex mutex_;
  std::vector<std::pair<int, std::string>> items_;
};

// Forwards a run's curve points, heartbeats and checkpoints to rank 0.
class Forwarder : public RunObserver {
 public:
  Forwarder(Outbox& out, std::uint32_t slot) : out_(out), slot_(slot) {}
  void on_curve_point(const PlannedRun&, const store::CurvePoint& point) override {
    out_.put(kCurvePoint, Writer().u32(slot_).curve_point(point).bytes());
  }
  void on_heartbeat(const PlannedRun&) override {
    out_.put(kHeartbeat, Writer().u32(slot_).bytes());
  }
  void on_checkpoint(const PlannedRun&, const std::filesystem::path& file) override {
    out_.put(kCheckpoint, Writer().u32(slot_).text(std::filesystem::absolute(file)).bytes());
  }

 private:
  Outbox& out_;
  std::uint32_t slot_;
};

// One run at a time: its thread and its progress, which the main thread reports.
struct Slot {
  std::thread thread;
  std::atomic<bool> busy{false};
  std::unique_ptr<RunProgress> progress;
};

class Worker {
 public:
  Worker(MpiWorld& world, const WorkerSetup& setup, MpiSettings settings)
      : world_(world), setup_(setup), settings_(settings) {
    if (!setup.cannot_run.empty()) return;
    trainer_.emplace(*setup.variants, *setup.registry, setup.jobs, &stop_);
    for (std::size_t i = 0; i < trainer_->slots(); ++i) slots_.push_back(std::make_unique<Slot>());
  }

  int live(const std::atomic<int>& signals) {
    if (trainer_) {
      send(0, kHello, Writer().u32(static_cast<std::uint32_t>(slots_.size())).bytes());
    } else {
      send(0, kCannotRun, Writer().text(setup_.cannot_run).bytes());
    }
    int status = 0;
    auto heard = Clock::now();
    auto spoke = Clock::now();
    for (bool done = false; !done;) {
      if (signals != 0 && stop_ == 0) stop_ = signals.load();
      bool worked = false;
      while (auto e = poll()) {
        worked = true;
        heard = Clock::now();
        if (e->tag == kAssign) start(e->bytes);
        if (e->tag == kStop && stop_ == 0) stop_ = SIGTERM;
        if (e->tag == kDone) {
          done = true;
          if (Reader(e->bytes).u8() == 0) world_.forgo_finalize();
        }
      }
      worked |= outbox_.flush();
      const auto now = Clock::now();
      if (now - spoke >= kSpeakEvery) {
        report_progress();
        spoke = now;
      }
      if (!done && now - heard > settings_.rank_timeout) {
        spdlog::error("rank {}: rank 0 has been silent for {} s: stopping", world_.rank(),
                      seconds_text(settings_.rank_timeout));
        status = 1;
        done = true;
        world_.forgo_finalize();
      }
      if (!worked) std::this_thread::sleep_for(kIdleNap);
    }
    // Runs still going (rank 0 was interrupted or went away) stop at their next step batch.
    if (stop_ == 0 && busy()) stop_ = SIGTERM;
    for (auto& slot : slots_)
      if (slot->thread.joinable()) slot->thread.join();
    outbox_.flush();
    return status;
  }

 private:
  using Clock = std::chrono::steady_clock;

  bool busy() const {
    for (const auto& slot : slots_)
      if (slot->busy) return true;
    return false;
  }

  // An assignment: u32 slot, run id, oracle mean, resume and its checkpoint.
  void start(const std::string& bytes) {
    Reader in(bytes);
    const std::uint32_t index = in.u32();
    const std::string id = in.text();
    const std::optional<double> oracle_mean = in.optional_f64();
    const bool resume = in.u8() != 0;
    const std::optional<std::filesystem::path> checkpoint = in.optional_path();
    in.end();
    const PlannedRun* run = nullptr;
    for (const PlannedRun& p : *setup_.plan)
      if (p.id == id) run = &p;
    if (run == nullptr || index >= slots_.size()) {
      outbox_.put(kFailed, Writer()
                               .u32(index)
                               .u8(0)
                               .text(fmt::format("rank {} has no run {} in its plan: its "
                                                 "experiment file, --set options or plugins "
                                                 "differ from rank 0's",
                                                 world_.rank(), id))
                               .bytes());
      return;
    }
    Slot& slot = *slots_[index];
    if (slot.thread.joinable()) slot.thread.join();  // its last run has ended: it said so
    slot.progress = std::make_unique<RunProgress>();
    slot.busy = true;
    std::optional<ResumeFrom> from;
    if (resume) from = ResumeFrom{checkpoint};
    slot.thread = std::thread([this, &slot, run, index, oracle_mean, from] {
      Forwarder events(outbox_, index);
      try {
        const RunResult r = trainer_->train(*run, oracle_mean, from, events, *slot.progress);
        outbox_.put(kFinished, Writer().u32(index).run_result(r).bytes());
      } catch (const RunStopped&) {
        outbox_.put(kFailed, Writer().u32(index).u8(1).text("interrupted").bytes());
      } catch (const std::exception& e) {
        outbox_.put(kFailed, Writer().u32(index).u8(0).text(e.what()).bytes());
      }
      slot.busy = false;
    });
  }

  // Every busy slot's steps and latest evaluation; also how rank 0 knows this rank lives.
  void report_progress() {
    std::vector<std::uint32_t> busy;
    for (std::uint32_t i = 0; i < slots_.size(); ++i)
      if (slots_[i]->busy) busy.push_back(i);
    Writer w;
    w.u32(static_cast<std::uint32_t>(busy.size()));
    for (const std::uint32_t i : busy)
      w.u32(i).i64(slots_[i]->progress->env_steps).f64(slots_[i]->progress->latest_eval_mean);
    send(0, kProgress, w.bytes());
  }

  MpiWorld& world_;
  const WorkerSetup& setup_;
  MpiSettings settings_;
  std::atomic<int> stop_{0};
  std::optional<LocalTrainer> trainer_;
  std::vector<std::unique_ptr<Slot>> slots_;
  Outbox outbox_;
};

}  // namespace

int work_for_rank_zero(MpiWorld& world, const WorkerSetup& setup, const std::atomic<int>& signals,
                       MpiSettings settings) {
  try {
    Worker worker(world, setup, settings);
    return worker.live(signals);
  } catch (const std::exception& e) {
    spdlog::error("rank {}: {}", world.rank(), e.what());
    return 1;
  }
}

}  // namespace recrl::cluster
