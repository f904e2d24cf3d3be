#pragma once

#include <iosfwd>
#include <span>
#include <string>
#include <variant>

#include <Eigen/Core>

#include "recrl/core/algorithm.hpp"
#include "recrl/core/export.hpp"
#include "recrl/core/params.hpp"
#include "recrl/core/random.hpp"
#include "recrl/core/types.hpp"
#include "recrl/toolkit/action_mask.hpp"
#include "recrl/toolkit/categorical.hpp"
#include "recrl/toolkit/mlp.hpp"
#include "recrl/toolkit/optimizers.hpp"
#include "recrl/toolkit/policy_kwargs.hpp"

namespace recrl::toolkit {

// SB3's ActorCriticPolicy defaults: separate pi and vf networks [64, 64], tanh, ortho_init.
RECRL_API PolicyKwargs actor_critic_policy_defaults();

// Refuses networks whose training (both networks with their gradients and the optimiser's
// moments, batches of up to max_batch samples, set by `batch_param`) would need more than
// memory_limit(); see require_network_memory.
RECRL_API void require_actor_critic_memory(const Params& params, const PolicyKwargs& kwargs,
                                           Eigen::Index obs_dim, Eigen::Index n_actions,
                                           Eigen::Index max_batch, const std::string& batch_param);

// The optimiser over both networks: Adam (SB3's default for PPO, with eps 1e-5) or RMSprop
// (A2C's, alpha 0.99).
struct OptimizerSettings {
  enum class Kind { Adam, RmsProp };
  Kind kind = Kind::Adam;
  double learning_rate = 3e-4;
  double eps = 1e-5;
  double rms_prop_alpha = 0.99;
};

// SB3's ActorCriticPolicy for discrete actions (common/policies.py): a policy MLP (observation
// -> logits) and a value MLP (observation -> V), a categorical distribution over the logits,
// and one optimiser over both networks. The nouns PPO and A2C share; their losses and update
// loops live in their plugins. Every buffer is sized for `max_batch` columns in the
// constructor, so acting, evaluating and stepping allocate nothing.
class RECRL_API ActorCriticPolicy {
 public:
  using ConstBatch = Mlp<float>::ConstBatch;

  ActorCriticPolicy(Eigen::Index obs_dim, Eigen::Index n_actions, const PolicyKwargs& kwargs,
                    const OptimizerSettings& optimizer, Eigen::Index max_batch);

  // SB3 draws the weights when the model is built; a plugin's constructor has no random stream,
  // so the first act() or update() draws them (ActorCriticPolicy._build: orthogonal with gain
  // sqrt(2) for hidden layers, 0.01 for the action head, 1 for the value head, zero biases; or
  // torch's default without ortho_init).
  void initialize_once(Rng& rng);
  // load() counts as initialisation.
  bool initialized() const { return initialized_; }

  // Every `allowed` below is an ActionMask over the columns of `obs` (docs/masks.md): the
  // distribution is sb3-contrib's MaskablePPO's, the logits of forbidden actions replaced by
  // kMaskedLogit, so they have probability 0 and the entropy is over the allowed ones. An
  // empty mask changes nothing.

  // The most likely action of each column of obs [obs_dim x n] (SB3's deterministic predict).
  void act_greedy(const Matrix& obs, ActionMask allowed, std::span<int> actions);
  // Samples an action per column, with log pi(action | obs) and V(obs) into [1 x n] rows.
  void act_sample(const Matrix& obs, ActionMask allowed, Rng& rng, std::span<int> actions,
                  Eigen::Ref<Matrix> log_probs, Eigen::Ref<Matrix> values);
  // V(obs) [1 x n].
  ConstBatch values(const Eigen::Ref<const Matrix>& obs);

  // SB3's evaluate_actions: sets distribution() to pi(. | obs) and returns V(obs), keeping both
  // networks' activations for backward().
  ConstBatch evaluate(const Eigen::Ref<const Matrix>& obs, ActionMask allowed);
  const Categorical<float>& distribution() const { return dist_; }

  // loss.backward() and clip_grad_norm_ over both networks, from the loss gradient with respect
  // to the logits [A x n] and the values [1 x n] of the last evaluate(). Returns the global norm
  // before clipping (not finite: the gradients are left as they are; callers stop the run).
  float backward(const Eigen::Ref<const Matrix>& grad_logits,
                 const Eigen::Ref<const Matrix>& grad_values, float max_grad_norm);
  void set_learning_rate(double learning_rate);
  // optimizer.step() on both networks with the gradients of the last backward().
  void optimizer_step();
  // Floating-point operations of one evaluate() and backward() over `batch` columns.
  double update_flops(Eigen::Index batch) const;

  // What act() draws from [A x n]: pi(. | obs) in Explore mode, a single 1 on its mode (the
  // first most likely action) in Greedy mode; and V(obs) [n], for explanations and tools.
  void probabilities(const Matrix& obs, ActionMask allowed, ActMode mode, Matrix& probs) const;
  // The actor's logits, [n_actions x n]: what Greedy mode takes the argmax of (among the allowed
  // actions; the logits themselves are not masked).
  void logits(const Matrix& obs, Matrix& out) const;
  void state_values(const Matrix& obs, Vector& values) const;

  // Both networks (Mlp::save: shapes, then parameters); load() checks the shapes.
  void save(std::ostream& out) const;
  void load(std::istream& in);
  // Whether the weights were drawn, the networks and the optimiser's moments, for training
  // checkpoints.
  void save_training_state(std::ostream& out) const;
  void load_training_state(std::istream& in);

  const Mlp<float>& policy_net() const { return pi_; }
  const Mlp<float>& value_net() const { return vf_; }

 private:
  // dist_ from the policy network's logits, masked where `allowed` says.
  void set_distribution(ConstBatch logits, ActionMask allowed) const;

  using Optimizer = std::variant<Adam<float>, RmsProp<float>>;
  static Optimizer make_optimizer(const OptimizerSettings& s, Eigen::Index size);

  bool ortho_init_;
  bool initialized_ = false;
  mutable Mlp<float> pi_;  // mutable: forward() keeps activations
  mutable Mlp<float> vf_;
  mutable Categorical<float> dist_;
  mutable Matrix masked_logits_;  // [A x max_batch] scratch of set_distribution()
  Optimizer pi_optimizer_;
  Optimizer vf_optimizer_;
};

}  // namespace recrl::toolkit
