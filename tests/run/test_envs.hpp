#pragma once

// Small in-process environments and rewards for testing the runner's machinery without plugins.

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "recrl/core/environment.hpp"
#include "recrl/core/reward.hpp"

namespace recrl::test {

// A one-feature environment whose observation is a uniform draw; episodes last `length` steps
// (terminated), the observation after step t is the start value + t; action a earns a.
class CountingEnv final : public Environment {
 public:
  explicit CountingEnv(int length, int max_steps = 0, bool nan_at_step_two = false)
      : length_(length), nan_(nan_at_step_two) {
    spec_.name = "counting";
    spec_.observation = {Space::Kind::Box, 1, {0.0}, {1e9}, {"x"}};
    spec_.action = {Space::Kind::Discrete, 3, {}, {}, {"a0", "a1", "a2"}};
    spec_.max_episode_steps = max_steps;
    spec_.actions_affect_state = false;
  }
  const EnvSpec& spec() const override { return spec_; }
  void reset(Rng& rng, VectorRef obs) override {
    t_ = 0;
    obs[0] = static_cast<Scalar>(rng.uniform());
  }
  EnvStep step(int action, Rng&, VectorRef next_obs) override {
    ++t_;
    next_obs[0] += 1;
    if (nan_ && t_ == 2) next_obs[0] = std::numeric_limits<Scalar>::quiet_NaN();
    return {static_cast<double>(action), length_ > 0 && t_ >= length_, false};
  }

 private:
  EnvSpec spec_;
  int length_;
  bool nan_;
  int t_ = 0;
};

// Passes the environment's reward on, plus noise; expected() is the environment's reward.
class PassThroughReward final : public RewardFunction {
 public:
  explicit PassThroughReward(double noise = 0.0) : noise_(noise) {}
  const std::vector<std::string>& components() const override { return names_; }
  double compute(const Transition& t, Rng& rng, std::span<double> parts) override {
    parts[0] = t.env_reward;
    return t.env_reward + (noise_ > 0 ? rng.normal(0, noise_) : 0.0);
  }
  std::optional<double> expected(const Transition& t) const override {
    return static_cast<double>(t.action);
  }

 private:
  double noise_;
  std::vector<std::string> names_{"env"};
};

}  // namespace recrl::test
