#pragma once

#include <chrono>
#include <cstdint>
#include <iosfwd>
#include <span>
#include <vector>

#include "recrl/core/algorithm.hpp"
#include "recrl/core/export.hpp"
#include "recrl/core/random.hpp"
#include "recrl/core/types.hpp"
#include "recrl/run/normalizer.hpp"
#include "recrl/run/vec_env.hpp"

namespace recrl {

// Where a training run's time went, in seconds (what `recrl bench` and the store report).
struct PhaseTimes {
  double env_s = 0;     // the environment copies' steps, rewards and the normaliser
  double act_s = 0;     // Algorithm::act
  double update_s = 0;  // Algorithm::observe and update
  double eval_s = 0;    // evaluations (measured by the run, not by TrainingLoop)
};

// The interaction loop of one training run, one vector step at a time: the algorithm acts on
// what it sees (normalised observations when the run normalises), the environment copies step,
// the normaliser folds in the new observations, the algorithm observes and updates when it
// asks to. TrainingRun drives it and keeps everything around it (evaluation, metrics, the
// learning curve); tests drive it directly. Between two step() calls its state is the whole
// state of the training, which save_state() / load_state() write and read for checkpoints
// (docs/checkpoints.md). step() allocates nothing.
class RECRL_API TrainingLoop {
 public:
  // The algorithm's random stream is (seed, Algorithm). `normalizer` null: the algorithm sees
  // raw observations. The referenced objects must outlive the loop.
  TrainingLoop(VecEnv& envs, Algorithm& algorithm, ObservationNormalizer* normalizer,
               std::uint64_t seed);

  // Starts training from scratch: resets every environment copy. Call this or load_state()
  // once, before the first step().
  void start();
  // One act, step and observe; when observe() asks for it, clears `metrics`, runs update()
  // (which appends to `metrics`) and returns true.
  bool step(Metrics& metrics);

  // Environment steps taken so far, over all copies.
  std::int64_t steps() const { return envs_.steps(); }
  // The returns of the episodes that ended in the last step().
  std::span<const double> finished_returns() const { return envs_.finished_returns(); }
  // The time step() spent in each phase since this loop was built (eval_s is 0). Not part of
  // the saved state: a resumed run adds what it had spent before.
  PhaseTimes phase_times() const;

  // The state between two step() calls: the algorithm's random stream, the normaliser's
  // statistics, the environment copies (VecEnv::save_state) and the algorithm's training state
  // (Algorithm::save_training_state). load_state() replaces start() on a loop built from
  // objects made like the saved ones; a mismatch throws DataError (without a file name: the
  // checkpoint reader adds it).
  void save_state(std::ostream& out) const;
  void load_state(std::istream& in);

 private:
  // What the algorithm sees of a raw observation batch.
  void observe_into(const Matrix& raw, Matrix& out) const;

  using Clock = std::chrono::steady_clock;
  // The phase clock: the time-stamp counter on x86-64 (a read costs a fraction of
  // clock_gettime, and a step with one environment copy reads it four times; bench/README.md),
  // the steady clock's count elsewhere. Ticks become seconds at the counter's rate over the
  // loop's life, measured against the steady clock.
  static std::uint64_t read_ticks();

  VecEnv& envs_;
  Algorithm& algorithm_;
  ObservationNormalizer* normalizer_;
  Rng rng_;
  Matrix acted_;      // [obs_dim x n] what the algorithm acted on
  Matrix next_;       // [obs_dim x n] what it acts on next
  Matrix final_obs_;  // [obs_dim x n] see StepBatch::final_obs
  std::vector<int> actions_;
  std::vector<std::uint8_t> acted_allowed_;  // the masks at acted_ (empty without masks)
  // A few clock reads per vector step; kept as ticks so that step() only adds integers.
  std::uint64_t env_ticks_ = 0;
  std::uint64_t act_ticks_ = 0;
  std::uint64_t update_ticks_ = 0;
  Clock::time_point created_ = Clock::now();
  std::uint64_t created_ticks_ = read_ticks();
};

}  // namespace recrl
