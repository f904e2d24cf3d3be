#pragma once

#include <cstdint>
#include <iosfwd>
#include <span>
#include <vector>

#include "recrl/core/dense_network.hpp"
#include "recrl/core/random.hpp"
#include "recrl/core/types.hpp"

namespace recrl {

enum class ActMode { Explore, Greedy };

// Which actions may be chosen, [n_actions x n] bytes in column-major order (column j is
// allowed[j * n_actions, (j + 1) * n_actions)), 1 where allowed; empty when every action is
// (an environment without masks, docs/masks.md). toolkit/action_mask.hpp reads it.
using ActionMask = std::span<const std::uint8_t>;

// A batch of observations, one column per environment copy: [obs_dim x n].
struct ObsBatch {
  const Matrix& obs;  // what learners see: normalised when the run normalises observations
  const Matrix& raw;  // the environment's own values, for rule-based policies (oracle)
  // The actions allowed in each column: act() never chooses another one, and
  // action_probabilities() gives the others probability 0.
  ActionMask allowed = {};
};

// What followed one act() over all environment copies.
struct StepBatch {
  const Matrix& obs;             // [obs_dim x n] the observations acted on (as in ObsBatch::obs)
  std::span<const int> actions;  // [n]
  const Vector& rewards;         // [n]
  const Matrix& next_obs;        // [obs_dim x n] what the next act() sees (auto-reset applied)
  const Matrix& final_obs;       // [obs_dim x n] the observation that really followed: equal to
                                 // next_obs except where an episode ended (then its last one)
  std::span<const std::uint8_t> terminated;  // [n] 1 where the episode reached a terminal state
  std::span<const std::uint8_t> truncated;   // [n] 1 where it was cut short (time limit)
  ActionMask allowed = {};                   // what was allowed at `obs` (as ObsBatch::allowed)
  ActionMask final_allowed = {};  // what is allowed at `final_obs` (for a target's max over
                                  // the next state's actions); empty without masks
};

// Decisions another policy logged, for learning offline (`recrl fit`, docs/fit.md).
struct LoggedBatch {
  const Matrix& obs;                // [obs_dim x n] the contexts, as act() would see them
  std::span<const int> actions;     // [n] the logged actions
  std::span<const double> rewards;  // [n] what they earned
  // [n] each row's importance weight: 1 / propensity when the fit corrects for the logger's
  // choices (possibly clipped), 1 when it does not.
  std::span<const double> weights;
};

// A named scalar from an update, e.g. {"losses/value_loss", 0.12}. Names are string literals
// (they live as long as the plugin stays loaded, which is the whole process).
struct Metric {
  const char* name;
  double value;
};
using Metrics = std::vector<Metric>;

// Optional: an update may report the floating-point operations of its matrix products under
// this name (e.g. toolkit::Mlp::forward_flops); the runner sums it into the run's update_flops
// (`recrl bench` shows GFLOP/s) and keeps it out of metrics.csv.
inline constexpr const char* kUpdateFlopsMetric = "perf/update_flops";

// A learning (or fixed) policy. The runner owns the interaction loop, so every algorithm sees
// the same environments, evaluation and logging: act, observe what followed, update when
// observe() says so. Constructed valid from (Params, PluginContext); called from one thread.
class Algorithm {
 public:
  Algorithm() = default;
  Algorithm(const Algorithm&) = delete;
  Algorithm& operator=(const Algorithm&) = delete;
  virtual ~Algorithm() = default;

  // Writes one action per column of `obs` into `actions` (size obs.obs.cols()).
  virtual void act(const ObsBatch& obs, ActMode mode, Rng& rng, std::span<int> actions) = 0;
  // Records a step; returns true when update() should run now.
  virtual bool observe(const StepBatch& batch) = 0;
  // Learns from what was observed; appends what it measured to `metrics`.
  virtual void update(Rng& rng, Metrics& metrics) = 0;
  // Everything needed to act again after load(): weights, optimiser state need not be included.
  virtual void save(std::ostream& out) const = 0;
  virtual void load(std::istream& in) = 0;

  // Optional: checkpoints of training runs (docs/checkpoints.md), which let `recrl run --resume`
  // continue an interrupted run where it stood. An algorithm says it can through this one query
  // (the default: it cannot, and an experiment that asks it to checkpoint is refused before
  // anything runs). Its training state is what lets an object constructed with the same
  // parameters and context, after load_training_state(), act, observe and update exactly as the
  // saved one would have, bit for bit given the same random streams (which are the caller's and
  // not included). By default that is what save() writes: enough for an algorithm whose policy
  // is all it keeps (a fixed rule, a bandit's statistics). A learner that keeps more (optimiser
  // moments, buffers and their positions, schedule progress, counters) overrides both.
  virtual bool supports_checkpoints() const { return false; }
  virtual void save_training_state(std::ostream& out) const { save(out); }
  virtual void load_training_state(std::istream& in) { load(in); }

  // Optional: the probabilities act() draws its actions from in `mode`, [n_actions x n]: each
  // action's propensity, which interaction logs and off-policy evaluation need. A deterministic
  // choice is a column with a single 1. False where the policy has none.
  virtual bool action_probabilities(const ObsBatch& obs, ActMode mode, Matrix& probs) const {
    static_cast<void>(obs);
    static_cast<void>(mode);
    static_cast<void>(probs);
    return false;
  }
  // Optional: the scores Greedy mode ranks the actions by, [n_actions x n]: a policy network's
  // logits, Q-values, a bandit's predicted rewards, the expected rewards an oracle knows.
  // Explanations (`recrl explain`, docs/explain.md) attribute the chosen action's margin over
  // the runner-up to the features. False where the policy has none (a uniform random one).
  virtual bool action_scores(const ObsBatch& obs, Matrix& scores) const {
    static_cast<void>(obs);
    static_cast<void>(scores);
    return false;
  }
  // Optional: the dense network whose outputs, one per action, are action_scores() of
  // ObsBatch::obs (a policy network's logits, a Q-network), as views into the algorithm's
  // parameters. The explainer then runs its coalitions of features through the layers itself:
  // a coalition's first layer is a sum of precomputed parts, and of the last layer it needs
  // only two rows. False where the scores are not one such network's outputs.
  virtual bool score_network(DenseNetwork& network) const {
    static_cast<void>(network);
    return false;
  }
  // Optional: learns from decisions another policy logged (`recrl fit`), each row counted with
  // its weight, as if it had been observed online. False where the algorithm cannot (the
  // default: learners that need their own rollouts, such as PPO).
  virtual bool learn_from_log(const LoggedBatch& batch) {
    static_cast<void>(batch);
    return false;
  }
  // Optional: the value estimate of each observation, [n]. False where it has none.
  virtual bool state_values(const ObsBatch& obs, Vector& values) const {
    static_cast<void>(obs);
    static_cast<void>(values);
    return false;
  }
};

}  // namespace recrl
