// ppo: Proximal Policy Optimization (clip version, Schulman et al. 2017) as Stable-Baselines3
// 2.x implements it, on the shared actor-critic machinery of recrl/toolkit/actor_critic.hpp.
//
// Implementation details (SB3 = stable_baselines3/, file names relative to it):
//  1. Parameters and defaults are SB3's PPO.__init__ (ppo/ppo.py): learning_rate 3e-4,
//     n_steps 2048, batch_size 64, n_epochs 10, gamma 0.99, gae_lambda 0.95, clip_range 0.2,
//     clip_range_vf None, normalize_advantage True, ent_coef 0, vf_coef 0.5, max_grad_norm 0.5,
//     target_kl None. learning_rate and clip_range take rl-zoo's "lin_<x>" schedules, evaluated
//     at progress_remaining = 1 - num_timesteps / total_timesteps after each rollout
//     (common/base_class.py _update_current_progress_remaining, _update_learning_rate).
//  2. Policy: separate policy and value MLPs, net_arch dict(pi=[64, 64], vf=[64, 64]), tanh,
//     orthogonal init with gain sqrt(2) for hidden layers, 0.01 for the action head, 1 for the
//     value head, zero biases (common/policies.py ActorCriticPolicy._build; torch_layers.py
//     MlpExtractor). One optimiser over both networks: Adam with eps 1e-5
//     (ActorCriticPolicy.__init__ "Small values to avoid NaN in Adam optimizer").
//  3. Rollouts of n_steps per environment copy with the stochastic policy; time-limit
//     truncations are bootstrapped, reward += gamma * V(terminal observation) (common/
//     on_policy_algorithm.py collect_rollouts, SB3 issue #633); GAE(lambda) with the value of
//     the observation after the rollout (common/buffers.py compute_returns_and_advantage).
//  4. Each epoch visits the n_steps * n_envs samples once in a fresh random order, in
//     minibatches of batch_size (the last one shorter when it does not divide; SB3 warns, so do
//     we) (buffers.py RolloutBuffer.get).
//  5. Advantages are normalised per minibatch with the unbiased std: (A - mean) / (std + 1e-8),
//     skipped for a minibatch of one (ppo.py train; SB3 issue #325).
//  6. Loss = -mean(min(A r, A clip(r, 1 - c, 1 + c))) + ent_coef * -mean(entropy)
//     + vf_coef * mse(returns, V), with V optionally clipped to old V +- clip_range_vf.
//  7. Gradients of both networks are clipped together to global norm max_grad_norm
//     (torch.nn.utils.clip_grad_norm_ over policy.parameters()), then one optimiser step.
//  8. approx_kl = mean((r - 1) - log r) (Schulman's k3; SB3 PR #419). With target_kl, a
//     minibatch whose approx_kl exceeds 1.5 * target_kl stops training for this rollout
//     before its optimiser step.
//  9. Metrics are SB3's logger keys: train/entropy_loss, train/policy_gradient_loss,
//     train/value_loss, train/approx_kl (last epoch's mean), train/clip_fraction, train/loss
//     (last minibatch), train/explained_variance, train/n_updates (epochs), train/clip_range,
//     train/clip_range_vf, train/learning_rate.
// 10. Acting: Explore samples from the categorical policy, Greedy takes its mode
//     (SB3 predict(deterministic=True)). Weights are drawn from the run's algorithm stream on
//     first use (the plugin constructor has no random stream).
#include <istream>
#include <ostream>
#include <string>

#include <spdlog/logger.h>

#include "recrl/plugin/export.hpp"
#include "recrl/toolkit/actor_critic.hpp"
#include "recrl/toolkit/on_policy_params.hpp"
#include "recrl/toolkit/policy_kwargs.hpp"

namespace {

using recrl::toolkit::kNone;

class Ppo final : public recrl::toolkit::ActorCriticAlgorithm {
 public:
  static recrl::ParamSchema schema() {
    recrl::ParamSchema s;
    s.node("learning_rate", recrl::Value::real(3e-4),
           "Adam step size: a number > 0 or lin_<x> (linear to 0)");
    s.integer("n_steps", 2048, "steps per environment copy per rollout").at_least(1);
    s.integer("batch_size", 64, "minibatch size").at_least(1);
    s.integer("n_epochs", 10, "passes over each rollout").at_least(1);
    s.real("gamma", 0.99, "discount factor").range(0, 1);
    s.real("gae_lambda", 0.95, "GAE bias-variance trade-off (1: Monte-Carlo advantages)")
        .range(0, 1);
    s.node("clip_range", recrl::Value::real(0.2),
           "policy ratio clipping: a number in (0, 1) or lin_<x>");
    s.node("clip_range_vf", recrl::Value::string(kNone),
           "value clipping around the old value, or none");
    s.boolean("normalize_advantage", true, "normalise advantages per minibatch");
    s.real("ent_coef", 0.0, "entropy bonus coefficient").at_least(0);
    s.real("vf_coef", 0.5, "value loss coefficient").at_least(0);
    s.real("max_grad_norm", 0.5, "global gradient-norm clip").greater_than(0);
    s.node("target_kl", recrl::Value::string(kNone),
           "stop a rollout's epochs when approx_kl > 1.5 target_kl, or none");
    s.node(
        "policy_kwargs",
        recrl::toolkit::policy_kwargs_value(recrl::toolkit::actor_critic_policy_defaults(), true),
        "net_arch, activation_fn, ortho_init: a map or rl-zoo's dict(...) string");
    return s;
  }

  Ppo(const recrl::Params& p, const recrl::PluginContext& ctx)
      : ActorCriticAlgorithm(settings(p, ctx), ctx),
        logger_(ctx.logger) {
    const auto& s = ac_.settings();
    const std::int64_t rollout = s.n_steps * ctx.n_envs;
    if (rollout % s.batch_size != 0) {
      logger_->warn(
          "ppo: batch_size {} does not divide n_steps * n_envs = {}; every epoch ends "
          "with a minibatch of {}",
          s.batch_size, rollout, rollout % s.batch_size);
    }
  }

  void update(recrl::Rng& rng, recrl::Metrics& metrics) override {
    const recrl::toolkit::OnPolicyUpdateStats st = ac_.update(rng);
    if (st.stopped_at_epoch) {
      logger_->debug(
          "ppo: approx_kl {:.4f} > 1.5 * target_kl {}, stopping epochs early at epoch {}",
          st.approx_kl_at_stop, *ac_.settings().target_kl, *st.stopped_at_epoch);
    }
    metrics.push_back({"train/entropy_loss", st.entropy_loss});
    metrics.push_back({"train/policy_gradient_loss", st.policy_loss});
    metrics.push_back({"train/value_loss", st.value_loss});
    metrics.push_back({"train/approx_kl", st.approx_kl});
    metrics.push_back({"train/clip_fraction", st.clip_fraction});
    metrics.push_back({"train/loss", st.loss});
    if (st.explained_variance)
      metrics.push_back({"train/explained_variance", *st.explained_variance});
    metrics.push_back({"train/n_updates", static_cast<double>(ac_.n_updates())});
    metrics.push_back({"train/clip_range", st.clip_range});
    if (st.clip_range_vf) metrics.push_back({"train/clip_range_vf", *st.clip_range_vf});
    metrics.push_back({"train/learning_rate", st.learning_rate});
    metrics.push_back({recrl::kUpdateFlopsMetric, st.flops});
  }

 private:
  static recrl::toolkit::OnPolicySettings settings(const recrl::Params& p,
                                                   const recrl::PluginContext& ctx) {
    const std::int64_t budget = ctx.total_timesteps;
    recrl::toolkit::OnPolicySettings s =
        recrl::toolkit::read_on_policy_settings(p, ctx, "ppo", budget);
    s.batch_size = p.get_int("batch_size");
    s.n_epochs = p.get_int("n_epochs");
    s.clipped_surrogate = true;
    s.clip_range = recrl::toolkit::read_schedule(p, "clip_range", budget);
    if (!(s.clip_range.initial() < 1.0)) {
      throw p.error("clip_range", "expected a number in (0, 1) or lin_<x> with x in (0, 1), got " +
                                      s.clip_range.describe() +
                                      " (a ratio clipped below 0 means nothing)");
    }
    s.clip_range_vf = recrl::toolkit::read_optional_schedule(p, "clip_range_vf", budget);
    s.target_kl = recrl::toolkit::read_optional_number(p, "target_kl");
    if (s.normalize_advantage && s.batch_size < 2) {
      throw p.error("batch_size",
                    "must be > 1 when normalize_advantage is true (a minibatch of one "
                    "has no standard deviation; SB3 asserts this)");
    }
    if (s.batch_size > s.n_steps * ctx.n_envs) {
      throw p.error("batch_size", "must be <= n_steps * n_envs = " + std::to_string(s.n_steps) +
                                      " * " + std::to_string(ctx.n_envs) + " = " +
                                      std::to_string(s.n_steps * ctx.n_envs) +
                                      ", the size of a rollout; got " +
                                      std::to_string(s.batch_size));
    }
    s.optimizer = recrl::toolkit::OnPolicyOptimizer::Adam;
    s.optimizer_eps = 1e-5;
    return s;
  }

  std::shared_ptr<spdlog::logger> logger_;
};

}  // namespace

RECRL_ALGORITHM_PLUGIN(Ppo, "ppo", "1.0.0",
                       "Proximal Policy Optimization (Stable-Baselines3's PPO)")
