#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "recrl/core/algorithm.hpp"
#include "recrl/core/export.hpp"
#include "recrl/core/params.hpp"
#include "recrl/core/plugin_context.hpp"
#include "recrl/toolkit/action_mask.hpp"
#include "recrl/toolkit/linear_arms.hpp"

namespace recrl::toolkit {

// What the linear contextual bandits (eps_greedy, linucb, lin_ts, squarecb) share, so that each
// plugin file holds only its exploration rule. A bandit learns online: observe() adds every
// step's (observation, action, reward) to the chosen action's ridge regression (LinearArms) at
// once, so update() is never due. Each step is one decision: episodes of any length are read as
// independent contexts. Greedy mode (evaluation, `recommend`) plays the best predicted reward;
// Explore mode (training) plays the plugin's rule. The saved policy and the training state are
// the same: the regressions and the count of steps learned from. Nothing allocates per step.
// A bandit also learns offline from another policy's log (learn_from_log, `recrl fit`).
class RECRL_API LinearBandit : public Algorithm {
 public:
  // The parameters every linear bandit has (lambda), added to a plugin's schema.
  static void add_common_params(ParamSchema& schema);

  LinearBandit(const Params& params, const PluginContext& ctx, const std::string& algorithm);

  void act(const ObsBatch& obs, ActMode mode, Rng& rng, std::span<int> actions) final;
  bool observe(const StepBatch& step) final;
  void update(Rng& rng, Metrics& metrics) final;
  void save(std::ostream& out) const final;
  void load(std::istream& in) final;
  bool supports_checkpoints() const final { return true; }
  bool action_probabilities(const ObsBatch& obs, ActMode mode, Matrix& probs) const final;
  // Logged rows update the chosen action's regression with their weights (docs/fit.md).
  bool learn_from_log(const LoggedBatch& batch) final;
  // The predicted reward of the greedy action.
  bool state_values(const ObsBatch& obs, Vector& values) const final;
  // Every action's predicted reward theta_a . x.
  bool action_scores(const ObsBatch& obs, Matrix& scores) const final;

 protected:
  // At the context arms() holds (set_context done) and among the actions allowed() there: the
  // action to play while exploring, drawn from `rng` where the rule is random.
  virtual int explore(Rng& rng) const = 0;
  // At that context: the probability of each action under explore(), into `probs` (size K),
  // 0 for an action that is not allowed.
  virtual void explore_probabilities(std::span<double> probs) const = 0;

  const LinearArms& arms() const { return arms_; }
  int n_actions() const { return arms_.actions(); }
  // The actions allowed at the current context (docs/masks.md): all of them without masks.
  const AllowedActions& allowed() const { return allowed_; }
  // Steps learned from so far, t (schedules of epsilon and gamma are functions of it).
  std::int64_t steps() const { return steps_; }
  // argmax_a theta_a . x over the allowed actions at the current context (the first on ties).
  int best_mean() const;

 private:
  // Moves to column j of a batch: the regressions' context and the allowed actions.
  void set_context(const ObsBatch& obs, Eigen::Index j) const;

  LinearArms arms_;
  mutable AllowedActions allowed_;
  std::int64_t steps_ = 0;
  std::string algorithm_;
  mutable std::vector<double> probs_;  // scratch of action_probabilities
};

}  // namespace recrl::toolkit
