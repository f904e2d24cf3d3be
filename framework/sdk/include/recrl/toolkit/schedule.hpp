#pragma once

#include <cstdint>
#include <string>

#include "recrl/core/export.hpp"
#include "recrl/core/params.hpp"
#include "recrl/core/value.hpp"

namespace recrl::toolkit {

// SB3's progress_remaining: 1 at the start of training, 0 at the end,
// 1 - num_timesteps / total_timesteps (SB3 BaseAlgorithm._update_current_progress_remaining).
RECRL_API double progress_remaining(std::int64_t num_timesteps, std::int64_t total_timesteps);

// SB3's get_linear_fn(start, end, end_fraction) at progress_remaining: moves linearly from
// start to end over the first end_fraction of training, then stays at end (DQN's exploration
// rate: start exploration_initial_eps, end exploration_final_eps, end_fraction
// exploration_fraction).
RECRL_API double linear_fn(double start, double end, double end_fraction,
                           double progress_remaining);

// A hyperparameter that may change over training (learning_rate, clip_range, ...), as SB3
// takes a float or a callable of progress_remaining. Written in an experiment file as
//   learning_rate: 0.0003        a constant
//   learning_rate: lin_0.001     rl-zoo's linear schedule: 0.001 * progress_remaining, so from
//                                0.001 at the start to 0 at the end (rl-zoo's linear_schedule)
// A string holding a plain number ("1e-3", which some YAML readers keep as a string) is a
// constant too. Declare the parameter as a node (ParamSchema::node with a number default) and
// read it with Schedule::parse.
class RECRL_API Schedule {
 public:
  // A constant 0.
  Schedule() = default;
  static Schedule constant(double value);
  // start * progress_remaining + end * (1 - progress_remaining): start at progress 1, end at 0.
  static Schedule linear(double start, double end = 0.0);

  // Parses a number or "lin_<number>". Throws ConfigError at value.where() naming key_path
  // ("algorithms[0].params.learning_rate") for anything else, for a non-finite number, and for
  // an initial value that is not > 0 when positive is true (learning rates, clip ranges).
  static Schedule parse(const Value& value, const std::string& key_path, bool positive = true);
  // The same for a validated parameter: errors through params.error(name, ...).
  static Schedule parse(const Params& params, const std::string& name, bool positive = true);

  // The value at progress_remaining p in [0, 1] (1 = start of training).
  double value(double progress_remaining) const {
    return end_ + (start_ - end_) * progress_remaining;
  }
  double initial() const { return start_; }
  bool is_constant() const { return start_ == end_; }
  // "0.0003" or "lin_0.001" (what an experiment file would say), for logs and resolved configs.
  std::string describe() const;

 private:
  Schedule(double start, double end) : start_(start), end_(end) {}
  double start_ = 0.0;
  double end_ = 0.0;
};

}  // namespace recrl::toolkit
