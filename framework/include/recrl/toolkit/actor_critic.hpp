#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <iosfwd>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include <Eigen/Core>

#include "recrl/core/algorithm.hpp"
#include "recrl/core/errors.hpp"
#include "recrl/core/export.hpp"
#include "recrl/core/plugin_context.hpp"
#include "recrl/core/random.hpp"
#include "recrl/core/types.hpp"
#include "recrl/toolkit/categorical.hpp"
#include "recrl/toolkit/losses.hpp"
#include "recrl/toolkit/mlp.hpp"
#include "recrl/toolkit/optimizers.hpp"
#include "recrl/toolkit/policy_kwargs.hpp"
#include "recrl/toolkit/rollout_buffer.hpp"
#include "recrl/toolkit/schedule.hpp"

namespace recrl::toolkit {

// The on-policy actor-critic machinery that SB3's PPO and A2C share (OnPolicyAlgorithm,
// ActorCriticPolicy, RolloutBuffer): separate policy and value MLPs, rollout collection from
// the runner's act/observe calls, GAE, and the minibatch update loop. A2C is this machinery
// with one epoch, one minibatch holding the whole rollout, the plain policy-gradient loss and
// RMSprop (Huang et al. 2022, "A2C is a special case of PPO").

// ---------------------------------------------------------------------------------------------
// The loss of one minibatch and its gradients (templated so that tests check it in double)
// ---------------------------------------------------------------------------------------------

template <typename T>
struct ActorCriticLossSettings {
  bool clipped_surrogate = true;  // PPO: -min(A r, A clip(r)); false: A2C's -A log pi
  T clip_range = T(0.2);
  std::optional<T> clip_range_vf;  // SB3's clip_range_vf; nullopt: no value clipping
  T ent_coef = 0;
  T vf_coef = T(0.5);
};

template <typename T>
struct ActorCriticLossTerms {
  T policy_loss = 0;    // pg loss: -mean(min(A r, A clip(r))) or -mean(A log pi)
  T value_loss = 0;     // mean((returns - values_pred)^2)
  T entropy_loss = 0;   // -mean(entropy)
  T loss = 0;           // policy_loss + ent_coef entropy_loss + vf_coef value_loss
  T approx_kl = 0;      // mean((r - 1) - log r) (Schulman's k3 estimator, as SB3)
  T clip_fraction = 0;  // mean(|r - 1| > clip_range); 0 without clipping
};

// SB3's PPO.train / A2C.train loss for one minibatch of n samples, and its gradient with
// respect to the policy logits [A x n] and the value predictions [1 x n] (what the networks'
// backward passes take). Scratch rows are reserved once; compute() allocates nothing.
template <typename T>
class ActorCriticLoss {
 public:
  using Mat = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>;
  using Row = Eigen::Ref<const Mat>;

  void reserve(Eigen::Index max_batch) {
    for (Mat* m : {&log_prob_, &entropy_, &ratio_, &weights_, &values_pred_})
      m->resize(1, max_batch);
  }

  // dist holds the current policy's distributions for the minibatch (set_logits done);
  // advantages are as the loss uses them (normalised already where SB3 normalises). Rows are
  // [1 x n]; grad_logits [A x n] and grad_values [1 x n] are overwritten.
  ActorCriticLossTerms<T> compute(const Categorical<T>& dist, std::span<const int> actions,
                                  const Row& old_log_probs, const Row& advantages,
                                  const Row& returns, const Row& values, const Row& old_values,
                                  const ActorCriticLossSettings<T>& s, Eigen::Ref<Mat> grad_logits,
                                  Eigen::Ref<Mat> grad_values) {
    const Eigen::Index n = dist.batch_size();
    RECRL_ASSERT(n >= 1 && n <= log_prob_.cols(), "ActorCriticLoss: batch larger than reserved");
    const T count = static_cast<T>(n);
    auto log_prob = log_prob_.leftCols(n);
    auto entropy = entropy_.leftCols(n);
    auto ratio = ratio_.leftCols(n);
    auto weights = weights_.leftCols(n);
    dist.log_prob(actions, log_prob);
    dist.entropy(entropy);
    ActorCriticLossTerms<T> terms;

    // The [1 x n] rows go element by element: Eigen's expressions over a Ref with a run-time
    // outer stride treat each column as a one-element vector and spend ~15 instructions per
    // element on its alignment. Sums run from the first element in order, as Eigen's reduction
    // of these rows does.
    // Policy term: weights_i = d policy_loss / d log pi(a_i).
    T kl_sum = 0;
    for (Eigen::Index i = 0; i < n; ++i) {
      const T log_ratio = log_prob(0, i) - old_log_probs(0, i);
      ratio(0, i) = std::exp(log_ratio);
      const T kl = (ratio(0, i) - T(1)) - log_ratio;
      kl_sum = i == 0 ? kl : kl_sum + kl;
    }
    terms.approx_kl = kl_sum / count;
    if (s.clipped_surrogate) {
      const T lo = T(1) - s.clip_range;
      const T hi = T(1) + s.clip_range;
      T surrogate = 0;
      T clipped = 0;
      for (Eigen::Index i = 0; i < n; ++i) {
        const T a = advantages(0, i);
        const T r = ratio(0, i);
        const T unclipped_term = a * r;
        const T clipped_term = a * std::clamp(r, lo, hi);
        // torch.min passes the gradient to the smaller term; where the clipped term is the
        // smaller one, r lies outside [lo, hi] and clamp's gradient is 0. On a tie inside the
        // range both halves carry the same gradient, a r.
        surrogate += std::min(unclipped_term, clipped_term);
        weights(0, i) = unclipped_term <= clipped_term ? -a * r / count : T(0);
        if (std::abs(r - T(1)) > s.clip_range) clipped += T(1);
      }
      terms.policy_loss = -surrogate / count;
      terms.clip_fraction = clipped / count;
    } else {
      T sum = 0;
      for (Eigen::Index i = 0; i < n; ++i) {
        const T term = advantages(0, i) * log_prob(0, i);
        sum = i == 0 ? term : sum + term;
        weights(0, i) = -advantages(0, i) / count;
      }
      terms.policy_loss = -sum / count;
    }
    grad_logits.setZero();
    dist.add_log_prob_gradient(actions, weights, grad_logits);

    // Entropy term: ent_coef * -mean(H). Its gradient is skipped when ent_coef is 0 (SB3's
    // default for both PPO and A2C): it would add zeros, which leave every element's bits as
    // they are (a sum that is +0 stays +0 after subtracting a zero of either sign).
    terms.entropy_loss = -entropy.sum() / count;
    if (s.ent_coef != T(0)) {
      weights.setConstant(-s.ent_coef / count);
      dist.add_entropy_gradient(weights, grad_logits);
    }

    // Value term: vf_coef * mse(returns, values_pred), values_pred optionally clipped around
    // the values at collection time (clamp's gradient is 0 outside the range).
    auto values_pred = values_pred_.leftCols(n);
    for (Eigen::Index i = 0; i < n; ++i) {
      if (s.clip_range_vf) {
        const T c = *s.clip_range_vf;
        const T change = values(0, i) - old_values(0, i);
        values_pred(0, i) = old_values(0, i) + std::min(std::max(change, -c), c);
      } else {
        values_pred(0, i) = values(0, i);
      }
    }
    terms.value_loss = mse_loss(values_pred, returns, grad_values, s.vf_coef);
    if (s.clip_range_vf) {
      const T c = *s.clip_range_vf;
      for (Eigen::Index i = 0; i < n; ++i) {
        grad_values(0, i) *= static_cast<T>(std::abs(values(0, i) - old_values(0, i)) <= c);
      }
    }
    terms.loss = terms.policy_loss + s.ent_coef * terms.entropy_loss + s.vf_coef * terms.value_loss;
    return terms;
  }

 private:
  Mat log_prob_, entropy_, ratio_, weights_, values_pred_;  // [1 x max_batch] each
};

// ---------------------------------------------------------------------------------------------
// The machinery (float32)
// ---------------------------------------------------------------------------------------------

enum class OnPolicyOptimizer { Adam, RmsProp };

// Everything PPO and A2C configure, under SB3's names.
struct OnPolicySettings {
  std::string algorithm;  // plugin name, for messages
  Schedule learning_rate;
  std::int64_t n_steps = 2048;   // steps per environment per rollout
  std::int64_t batch_size = 64;  // minibatch size (A2C: the whole rollout)
  std::int64_t n_epochs = 10;
  double gamma = 0.99;
  double gae_lambda = 0.95;
  bool clipped_surrogate = true;  // PPO's clipped ratio; false: A2C's -A log pi
  Schedule clip_range = Schedule::constant(0.2);
  std::optional<Schedule> clip_range_vf;
  bool normalize_advantage = true;
  double ent_coef = 0.0;
  double vf_coef = 0.5;
  double max_grad_norm = 0.5;
  std::optional<double> target_kl;
  OnPolicyOptimizer optimizer = OnPolicyOptimizer::Adam;
  double optimizer_eps = 1e-5;  // SB3: Adam eps 1e-5 (PPO), RMSprop eps = rms_prop_eps (A2C)
  double rms_prop_alpha = 0.99;
  PolicyKwargs policy;
};

// What one update measured, averaged over its minibatches as SB3 logs them.
struct OnPolicyUpdateStats {
  double policy_loss = 0, value_loss = 0, entropy_loss = 0;
  double approx_kl = 0;  // mean over the last epoch's minibatches (SB3 resets it per epoch)
  double clip_fraction = 0;
  double loss = 0;                           // the last minibatch's total loss
  std::optional<double> explained_variance;  // nullopt where var(returns) = 0 (SB3: nan)
  double learning_rate = 0, clip_range = 0;
  std::optional<double> clip_range_vf;
  std::int64_t epochs_completed = 0;
  std::optional<std::int64_t> stopped_at_epoch;  // target_kl early stop
  double approx_kl_at_stop = 0;
  // Floating-point operations of the update's matrix products (forward and backward passes of
  // both networks over every minibatch; see Mlp::forward_flops), for `recrl bench`.
  double flops = 0;
};

// Owns the policy and value networks, their optimiser, the rollout buffer and every scratch
// buffer, sized in the constructor for n_envs, evaluation batches and minibatches, so that
// act, observe and update allocate nothing in steady state.
class RECRL_API OnPolicyActorCritic {
 public:
  // total_timesteps: the run's training budget, for progress_remaining (SB3 updates it after
  // each rollout); 0 when unknown (then only constant schedules are meaningful).
  OnPolicyActorCritic(OnPolicySettings settings, int obs_dim, int n_actions, int n_envs,
                      std::int64_t total_timesteps);

  const OnPolicySettings& settings() const { return s_; }
  std::int64_t num_timesteps() const { return num_timesteps_; }
  // SB3's _n_updates: epochs run so far (PPO counts one per epoch, A2C one per update).
  std::int64_t n_updates() const { return n_updates_; }

  // Explore: sample from the policy and remember (values, log-probs) for observe();
  // Greedy: the most likely action. Weights are drawn from `rng` on first use (SB3 draws them
  // when the model is built, from the seeded torch generator).
  void act(const Matrix& obs, ActMode mode, Rng& rng, std::span<int> actions);
  // Adds the step to the rollout; true when the rollout is full and GAE is computed.
  bool observe(const StepBatch& batch);
  OnPolicyUpdateStats update(Rng& rng);

  void action_probabilities(const Matrix& obs, Matrix& probs) const;
  void state_values(const Matrix& obs, Vector& values) const;

  // Binary: a tag, then both networks (shapes checked on load; DataError on mismatch).
  void save(std::ostream& out) const;
  void load(std::istream& in);
  // Everything training continues from (networks, optimiser moments, rollout buffer, episode
  // starts, counters), for checkpoints between two act() calls; see Algorithm.
  void save_training_state(std::ostream& out) const;
  void load_training_state(std::istream& in);

  // The networks, for tests and benchmarks.
  const Mlp<float>& policy_net() const { return pi_; }
  const Mlp<float>& value_net() const { return vf_; }

 private:
  using Optimizer = std::variant<Adam<float>, RmsProp<float>>;

  void initialise(Rng& rng);
  Optimizer make_optimizer(Eigen::Index size) const;
  void normalise_advantages(Eigen::Index n);
  double explained_variance() const;

  OnPolicySettings s_;
  int obs_dim_;
  int n_actions_;
  int n_envs_;
  std::int64_t total_timesteps_;
  std::int64_t num_timesteps_ = 0;
  std::int64_t n_updates_ = 0;
  bool initialised_ = false;

  mutable Mlp<float> pi_;  // obs -> logits; mutable: forward() keeps activations
  mutable Mlp<float> vf_;  // obs -> V(obs)
  mutable Categorical<float> dist_;
  Optimizer pi_optimizer_;
  Optimizer vf_optimizer_;
  ActorCriticLoss<float> loss_;
  RolloutBuffer buffer_;
  RolloutMinibatch minibatch_;

  // Collection state.
  Matrix pending_values_;     // [1 x n_envs] V(obs) of the last explore act()
  Matrix pending_log_probs_;  // [1 x n_envs] log pi(action | obs) of the last explore act()
  std::vector<std::uint8_t> episode_starts_;  // [n_envs] SB3's _last_episode_starts
  std::vector<std::uint8_t> dones_;           // [n_envs] terminated or truncated, last step
  Matrix last_values_;  // [1 x n_envs] V(next_obs) after the last step of a rollout

  // Update scratch, [.. x batch_size].
  Matrix advantages_;   // [1 x B] (normalised) advantages of the minibatch
  Matrix grad_logits_;  // [A x B]
  Matrix grad_values_;  // [1 x B]
};

// The Algorithm side of an actor-critic plugin (PPO, A2C): acting, observing, saving and the
// optional probabilities and values all go to the shared core; a plugin adds its schema, its
// settings and update(), which reports its own metrics.
class ActorCriticAlgorithm : public Algorithm {
 public:
  ActorCriticAlgorithm(OnPolicySettings settings, const PluginContext& ctx)
      : ac_(std::move(settings), ctx.env->observation.size, ctx.env->action.size, ctx.n_envs,
            ctx.total_timesteps) {}

  void act(const ObsBatch& obs, ActMode mode, Rng& rng, std::span<int> actions) override {
    ac_.act(obs.obs, mode, rng, actions);
  }
  bool observe(const StepBatch& batch) override { return ac_.observe(batch); }
  void save(std::ostream& out) const override { ac_.save(out); }
  void load(std::istream& in) override { ac_.load(in); }
  bool supports_checkpoints() const override { return true; }
  void save_training_state(std::ostream& out) const override { ac_.save_training_state(out); }
  void load_training_state(std::istream& in) override { ac_.load_training_state(in); }
  bool action_probabilities(const ObsBatch& obs, Matrix& probs) const override {
    ac_.action_probabilities(obs.obs, probs);
    return true;
  }
  bool state_values(const ObsBatch& obs, Vector& values) const override {
    ac_.state_values(obs.obs, values);
    return true;
  }

 protected:
  OnPolicyActorCritic ac_;
};

}  // namespace recrl::toolkit
