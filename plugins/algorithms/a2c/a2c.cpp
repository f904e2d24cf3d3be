// a2c: synchronous Advantage Actor-Critic (Mnih et al. 2016) as Stable-Baselines3 2.x
// implements it. A2C is the on-policy actor-critic machinery of PPO with one epoch, one
// minibatch holding the whole rollout, the plain policy-gradient loss and RMSprop (Huang et al.
// 2022, "A2C is a special case of PPO"), so it runs on recrl/toolkit/actor_critic.hpp too.
//
// Implementation details (SB3 = stable_baselines3/, file names relative to it):
//  1. Parameters and defaults are SB3's A2C.__init__ (a2c/a2c.py): learning_rate 7e-4,
//     n_steps 5, gamma 0.99, gae_lambda 1.0 (Monte-Carlo advantages bootstrapped at the end of
//     the rollout), ent_coef 0, vf_coef 0.5, max_grad_norm 0.5, rms_prop_eps 1e-5,
//     use_rms_prop True, normalize_advantage False. learning_rate takes rl-zoo's "lin_<x>",
//     evaluated at progress_remaining = 1 - num_timesteps / total_timesteps after each rollout.
//  2. Optimiser: RMSprop(alpha=0.99, eps=rms_prop_eps, weight_decay=0) over both networks
//     (a2c.py __init__ sets policy_kwargs optimizer_class / optimizer_kwargs), or with
//     use_rms_prop false ActorCriticPolicy's default Adam(eps=1e-5).
//  3. Policy: as PPO's, SB3's ActorCriticPolicy: separate pi and vf MLPs [64, 64], tanh,
//     orthogonal init (gains sqrt(2) hidden, 0.01 action head, 1 value head), zero biases
//     (common/policies.py ActorCriticPolicy._build).
//  4. Rollouts of n_steps per environment copy; time-limit truncations bootstrapped with
//     reward += gamma * V(terminal observation) (common/on_policy_algorithm.py
//     collect_rollouts); GAE(lambda) (common/buffers.py compute_returns_and_advantage).
//  5. One gradient step per rollout on all n_steps * n_envs samples (a2c.py train,
//     rollout_buffer.get(batch_size=None)). Advantages normalised only when
//     normalize_advantage (unbiased std + 1e-8, "not present in the original implementation").
//  6. Loss = -mean(A log pi(a)) + ent_coef * -mean(entropy) + vf_coef * mse(returns, V);
//     gradients of both networks clipped together to global norm max_grad_norm
//     (torch.nn.utils.clip_grad_norm_), then one optimiser step.
//  7. Metrics are SB3's logger keys: train/n_updates, train/explained_variance,
//     train/entropy_loss, train/policy_loss, train/value_loss, train/learning_rate.
//  8. Acting: Explore samples from the categorical policy, Greedy takes its mode. Weights are
//     drawn from the run's algorithm stream on first use.
#include <istream>
#include <ostream>
#include <string>

#include "recrl/plugin/export.hpp"
#include "recrl/toolkit/actor_critic.hpp"
#include "recrl/toolkit/on_policy_params.hpp"
#include "recrl/toolkit/policy_kwargs.hpp"

namespace {

class A2c final : public recrl::toolkit::ActorCriticAlgorithm {
 public:
  static recrl::ParamSchema schema() {
    recrl::ParamSchema s;
    s.node("learning_rate", recrl::Value::real(7e-4),
           "optimiser step size: a number > 0 or lin_<x> (linear to 0)");
    s.integer("n_steps", 5, "steps per environment copy per update").at_least(1);
    s.real("gamma", 0.99, "discount factor").range(0, 1);
    s.real("gae_lambda", 1.0, "GAE bias-variance trade-off (1: Monte-Carlo advantages)")
        .range(0, 1);
    s.real("ent_coef", 0.0, "entropy bonus coefficient").at_least(0);
    s.real("vf_coef", 0.5, "value loss coefficient").at_least(0);
    s.real("max_grad_norm", 0.5, "global gradient-norm clip").greater_than(0);
    s.real("rms_prop_eps", 1e-5, "RMSprop epsilon (stabilises the square root)").greater_than(0);
    s.boolean("use_rms_prop", true, "RMSprop (as the original A2C); false: Adam with eps 1e-5");
    s.boolean("normalize_advantage", false, "normalise the rollout's advantages");
    s.node(
        "policy_kwargs",
        recrl::toolkit::policy_kwargs_value(recrl::toolkit::actor_critic_policy_defaults(), true),
        "net_arch, activation_fn, ortho_init: a map or rl-zoo's dict(...) string");
    return s;
  }

  A2c(const recrl::Params& p, const recrl::PluginContext& ctx)
      : ActorCriticAlgorithm(settings(p, ctx), ctx) {}

  void update(recrl::Rng& rng, recrl::Metrics& metrics) override {
    const recrl::toolkit::OnPolicyUpdateStats st = ac_.update(rng);
    metrics.push_back({"train/n_updates", static_cast<double>(ac_.n_updates())});
    if (st.explained_variance)
      metrics.push_back({"train/explained_variance", *st.explained_variance});
    metrics.push_back({"train/entropy_loss", st.entropy_loss});
    metrics.push_back({"train/policy_loss", st.policy_loss});
    metrics.push_back({"train/value_loss", st.value_loss});
    metrics.push_back({"train/learning_rate", st.learning_rate});
    metrics.push_back({recrl::kUpdateFlopsMetric, st.flops});
  }

 private:
  static recrl::toolkit::OnPolicySettings settings(const recrl::Params& p,
                                                   const recrl::PluginContext& ctx) {
    recrl::toolkit::OnPolicySettings s = recrl::toolkit::read_on_policy_settings(
        p, ctx, "a2c", ctx.total_timesteps);
    // One minibatch of the whole rollout, one epoch, no ratio clipping, no KL stop.
    s.batch_size = s.n_steps * ctx.n_envs;
    s.n_epochs = 1;
    s.clipped_surrogate = false;
    s.clip_range_vf.reset();
    s.target_kl.reset();
    if (p.get_bool("use_rms_prop")) {
      s.optimizer = recrl::toolkit::OnPolicyOptimizer::RmsProp;
      s.optimizer_eps = p.get_double("rms_prop_eps");
      s.rms_prop_alpha = 0.99;
    } else {
      s.optimizer = recrl::toolkit::OnPolicyOptimizer::Adam;
      s.optimizer_eps = 1e-5;
    }
    return s;
  }

};

}  // namespace

RECRL_ALGORITHM_PLUGIN(A2c, "a2c", "1.0.0", "Advantage Actor-Critic (Stable-Baselines3's A2C)")
