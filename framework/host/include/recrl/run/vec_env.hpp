#pragma once

#include <cstdint>
#include <iosfwd>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "recrl/core/algorithm.hpp"
#include "recrl/core/environment.hpp"
#include "recrl/core/export.hpp"
#include "recrl/core/random.hpp"
#include "recrl/core/reward.hpp"
#include "recrl/core/types.hpp"

namespace recrl {

// N copies of an environment, each with its own reward object and random streams, stepped
// together and reset automatically when an episode ends (as Stable-Baselines3's DummyVecEnv).
// It also enforces the spec's max_episode_steps as a truncation (Gymnasium's TimeLimit), checks
// that observations and rewards are finite, and keeps per-episode returns for learning curves.
// step() allocates nothing.
class RECRL_API VecEnv {
 public:
  // `envs` and `rewards` have the same size N >= 1. Copy i draws from the streams
  // (seed, TrainEnv, i) and (seed, TrainReward, i). `reward_name` names the reward plugin in
  // messages.
  VecEnv(std::vector<std::shared_ptr<Environment>> envs,
         std::vector<std::shared_ptr<RewardFunction>> rewards, std::string reward_name,
         std::uint64_t seed);

  int size() const { return static_cast<int>(envs_.size()); }
  const EnvSpec& spec() const { return envs_.front()->spec(); }

  // Starts an episode in every copy.
  void reset();
  // One action per copy. Afterwards obs() is what to act on next (auto-reset applied).
  void step(std::span<const int> actions);

  const Matrix& obs() const { return obs_; }              // [obs_dim x N]
  const Matrix& final_obs() const { return final_obs_; }  // [obs_dim x N], see StepBatch
  const Vector& rewards() const { return rewards_; }      // [N]
  std::span<const std::uint8_t> terminated() const { return terminated_; }
  std::span<const std::uint8_t> truncated() const { return truncated_; }
  // The actions allowed at obs() and at final_obs(), [n_actions x N] (docs/masks.md); empty
  // when the environment has no masks. step() refuses an action its copy's mask forbids.
  ActionMask allowed() const { return allowed_; }
  ActionMask final_allowed() const { return final_allowed_; }
  // The reward components of copy i in the last step (RewardFunction::components() order).
  std::span<const double> components(int i) const;

  // Environment steps taken so far, over all copies.
  std::int64_t steps() const { return steps_; }
  // Returns and lengths of the episodes that ended in the last step().
  std::span<const double> finished_returns() const { return finished_returns_; }

  // Checkpoints (docs/checkpoints.md): whether every copy's environment can save its state, and
  // the whole state between two step() calls: each copy's random streams, environment state,
  // current observation and running episode, the last step's outputs and the step counter.
  // load_state() replaces reset() on a VecEnv built like the saved one (same plugins,
  // parameters and number of copies) and throws DataError when the saved one was not. Reward
  // objects are not saved: a reward must keep no state between compute() calls.
  bool supports_checkpoints() const;
  void save_state(std::ostream& out) const;
  void load_state(std::istream& in);

 private:
  // Recomputes copy i's masks after a step: at final_obs, and at obs when it was reset.
  void update_masks(int i, bool reset);

  std::vector<std::shared_ptr<Environment>> envs_;
  std::vector<std::shared_ptr<RewardFunction>> rewards_fn_;
  std::string reward_name_;
  std::vector<Rng> env_rngs_;
  std::vector<Rng> reward_rngs_;
  Matrix obs_;
  Matrix final_obs_;
  Vector rewards_;
  std::vector<std::uint8_t> terminated_;
  std::vector<std::uint8_t> truncated_;
  std::vector<std::uint8_t> allowed_;        // [n_actions x N], empty without masks
  std::vector<std::uint8_t> final_allowed_;  // [n_actions x N], empty without masks
  std::vector<double> parts_;                // [n_components x N]
  std::size_t n_components_ = 0;
  std::vector<double> episode_returns_;
  std::vector<int> episode_lengths_;
  std::vector<double> finished_returns_;  // capacity N, refilled each step
  std::int64_t steps_ = 0;
};

// What one step of one environment copy came to, its reward included.
struct RewardedStep {
  double reward;
  bool terminated;
  bool truncated;
};

// One step of the composed environment: `env` moves from `obs` with `action` into `next_obs`,
// the spec's max_episode_steps truncates an episode that did not terminate (`episode_length`
// counts this step), and `reward` scores the transition, writing its components into `parts`.
// A non-finite observation or reward throws NumericalError naming the plugin, `phase`
// ("training", "evaluation") and `step`. Allocates nothing.
RECRL_API RewardedStep rewarded_step(Environment& env, RewardFunction& reward, Rng& env_rng,
                                     Rng& reward_rng, int action, ConstVectorRef obs,
                                     VectorRef next_obs, int episode_length,
                                     std::span<double> parts, const std::string& reward_name,
                                     const char* phase, std::int64_t step);

// The actions `env` allows at `obs` into `allowed` (size n_actions); throws PluginError naming
// the environment when it allows none. Allocates nothing.
RECRL_API void fill_allowed_actions(const Environment& env, ConstVectorRef obs,
                                    std::span<std::uint8_t> allowed);
// Throws PluginError when `allowed` (one column of a mask, size n_actions; empty: all allowed)
// forbids `action`: an algorithm broke the environment's rules.
RECRL_API void check_allowed(const EnvSpec& spec, std::span<const std::uint8_t> allowed, int action,
                             const char* phase, std::int64_t step);

// Throws NumericalError naming `who` and the step when a feature of `obs` is not finite.
RECRL_API void check_finite_observation(ConstVectorRef obs, const EnvSpec& spec,
                                        const std::string& who, std::int64_t step);

}  // namespace recrl
