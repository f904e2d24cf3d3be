#include "training_run.hpp"

#include <chrono>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string_view>

#include <fmt/compile.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "recrl/util/atomic_file.hpp"
#include "recrl/core/errors.hpp"

namespace recrl {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Metrics under perf/ measure the machine, not the learning (see kUpdateFlopsMetric).
constexpr std::string_view kPerfPrefix = "perf/";

// metrics.csv's lines, written to the file in blocks: DQN reports every 4 steps, and a stream
// write per line cost more than formatting the line. Whatever is collected when the run ends,
// however it ends, is written: a run that fails keeps the metrics that led up to the failure.
class MetricLines {
 public:
  explicit MetricLines(std::ofstream& file) : file_(file) {}
  MetricLines(const MetricLines&) = delete;
  MetricLines& operator=(const MetricLines&) = delete;
  ~MetricLines() { write(); }

  void add(std::int64_t step, std::string_view name, double value) {
    // The shortest text that reads back as the same double (an ostream's default keeps 6
    // digits), with the format parsed at compile time.
    fmt::format_to(std::back_inserter(lines_), FMT_COMPILE("{},{},{}\n"), step, name, value);
    if (lines_.size() >= kBlockBytes) write();
  }
  void write() {
    file_.write(lines_.data(), static_cast<std::streamsize>(lines_.size()));
    lines_.clear();
  }

 private:
  static constexpr std::size_t kBlockBytes = 64 * 1024;
  std::ofstream& file_;
  fmt::memory_buffer lines_;
};

void check_metrics(const Metrics& metrics, const std::string& plugin, std::int64_t step) {
  for (const Metric& m : metrics) {
    if (!std::isfinite(m.value)) {
      throw NumericalError(
          fmt::format("algorithm '{}' reported {} = {} in the update at "
                      "environment step {}",
                      plugin, m.name, m.value, step));
    }
  }
}

}  // namespace

TrainingRun::TrainingRun(const ResolvedExperiment& x, const ResolvedAlgorithm& algo,
                         std::uint64_t seed, const plugin::PluginRegistry& registry,
                         std::filesystem::path dir, RunReporting reporting)
    : x_(x),
      algo_(algo),
      seed_(seed),
      dir_(std::move(dir)),
      logger_(make_logger(fmt::format("{}/s{}", algo.use.label, seed))),
      train_(make_env_copies(x, registry, algo.n_envs, logger_)),
      vec_(train_.envs, train_.rewards, x.reward.use.plugin, seed),
      eval_(make_evaluator(x, registry, logger_)),
      algorithm_(registry.create_algorithm(
          algo.info->name, algo.params,
          algorithm_context(algo, vec_.spec(), *train_.rewards.front(), logger_, dir_.string()))),
      normalizer_(algo.normalize_observations ? ObservationNormalizer(vec_.spec().observation.size)
                                              : ObservationNormalizer()),
      loop_(vec_, *algorithm_, algo.normalize_observations ? &normalizer_ : nullptr, seed),
      identity_(run_id(x, algo, seed)),
      reporting_(reporting),
      last_heartbeat_(Clock::now()) {
  RECRL_ASSERT(reporting_.observer == nullptr || reporting_.run != nullptr,
               "an observed run names its planned run");
  if (reporting_.progress != nullptr) reporting_.progress->total_steps = algo.timesteps;
}

RunResult TrainingRun::execute(std::optional<double> oracle_mean,
                               const std::optional<ResumeFrom>& resume) {
  std::ofstream metrics_file;
  RunBookkeeping book = start(resume, metrics_file);
  // A resumed run's times include the time before its checkpoint.
  const auto start_time = Clock::now();
  const double elapsed_before = book.elapsed_seconds;
  const auto elapsed = [&] { return elapsed_before + seconds_since(start_time); };
  const PhaseTimes before = book.phase_times;

  Metrics metrics;
  metrics.reserve(32);
  MetricLines metric_lines(metrics_file);
  const std::int64_t every = x_.experiment.eval.every;
  const std::int64_t checkpoint_every = algo_.checkpoint_every;
  std::int64_t next_checkpoint =
      checkpoint_every > 0 ? (loop_.steps() / checkpoint_every + 1) * checkpoint_every : -1;
  auto record_curve = [&](const EvalResult& e) {
    const std::optional<double> train_mean =
        book.episodes_since > 0
            ? std::optional<double>(book.returns_since / static_cast<double>(book.episodes_since))
            : std::nullopt;
    const store::CurvePoint point{loop_.steps(),       e.mean_return, e.std_return,
                                  book.episodes_since, train_mean,    elapsed()};
    book.curve +=
        fmt::format("{},{},{},{},{},{}\n", point.env_steps, point.eval_mean, point.eval_std,
                    point.train_episodes,
                    train_mean ? fmt::format("{}", *train_mean) : std::string(), point.wall_s);
    if (reporting_.progress != nullptr)
      reporting_.progress->latest_eval_mean.store(e.mean_return, std::memory_order_relaxed);
    if (reporting_.observer != nullptr) reporting_.observer->on_curve_point(*reporting_.run, point);
    book.episodes_since = 0;
    book.returns_since = 0;
  };

  while (loop_.steps() < algo_.timesteps) {
    if (loop_.step(metrics)) {
      check_metrics(metrics, algo_.info->name, loop_.steps());
      for (const Metric& m : metrics) {
        // perf/* are measurements of the machine, not of learning: summed, not logged.
        const std::string_view name = m.name;
        if (name.starts_with(kPerfPrefix)) {
          if (name == kUpdateFlopsMetric) book.update_flops += m.value;
          continue;
        }
        metric_lines.add(loop_.steps(), name, m.value);
      }
    }
    for (double r : loop_.finished_returns()) {
      ++book.episodes_since;
      book.returns_since += r;
    }
    after_step_batch();
    if (book.next_eval > 0 && loop_.steps() >= book.next_eval && loop_.steps() < algo_.timesteps) {
      const auto eval_start = Clock::now();
      record_curve(evaluate(static_cast<std::uint64_t>(book.next_eval / every)));
      book.eval_seconds += seconds_since(eval_start);
      while (book.next_eval <= loop_.steps()) book.next_eval += every;
    }
    if (next_checkpoint > 0 && loop_.steps() >= next_checkpoint &&
        loop_.steps() < algo_.timesteps) {
      metric_lines.write();
      checkpoint(book, metrics_file, elapsed());
      next_checkpoint = (loop_.steps() / checkpoint_every + 1) * checkpoint_every;
    }
  }
  const double train_seconds = elapsed() - book.eval_seconds;

  const auto final_eval_start = Clock::now();
  const EvalResult final_eval = evaluate(0);
  record_curve(final_eval);
  book.eval_seconds += seconds_since(final_eval_start);
  metric_lines.write();
  metrics_file.close();
  if (!metrics_file) throw Error("error: cannot write '" + (dir_ / "metrics.csv").string() + "'");
  std::filesystem::rename(dir_ / "metrics.csv.partial", dir_ / "metrics.csv");
  util::write_file_atomically(dir_ / "curve.csv", book.curve);
  write_policy_file(dir_ / "policy.recrl", policy_record());
  // The run is complete: nothing is left to resume.
  std::error_code ignored;
  std::filesystem::remove(checkpoint_file(), ignored);

  const PhaseTimes spent = loop_.phase_times();
  RunResult result;
  result.label = algo_.use.label;
  result.plugin = algo_.info->name;
  result.plugin_version = algo_.info->version;
  result.seed = seed_;
  result.eval_mean = final_eval.mean_return;
  result.eval_std = final_eval.std_return;
  if (oracle_mean && *oracle_mean > 0)
    result.pct_oracle = 100.0 * final_eval.mean_return / *oracle_mean;
  result.env_steps = loop_.steps();
  result.wall_s = elapsed();
  result.train_s = train_seconds;
  result.steps_per_s = train_seconds > 0 ? static_cast<double>(loop_.steps()) / train_seconds : 0;
  result.env_s = before.env_s + spent.env_s;
  result.act_s = before.act_s + spent.act_s;
  result.update_s = before.update_s + spent.update_s;
  result.eval_s = book.eval_seconds;
  result.update_flops = book.update_flops;
  result.policy = dir_ / "policy.recrl";
  result.curve = dir_ / "curve.csv";
  result.action_counts = final_eval.action_counts;
  for (std::size_t c = 0; c < final_eval.component_means.size(); ++c) {
    result.reward_components.push_back({x_.reward_components[c], final_eval.component_means[c]});
  }
  logger_->info(
      "{} seed {}: eval mean {:.4f} after {} steps ({:.0f} steps/s; env {:.1f} s, act "
      "{:.1f} s, update {:.1f} s, eval {:.1f} s)",
      result.label, seed_, result.eval_mean, result.env_steps, result.steps_per_s, result.env_s,
      result.act_s, result.update_s, result.eval_s);
  return result;
}

std::optional<std::filesystem::path> TrainingRun::checkpoint_to_resume(
    const ResumeFrom& resume) const {
  if (resume.recorded && std::filesystem::exists(*resume.recorded)) return resume.recorded;
  if (std::filesystem::exists(checkpoint_file())) return checkpoint_file();
  if (resume.recorded) {
    logger_->warn("checkpoint {} is gone: training {} on seed {} from step 0",
                  resume.recorded->string(), algo_.use.label, seed_);
  }
  return std::nullopt;
}

RunBookkeeping TrainingRun::start(const std::optional<ResumeFrom>& resume,
                                  std::ofstream& metrics_file) {
  const std::filesystem::path partial = dir_ / "metrics.csv.partial";
  const std::optional<std::filesystem::path> resume_from =
      resume ? checkpoint_to_resume(*resume) : std::nullopt;
  if (resume_from) {
    RunBookkeeping book = read_checkpoint(*resume_from, identity_, loop_);
    // The metrics logged after the checkpoint are logged again as the run repeats those steps.
    std::error_code error;
    const auto size = std::filesystem::file_size(partial, error);
    if (error || size < book.metrics_bytes) {
      throw DataError(SourceLocation{partial.string()},
                      fmt::format("holds {} bytes where the checkpoint {} expects at least {}; "
                                  "run without --resume to start this run afresh",
                                  error ? 0 : size, resume_from->string(), book.metrics_bytes));
    }
    std::filesystem::resize_file(partial, book.metrics_bytes);
    // Not std::ios::app: its write position reads 0 until the first write, and the next
    // checkpoint takes the file's length from it.
    metrics_file.open(partial, std::ios::in | std::ios::out);
    metrics_file.seekp(0, std::ios::end);
    if (!metrics_file) throw Error("error: cannot write '" + partial.string() + "'");
    logger_->info("continuing {} ({}) on seed {} from its checkpoint at step {} of {}",
                  algo_.use.label, algo_.info->name, seed_, loop_.steps(), algo_.timesteps);
    return book;
  }
  // A checkpoint left by an earlier attempt is not this attempt's.
  std::error_code ignored;
  std::filesystem::remove(checkpoint_file(), ignored);
  metrics_file = open_csv(partial, "env_steps,name,value");
  loop_.start();
  RunBookkeeping book;
  const std::int64_t every = x_.experiment.eval.every;
  book.next_eval = every > 0 ? every : -1;
  book.curve = "env_steps,eval_mean,eval_std,train_episodes,train_return_mean,wall_s\n";
  logger_->info("training {} ({}) on seed {} for {} steps with {} environment copies",
                algo_.use.label, algo_.info->name, seed_, algo_.timesteps, vec_.size());
  return book;
}

void TrainingRun::checkpoint(const RunBookkeeping& book, std::ofstream& metrics_file,
                             double elapsed_seconds) {
  metrics_file.flush();
  if (!metrics_file) throw Error("error: cannot write '" + (dir_ / "metrics.csv").string() + "'");
  RunBookkeeping saved = book;
  saved.metrics_bytes = static_cast<std::uint64_t>(metrics_file.tellp());
  saved.elapsed_seconds = elapsed_seconds;
  const PhaseTimes spent = loop_.phase_times();
  saved.phase_times.env_s += spent.env_s;
  saved.phase_times.act_s += spent.act_s;
  saved.phase_times.update_s += spent.update_s;
  write_checkpoint(checkpoint_file(), identity_, loop_, saved);
  if (reporting_.observer != nullptr)
    reporting_.observer->on_checkpoint(*reporting_.run, checkpoint_file());
}

void TrainingRun::after_step_batch() {
  if (reporting_.progress != nullptr)
    reporting_.progress->env_steps.store(loop_.steps(), std::memory_order_relaxed);
  if (reporting_.stop != nullptr && reporting_.stop->load(std::memory_order_relaxed) != 0)
    throw RunStopped{};
  // Reading the clock costs more than a batch of a fast environment: look every 64 batches.
  if (reporting_.observer == nullptr || ++batches_since_clock_check_ < 64) return;
  batches_since_clock_check_ = 0;
  const auto now = Clock::now();
  if (now - last_heartbeat_ < kRunHeartbeatInterval) return;
  last_heartbeat_ = now;
  reporting_.observer->on_heartbeat(*reporting_.run);
}

Evaluator TrainingRun::make_evaluator(const ResolvedExperiment& x,
                                      const plugin::PluginRegistry& registry,
                                      const std::shared_ptr<spdlog::logger>& logger) {
  const auto& eval = x.experiment.eval;
  EnvCopies copies =
      make_env_copies(x, registry, static_cast<int>(std::min(eval.episodes, kEvalSlots)), logger);
  return Evaluator(std::move(copies.envs), std::move(copies.rewards), x.reward.info->name,
                   eval.episodes, eval.seed);
}

std::ofstream TrainingRun::open_csv(const std::filesystem::path& file, const char* header) {
  std::filesystem::create_directories(file.parent_path());
  std::ofstream out(file);
  if (!out) throw Error("error: cannot write '" + file.string() + "'");
  out << header << '\n';
  return out;
}

EvalResult TrainingRun::evaluate(std::uint64_t index) {
  Rng rng(derive_seed(seed_, Stream::EvalAlgorithm, index));
  return eval_.run(*algorithm_, algo_.normalize_observations ? &normalizer_ : nullptr, rng);
}

PolicyRecord TrainingRun::policy_record() const {
  PolicyRecord record;
  record.experiment = x_.experiment.name;
  record.experiment_file = std::filesystem::absolute(x_.experiment.file).string();
  record.label = algo_.use.label;
  record.seed = seed_;
  record.env_steps = loop_.steps();
  record.algorithm = {algo_.info->name, algo_.info->version, algo_.params.values()};
  record.env = {x_.env.info->name, x_.env.info->version, x_.env.params.values()};
  record.reward = {x_.reward.info->name, x_.reward.info->version, x_.reward.params.values()};
  record.normalize_observations = algo_.normalize_observations;
  record.normalizer = normalizer_;
  std::ostringstream state;
  algorithm_->save(state);
  record.algorithm_state = state.str();
  return record;
}

}  // namespace recrl
