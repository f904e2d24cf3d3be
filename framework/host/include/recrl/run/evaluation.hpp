#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <span>
#include <vector>

#include "recrl/core/algorithm.hpp"
#include "recrl/core/environment.hpp"
#include "recrl/core/export.hpp"
#include "recrl/core/reward.hpp"
#include "recrl/run/normalizer.hpp"

namespace recrl {

struct EvalResult {
  double mean_return = 0;  // mean over episodes
  double std_return = 0;   // population std over episodes
  std::int64_t episodes = 0;
  std::int64_t steps = 0;
  std::vector<std::int64_t> action_counts;  // how often each action was chosen
  // Each reward component's sum over an episode, averaged over the episodes (the reward's
  // components() order), then each environment counter's count per episode, averaged likewise
  // (the environment's counters() order). Empty when there are neither.
  std::vector<double> component_means;
};

// Greedy evaluation on held-out episodes. Episode k draws its environment and reward
// randomness from the streams (eval_seed, EvalEnv, k) and (eval_seed, EvalReward, k), so every
// algorithm meets the same users in the same episodes, whatever the batching, and none of them
// was seen in training (training streams are derived from the run seed with other kinds).
// Episodes run in as many slots as there are environment copies (at most `episodes`), so that
// policies act on batches.
class RECRL_API Evaluator {
 public:
  Evaluator(std::vector<std::shared_ptr<Environment>> envs,
            std::vector<std::shared_ptr<RewardFunction>> rewards, std::string reward_name,
            std::int64_t episodes, std::uint64_t eval_seed);

  // `normalizer` may be null. `rng` feeds the policy's own randomness (e.g. the random baseline).
  EvalResult run(Algorithm& policy, const ObservationNormalizer* normalizer, Rng& rng);

  std::int64_t episodes() const { return episodes_; }

 private:
  void start_episode(int slot, std::int64_t episode);
  // The slot's column of allowed_ (empty without masks), and recomputing it from raw_.
  std::span<std::uint8_t> mask_of(int slot);
  void update_mask(int slot);
  // Adds the environment's counters for the episode that just ended in `slot`.
  void add_episode_counters(int slot);

  std::vector<std::shared_ptr<Environment>> envs_;
  std::vector<std::shared_ptr<RewardFunction>> rewards_;
  std::string reward_name_;
  std::int64_t episodes_;
  std::uint64_t eval_seed_;
  std::vector<Rng> env_rngs_;
  std::vector<Rng> reward_rngs_;
  Matrix raw_;
  Matrix normalized_;
  Matrix next_;
  std::vector<int> actions_;
  std::vector<std::uint8_t> allowed_;  // [n_actions x slots] masks at raw_, empty without
  std::vector<double> parts_;
  std::vector<double> counts_;          // one episode's environment counters
  std::vector<double> component_sums_;  // reward components, then environment counters
};

}  // namespace recrl
