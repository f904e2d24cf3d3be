#include "recrl/run/progress_display.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <map>
#include <mutex>
#include <string>
#include <thread>

#include <fmt/format.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>

#include "recrl/util/table_text.hpp"
#include "recrl/run/runner.hpp"

namespace recrl {

namespace {

using Clock = std::chrono::steady_clock;

constexpr auto kRedrawInterval = std::chrono::milliseconds(200);
constexpr int kBarWidth = 20;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// "0:42", "12:03", "3:07:15"; "?" when unknown.
std::string format_duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "?";
  const auto s = static_cast<long long>(seconds + 0.5);
  if (s >= 3600) return fmt::format("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60);
  return fmt::format("{}:{:02}", s / 60, s % 60);
}

std::string bar(double fraction) {
  const int filled = static_cast<int>(std::clamp(fraction, 0.0, 1.0) * kBarWidth + 1e-9);
  return "[" + std::string(static_cast<std::size_t>(filled), '=') +
         std::string(static_cast<std::size_t>(kBarWidth - filled), ' ') + "]";
}

int terminal_width() {
  winsize size{};
  if (ioctl(STDERR_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col > 0) return size.ws_col;
  return 100;
}

}  // namespace

struct ProgressDisplay::State {
  struct Active {
    std::string label;
    const RunProgress* progress;
    Clock::time_point started;
  };

  Mode mode;
  std::chrono::milliseconds plain_interval;
  std::mutex mutex;  // guards everything below, and the terminal while drawing
  std::condition_variable wake;
  bool stopping = false;
  std::map<const PlannedRun*, Active> active;  // ordered as the plan
  std::size_t total_runs = 0;
  std::size_t done_runs = 0;  // finished, failed or skipped
  std::size_t failed_runs = 0;
  std::int64_t total_steps = 0;  // of the runs to train
  std::int64_t done_steps = 0;   // of the runs that ended
  Clock::time_point planned = Clock::now();
  int lines_drawn = 0;

  std::string run_line(const Active& a) const {
    const std::int64_t steps = a.progress->env_steps.load(std::memory_order_relaxed);
    const std::int64_t total = a.progress->total_steps;
    const double eval = a.progress->latest_eval_mean.load(std::memory_order_relaxed);
    const double elapsed = seconds_since(a.started);
    const double rate = elapsed > 0 ? static_cast<double>(steps) / elapsed : 0;
    const double eta = rate > 0 ? static_cast<double>(total - steps) / rate : NAN;
    return fmt::format(
        "{}: {}/{} steps, {} steps/s, eval {}, ETA {}", a.label, util::grouped_thousands(steps),
        util::grouped_thousands(total), util::grouped_thousands(rate),
        std::isnan(eval) ? std::string("-") : fmt::format("{:.4g}", eval), format_duration(eta));
  }

  // Steps done by the ended and the active runs, and the overall ETA.
  std::string total_line() const {
    std::int64_t steps = done_steps;
    for (const auto& [run, a] : active)
      steps += a.progress->env_steps.load(std::memory_order_relaxed);
    const double elapsed = seconds_since(planned);
    const double eta =
        steps > 0 ? elapsed * static_cast<double>(total_steps - steps) / static_cast<double>(steps)
                  : NAN;
    const double fraction =
        total_runs > 0 ? static_cast<double>(done_runs) / static_cast<double>(total_runs) : 1.0;
    return fmt::format("total {} {}/{} runs{}  elapsed {}  ETA {}", bar(fraction), done_runs,
                       total_runs, failed_runs > 0 ? fmt::format(" ({} failed)", failed_runs) : "",
                       format_duration(elapsed), format_duration(eta));
  }

  // Live mode, with the mutex held: erases what was drawn.
  void erase() {
    if (lines_drawn > 0) std::fprintf(stderr, "\x1b[%dF\x1b[J", lines_drawn);
    lines_drawn = 0;
  }

  // Live mode, with the mutex held: redraws, each line cut to the terminal's width so that
  // none wraps (the line count is how the next redraw finds the top).
  void draw() {
    const auto width = static_cast<std::size_t>(std::max(terminal_width() - 1, 20));
    std::string text;
    int lines = 0;
    const auto add = [&](std::string line) {
      if (line.size() > width) line.resize(width);
      text += line + "\n";
      ++lines;
    };
    for (const auto& [run, a] : active) {
      const std::int64_t steps = a.progress->env_steps.load(std::memory_order_relaxed);
      const double fraction =
          a.progress->total_steps > 0
              ? static_cast<double>(steps) / static_cast<double>(a.progress->total_steps)
              : 0;
      add(fmt::format("  {} {}", bar(fraction), run_line(a)));
    }
    add(total_line());
    erase();
    std::fputs(text.c_str(), stderr);
    std::fflush(stderr);
    lines_drawn = lines;
  }

  void loop() {
    std::unique_lock lock(mutex);
    const auto interval =
        mode == Mode::live ? std::chrono::duration_cast<std::chrono::milliseconds>(kRedrawInterval)
                           : plain_interval;
    while (!stopping) {
      wake.wait_for(lock, interval, [&] { return stopping; });
      if (stopping) break;
      if (mode == Mode::live) {
        draw();
      } else {
        std::vector<std::string> lines;
        for (const auto& [run, a] : active) lines.push_back(run_line(a));
        if (!lines.empty()) lines.push_back(total_line());
        lock.unlock();  // logging takes the logger's lock: never under ours
        for (const std::string& line : lines) spdlog::info("{}", line);
        lock.lock();
      }
    }
    if (mode == Mode::live) {
      erase();
      std::fflush(stderr);
    }
  }
};

namespace {

// Prints log lines above the live display: erases it, lets the original sinks print, and
// leaves the redraw to the display's next tick.
class AboveDisplaySink : public spdlog::sinks::base_sink<std::mutex> {
 public:
  AboveDisplaySink(std::shared_ptr<ProgressDisplay::State> state,
                   std::vector<spdlog::sink_ptr> inner)
      : state_(std::move(state)), inner_(std::move(inner)) {}

  const std::vector<spdlog::sink_ptr>& inner() const { return inner_; }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    std::lock_guard lock(state_->mutex);
    state_->erase();
    std::fflush(stderr);
    for (const auto& target : inner_) {
      if (target->should_log(msg.level)) target->log(msg);
    }
    for (const auto& target : inner_) target->flush();
  }
  void flush_() override {
    for (const auto& target : inner_) target->flush();
  }

 private:
  std::shared_ptr<ProgressDisplay::State> state_;
  std::vector<spdlog::sink_ptr> inner_;
};

}  // namespace

ProgressDisplay::ProgressDisplay(Mode mode, std::chrono::milliseconds plain_interval)
    : state_(std::make_shared<State>()) {
  state_->mode = mode;
  state_->plain_interval = plain_interval;
  if (mode == Mode::live) {
    auto& sinks = spdlog::default_logger()->sinks();
    auto above = std::make_shared<AboveDisplaySink>(state_, sinks);
    sinks = {above};
  }
  thread_ = std::thread([state = state_] { state->loop(); });
}

ProgressDisplay::~ProgressDisplay() {
  {
    std::lock_guard lock(state_->mutex);
    state_->stopping = true;
  }
  state_->wake.notify_all();
  thread_.join();
  if (state_->mode == Mode::live) {
    auto& sinks = spdlog::default_logger()->sinks();
    if (sinks.size() == 1) {
      if (const auto above = std::dynamic_pointer_cast<AboveDisplaySink>(sinks.front()))
        sinks = above->inner();
    }
  }
}

void ProgressDisplay::on_plan(const std::vector<PlannedRun>& plan) {
  std::lock_guard lock(state_->mutex);
  state_->total_runs = plan.size();
  state_->total_steps = 0;
  for (const PlannedRun& run : plan) state_->total_steps += run.timesteps;
  state_->planned = Clock::now();
}

void ProgressDisplay::on_run_started(const PlannedRun& run, const RunProgress& progress) {
  std::lock_guard lock(state_->mutex);
  const std::string label =
      progress.where.empty() ? run.label : run.label + " (" + progress.where + ")";
  state_->active.insert_or_assign(&run, State::Active{label, &progress, Clock::now()});
}

void ProgressDisplay::on_run_finished(const PlannedRun& run, const RunResult&) {
  std::lock_guard lock(state_->mutex);
  if (state_->active.erase(&run) == 0) return;
  ++state_->done_runs;
  state_->done_steps += run.timesteps;
}

void ProgressDisplay::on_run_failed(const PlannedRun& run, const std::string&) {
  std::lock_guard lock(state_->mutex);
  if (state_->active.erase(&run) == 0) return;
  ++state_->done_runs;
  ++state_->failed_runs;
  state_->done_steps += run.timesteps;
}

void ProgressDisplay::on_run_skipped(const PlannedRun& run) {
  std::lock_guard lock(state_->mutex);
  ++state_->done_runs;
  state_->total_steps -= run.timesteps;
}

}  // namespace recrl
