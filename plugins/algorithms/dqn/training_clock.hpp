#pragma once

// When DQN explores, trains and refreshes its target network: Stable-Baselines3's off-policy
// bookkeeping (common/off_policy_algorithm.py learn / collect_rollouts, dqn/dqn.py _on_step,
// common/utils.py get_linear_fn), kept apart from the arithmetic so that tests can step it
// through thousands of environment steps without a network.

#include <cstdint>
#include <istream>
#include <ostream>

#include "recrl/toolkit/binary_io.hpp"
#include "recrl/toolkit/schedule.hpp"

namespace recrl::dqn {

struct ClockSettings {
  std::int64_t n_envs = 1;
  std::int64_t total_timesteps = 1;  // the run's budget: SB3's learn(total_timesteps)
  std::int64_t learning_starts = 100;
  std::int64_t train_freq = 4;
  bool train_freq_in_episodes = false;  // SB3's TrainFreq unit "episode" (else "step")
  std::int64_t gradient_steps = 1;      // -1: as many as environment steps collected
  std::int64_t target_update_interval = 10000;
  double exploration_initial_eps = 1.0;
  double exploration_fraction = 0.1;
  double exploration_final_eps = 0.05;
};

class TrainingClock {
 public:
  struct Tick {
    bool refresh_target = false;     // polyak-update the target network now
    std::int64_t gradient_steps = 0;  // > 0: train now, this many gradient steps
  };

  explicit TrainingClock(const ClockSettings& s)
      : s_(s),
        // Each observe() is one vector step of n_envs transitions; SB3 counts target updates
        // in vector steps: every max(target_update_interval // n_envs, 1) calls.
        target_refresh_calls_(s.target_update_interval / s.n_envs > 1
                                  ? s.target_update_interval / s.n_envs
                                  : 1) {}

  // One vector step that ended `episodes_ended` episodes (terminated or truncated).
  Tick step(std::int64_t episodes_ended) {
    Tick tick;
    num_timesteps_ += s_.n_envs;
    ++collected_steps_;
    collected_episodes_ += episodes_ended;
    // _on_step(): after the progress update, before the rollout ends.
    ++calls_;
    tick.refresh_target = calls_ % target_refresh_calls_ == 0;
    // progress_remaining() < 1 here, so exploration_fraction 0 (no decay) never divides 0 by 0.
    exploration_rate_ = toolkit::linear_fn(s_.exploration_initial_eps, s_.exploration_final_eps,
                                           s_.exploration_fraction, progress_remaining());
    const bool rollout_done = s_.train_freq_in_episodes ? collected_episodes_ >= s_.train_freq
                                                        : collected_steps_ >= s_.train_freq;
    if (!rollout_done) return tick;
    // learn(): train after the rollout once more than learning_starts steps were taken.
    const std::int64_t collected_transitions = collected_steps_ * s_.n_envs;
    collected_steps_ = 0;
    collected_episodes_ = 0;
    if (num_timesteps_ > s_.learning_starts) {
      tick.gradient_steps = s_.gradient_steps >= 0 ? s_.gradient_steps : collected_transitions;
    }
    return tick;
  }

  // Before learning_starts environment steps every action is uniformly random
  // (OffPolicyAlgorithm._sample_action's warm-up).
  bool warming_up() const { return num_timesteps_ < s_.learning_starts; }
  // SB3's self.exploration_rate: 0 until the first step (its initial value), then the
  // schedule at the progress after the latest step.
  double exploration_rate() const { return exploration_rate_; }
  double progress_remaining() const {
    return toolkit::progress_remaining(num_timesteps_, s_.total_timesteps);
  }
  std::int64_t num_timesteps() const { return num_timesteps_; }
  std::int64_t target_refresh_calls() const { return target_refresh_calls_; }

  // The counters (not the settings, which come from the parameters), for checkpoints.
  void save_state(std::ostream& out) const {
    for (std::int64_t v : {num_timesteps_, calls_, collected_steps_, collected_episodes_})
      toolkit::write_pod<std::int64_t>(out, v);
    toolkit::write_pod<double>(out, exploration_rate_);
  }
  void load_state(std::istream& in) {
    for (std::int64_t* v : {&num_timesteps_, &calls_, &collected_steps_, &collected_episodes_})
      *v = toolkit::read_pod<std::int64_t>(in, "dqn training clock");
    exploration_rate_ = toolkit::read_pod<double>(in, "dqn training clock");
  }

 private:
  ClockSettings s_;
  std::int64_t target_refresh_calls_;
  std::int64_t num_timesteps_ = 0;
  std::int64_t calls_ = 0;  // vector steps (SB3's _n_calls)
  std::int64_t collected_steps_ = 0;     // vector steps in the current rollout
  std::int64_t collected_episodes_ = 0;  // episodes ended in the current rollout
  double exploration_rate_ = 0.0;
};

}  // namespace recrl::dqn
