#include "recrl/run/training_loop.hpp"

#if defined(__x86_64__)
#include <x86intrin.h>
#endif

#include <istream>
#include <ostream>
#include <sstream>
#include <string>

#include "recrl/core/errors.hpp"
#include "recrl/toolkit/binary_io.hpp"

namespace recrl {

namespace {

constexpr char kLoopTag[] = "recrl.training_loop.1";

}  // namespace

TrainingLoop::TrainingLoop(VecEnv& envs, Algorithm& algorithm, ObservationNormalizer* normalizer,
                           std::uint64_t seed)
    : envs_(envs),
      algorithm_(algorithm),
      normalizer_(normalizer),
      rng_(derive_seed(seed, Stream::Algorithm)) {
  const int n = envs_.size();
  const int dim = envs_.spec().observation.size;
  acted_ = Matrix::Zero(dim, n);
  next_ = Matrix::Zero(dim, n);
  final_obs_ = Matrix::Zero(dim, n);
  actions_.assign(static_cast<std::size_t>(n), 0);
}

void TrainingLoop::start() {
  envs_.reset();
  if (normalizer_ != nullptr) normalizer_->update(envs_.obs());
  observe_into(envs_.obs(), next_);
}

std::uint64_t TrainingLoop::read_ticks() {
#if defined(__x86_64__)
  return __rdtsc();
#else
  return static_cast<std::uint64_t>(Clock::now().time_since_epoch().count());
#endif
}

bool TrainingLoop::step(Metrics& metrics) {
  const std::uint64_t acting = read_ticks();
  acted_ = next_;
  acted_allowed_.assign(envs_.allowed().begin(), envs_.allowed().end());
  algorithm_.act(ObsBatch{acted_, envs_.obs(), acted_allowed_}, ActMode::Explore, rng_, actions_);
  const std::uint64_t stepping = read_ticks();
  envs_.step(actions_);
  if (normalizer_ != nullptr) normalizer_->update(envs_.obs());
  observe_into(envs_.obs(), next_);
  observe_into(envs_.final_obs(), final_obs_);
  const std::uint64_t observing = read_ticks();
  act_ticks_ += stepping - acting;
  env_ticks_ += observing - stepping;
  const StepBatch batch{acted_,
                        actions_,
                        envs_.rewards(),
                        next_,
                        final_obs_,
                        envs_.terminated(),
                        envs_.truncated(),
                        acted_allowed_,
                        envs_.final_allowed()};
  const bool updated = algorithm_.observe(batch);
  if (updated) {
    metrics.clear();
    algorithm_.update(rng_, metrics);
  }
  update_ticks_ += read_ticks() - observing;
  return updated;
}

PhaseTimes TrainingLoop::phase_times() const {
  const double elapsed = std::chrono::duration<double>(Clock::now() - created_).count();
  const std::uint64_t elapsed_ticks = read_ticks() - created_ticks_;
  const double seconds_per_tick =
      elapsed_ticks > 0 ? elapsed / static_cast<double>(elapsed_ticks) : 0.0;
  const auto seconds = [&](std::uint64_t ticks) {
    return static_cast<double>(ticks) * seconds_per_tick;
  };
  PhaseTimes times;
  times.env_s = seconds(env_ticks_);
  times.act_s = seconds(act_ticks_);
  times.update_s = seconds(update_ticks_);
  return times;
}

void TrainingLoop::save_state(std::ostream& out) const {
  toolkit::write_tag(out, kLoopTag);
  rng_.save(out);
  toolkit::write_pod<std::uint8_t>(out, normalizer_ != nullptr ? 1 : 0);
  if (normalizer_ != nullptr) normalizer_->save_state(out);
  envs_.save_state(out);
  // Length-prefixed, so that an algorithm that reads back less or more than it wrote is caught
  // here rather than corrupting whatever follows.
  std::ostringstream algorithm_state;
  algorithm_.save_training_state(algorithm_state);
  const std::string bytes = algorithm_state.str();
  toolkit::write_values(out, bytes.data(), bytes.size());
}

void TrainingLoop::load_state(std::istream& in) {
  toolkit::expect_tag(in, kLoopTag);
  rng_.load(in);
  const bool normalized = toolkit::read_pod<std::uint8_t>(in, kLoopTag) != 0;
  if (normalized != (normalizer_ != nullptr)) {
    throw DataError(SourceLocation{}, std::string(kLoopTag) + ": saved from a run that " +
                                          (normalized ? "normalises" : "does not normalise") +
                                          " observations, this one " +
                                          (normalized ? "does not" : "does"));
  }
  if (normalizer_ != nullptr) normalizer_->load_state(in);
  envs_.load_state(in);
  const auto size = toolkit::read_pod<std::uint64_t>(in, kLoopTag);
  std::string bytes(size, '\0');
  in.read(bytes.data(), static_cast<std::streamsize>(size));
  if (!in)
    throw DataError(SourceLocation{}, std::string(kLoopTag) + ": the saved state ends early");
  std::istringstream algorithm_state(bytes);
  algorithm_.load_training_state(algorithm_state);
  if (algorithm_state.peek() != std::char_traits<char>::eof()) {
    throw DataError(SourceLocation{},
                    "the algorithm read back less of its training state than "
                    "it saved (the plugin's save and load disagree)");
  }
  observe_into(envs_.obs(), next_);
}

void TrainingLoop::observe_into(const Matrix& raw, Matrix& out) const {
  if (normalizer_ != nullptr) {
    normalizer_->normalize(raw, out);
  } else {
    out = raw;
  }
}

}  // namespace recrl
