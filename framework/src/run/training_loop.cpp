#include "recrl/run/training_loop.hpp"

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

bool TrainingLoop::step(Metrics& metrics) {
  const Clock::time_point acting = Clock::now();
  acted_ = next_;
  algorithm_.act(ObsBatch{acted_, envs_.obs()}, ActMode::Explore, rng_, actions_);
  const Clock::time_point stepping = Clock::now();
  envs_.step(actions_);
  if (normalizer_ != nullptr) normalizer_->update(envs_.obs());
  observe_into(envs_.obs(), next_);
  observe_into(envs_.final_obs(), final_obs_);
  const Clock::time_point observing = Clock::now();
  act_time_ += stepping - acting;
  env_time_ += observing - stepping;
  const StepBatch batch{acted_,     actions_,           envs_.rewards(),   next_,
                        final_obs_, envs_.terminated(), envs_.truncated()};
  const bool updated = algorithm_.observe(batch);
  if (updated) {
    metrics.clear();
    algorithm_.update(rng_, metrics);
  }
  update_time_ += Clock::now() - observing;
  return updated;
}

PhaseTimes TrainingLoop::phase_times() const {
  const auto seconds = [](Clock::duration d) { return std::chrono::duration<double>(d).count(); };
  PhaseTimes times;
  times.env_s = seconds(env_time_);
  times.act_s = seconds(act_time_);
  times.update_s = seconds(update_time_);
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
    throw DataError(SourceLocation{},
                    std::string(kLoopTag) + ": saved from a run that " +
                        (normalized ? "normalises" : "does not normalise") +
                        " observations, this one " + (normalized ? "does not" : "does"));
  }
  if (normalizer_ != nullptr) normalizer_->load_state(in);
  envs_.load_state(in);
  const auto size = toolkit::read_pod<std::uint64_t>(in, kLoopTag);
  std::string bytes(size, '\0');
  in.read(bytes.data(), static_cast<std::streamsize>(size));
  if (!in) throw DataError(SourceLocation{}, std::string(kLoopTag) + ": the saved state ends early");
  std::istringstream algorithm_state(bytes);
  algorithm_.load_training_state(algorithm_state);
  if (algorithm_state.peek() != std::char_traits<char>::eof()) {
    throw DataError(SourceLocation{}, "the algorithm read back less of its training state than "
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
