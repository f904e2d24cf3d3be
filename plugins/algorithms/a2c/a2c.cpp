// a2c: synchronous Advantage Actor-Critic (Mnih et al. 2016) as Stable-Baselines3 2.x
// implements it. Read top to bottom: the loss of one rollout, then the algorithm's parameters,
// acting, rollout collection and the update. The nouns (networks, the categorical distribution,
// optimisers, the rollout buffer with GAE) are recrl/toolkit's, shared with ppo: A2C is PPO
// with one epoch, one minibatch holding the whole rollout, the plain policy-gradient loss and
// RMSprop (Huang et al. 2022, "A2C is a special case of PPO"). Under action masks
// (docs/masks.md) the distribution is MaskablePPO's masked categorical.
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
//  5. One gradient step per rollout on all n_steps * n_envs samples, in the random order of
//     rollout_buffer.get(batch_size=None) (a2c.py train). Advantages normalised only when
//     normalize_advantage (unbiased std + 1e-8, "not present in the original implementation").
//  6. Loss = -mean(A log pi(a)) + ent_coef * -mean(entropy) + vf_coef * mse(returns, V);
//     gradients of both networks clipped together to global norm max_grad_norm
//     (torch.nn.utils.clip_grad_norm_), then one optimiser step.
//  7. Metrics are SB3's logger keys: train/n_updates, train/explained_variance,
//     train/entropy_loss, train/policy_loss, train/value_loss, train/learning_rate.
//  8. Acting: Explore samples from the categorical policy, Greedy takes its mode. Weights are
//     drawn from the run's algorithm stream on first use.
#include <algorithm>
#include <cmath>
#include <istream>
#include <ostream>
#include <string>

#include <fmt/format.h>

#include "recrl/plugin/export.hpp"
#include "recrl/toolkit/actor_critic_policy.hpp"
#include "recrl/toolkit/binary_io.hpp"
#include "recrl/toolkit/losses.hpp"
#include "recrl/toolkit/memory_check.hpp"
#include "recrl/toolkit/on_policy_rollout.hpp"
#include "recrl/toolkit/schedule.hpp"
#include "recrl/toolkit/spaces_check.hpp"

namespace {

using recrl::Matrix;
using recrl::toolkit::Schedule;

// ---------------------------------------------------------------------------------------------
// The loss of one rollout and its gradient (templated: the tests check it in double)
// ---------------------------------------------------------------------------------------------

template <typename T>
struct A2cLossTerms {
  T policy_loss = 0;   // -mean(A log pi(a))
  T value_loss = 0;    // mean((returns - V)^2)
  T entropy_loss = 0;  // -mean(entropy)
  T loss = 0;          // policy_loss + ent_coef entropy_loss + vf_coef value_loss
};

// A2C.train's loss for n samples, with its gradient with respect to the logits [A x n] and the
// values [1 x n]. Rows are [1 x n]; scratch is reserved once; compute() allocates nothing. Rows
// are walked element by element, sums from the first element in order.
template <typename T>
class A2cLoss {
 public:
  using Mat = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>;
  using Row = Eigen::Ref<const Mat>;

  void reserve(Eigen::Index max_batch) {
    for (Mat* m : {&log_prob_, &entropy_, &weights_}) m->resize(1, max_batch);
  }

  A2cLossTerms<T> compute(const recrl::toolkit::Categorical<T>& dist, std::span<const int> actions,
                          const Row& advantages, const Row& returns, const Row& values, T ent_coef,
                          T vf_coef, Eigen::Ref<Mat> grad_logits, Eigen::Ref<Mat> grad_values) {
    const Eigen::Index n = dist.batch_size();
    RECRL_ASSERT(n >= 1 && n <= log_prob_.cols(), "A2cLoss: batch larger than reserved");
    const T count = static_cast<T>(n);
    auto log_prob = log_prob_.leftCols(n);
    auto entropy = entropy_.leftCols(n);
    auto weights = weights_.leftCols(n);
    dist.log_prob(actions, log_prob);
    dist.entropy(entropy);
    A2cLossTerms<T> terms;

    // Policy gradient loss; weights_i = d policy_loss / d log pi(a_i).
    T sum = 0;
    for (Eigen::Index i = 0; i < n; ++i) {
      const T term = advantages(0, i) * log_prob(0, i);
      sum = i == 0 ? term : sum + term;
      weights(0, i) = -advantages(0, i) / count;
    }
    terms.policy_loss = -sum / count;
    grad_logits.setZero();
    dist.add_log_prob_gradient(actions, weights, grad_logits);

    // Entropy bonus; its gradient is skipped when ent_coef is 0 (it would add zeros).
    terms.entropy_loss = -entropy.sum() / count;
    if (ent_coef != T(0)) {
      weights.setConstant(-ent_coef / count);
      dist.add_entropy_gradient(weights, grad_logits);
    }

    terms.value_loss = recrl::toolkit::mse_loss(values, returns, grad_values, vf_coef);
    terms.loss = terms.policy_loss + ent_coef * terms.entropy_loss + vf_coef * terms.value_loss;
    return terms;
  }

 private:
  Mat log_prob_, entropy_, weights_;  // [1 x max_batch] each
};

// ---------------------------------------------------------------------------------------------
// The algorithm
// ---------------------------------------------------------------------------------------------

// The policy file's and the checkpoint's formats (PPO and A2C share the policy's).
constexpr char kPolicyTag[] = "recrl.actor_critic.1";
constexpr char kTrainingTag[] = "recrl.a2c.training.1";
// Evaluation acts on up to this many episodes at once: the widest batch besides the rollout.
constexpr Eigen::Index kEvalBatch = 64;

class A2c final : public recrl::Algorithm {
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
      : s_(read_settings(p, ctx)),
        n_envs_(ctx.n_envs),
        total_timesteps_(ctx.total_timesteps),
        rollout_size_(s_.n_steps * ctx.n_envs),
        policy_(ctx.env->observation.size, ctx.env->action.size, s_.policy, s_.optimizer,
                std::max<Eigen::Index>({rollout_size_, ctx.n_envs, kEvalBatch})),
        rollout_(s_.n_steps, ctx.n_envs, ctx.env->observation.size, s_.gamma, s_.gae_lambda),
        advantages_(1, rollout_size_),
        grad_logits_(ctx.env->action.size, rollout_size_),
        grad_values_(1, rollout_size_) {
    loss_.reserve(rollout_size_);
    samples_.reserve(ctx.env->observation.size, rollout_size_);
  }

  void act(const recrl::ObsBatch& obs, recrl::ActMode mode, recrl::Rng& rng,
           std::span<int> actions) override {
    policy_.initialize_once(rng);
    if (mode == recrl::ActMode::Greedy) return policy_.act_greedy(obs.obs, obs.allowed, actions);
    policy_.act_sample(obs.obs, obs.allowed, rng, actions, rollout_.pending_log_probs(),
                       rollout_.pending_values());
  }

  bool observe(const recrl::StepBatch& batch) override {
    num_timesteps_ += n_envs_;
    return rollout_.add(batch, policy_);
  }

  void update(recrl::Rng& rng, recrl::Metrics& metrics) override {
    policy_.initialize_once(rng);
    recrl::toolkit::RolloutBuffer& buffer = rollout_.buffer();
    RECRL_ASSERT(buffer.full(), "a2c: update() without a full rollout");
    const double progress = recrl::toolkit::progress_remaining(num_timesteps_, total_timesteps_);
    const double learning_rate = s_.learning_rate.value(progress);
    policy_.set_learning_rate(learning_rate);

    buffer.shuffle(rng);
    buffer.gather_minibatch(0, rollout_size_, samples_);
    const Eigen::Index n = samples_.size;
    const auto values = policy_.evaluate(samples_.obs.leftCols(n), samples_.allowed_span());
    advantages_.leftCols(n) = samples_.advantages.leftCols(n);
    if (s_.normalize_advantage) recrl::toolkit::normalize_advantages(advantages_, n);
    const A2cLossTerms<float> terms = loss_.compute(
        policy_.distribution(), samples_.action_span(), advantages_.leftCols(n),
        samples_.returns.leftCols(n), values, static_cast<float>(s_.ent_coef),
        static_cast<float>(s_.vf_coef), grad_logits_.leftCols(n), grad_values_.leftCols(n));
    const float norm =
        policy_.backward(grad_logits_.leftCols(n), grad_values_.leftCols(n), s_.max_grad_norm);
    if (!std::isfinite(norm) || !std::isfinite(terms.loss)) {
      throw recrl::NumericalError(fmt::format(
          "algorithm 'a2c' computed a non-finite {} in the update at environment step {}",
          std::isfinite(terms.loss) ? "gradient norm" : "loss", num_timesteps_));
    }
    policy_.optimizer_step();
    ++n_updates_;

    metrics.push_back({"train/n_updates", static_cast<double>(n_updates_)});
    if (const double ev = recrl::toolkit::explained_variance(buffer); std::isfinite(ev))
      metrics.push_back({"train/explained_variance", ev});
    metrics.push_back({"train/entropy_loss", terms.entropy_loss});
    metrics.push_back({"train/policy_loss", terms.policy_loss});
    metrics.push_back({"train/value_loss", terms.value_loss});
    metrics.push_back({"train/learning_rate", learning_rate});
    metrics.push_back({recrl::kUpdateFlopsMetric, policy_.update_flops(n)});
    buffer.reset();
  }

  // The policy: a tag, then both networks (the same file format as ppo's).
  void save(std::ostream& out) const override {
    out.write(kPolicyTag, sizeof(kPolicyTag));
    policy_.save(out);
  }
  void load(std::istream& in) override {
    recrl::toolkit::expect_magic(
        in, kPolicyTag, sizeof(kPolicyTag),
        "a2c: the saved state is not an actor-critic policy of this version");
    policy_.load(in);
  }

  bool supports_checkpoints() const override { return true; }
  void save_training_state(std::ostream& out) const override {
    recrl::toolkit::write_tag(out, kTrainingTag);
    recrl::toolkit::write_pod<std::int64_t>(out, num_timesteps_);
    recrl::toolkit::write_pod<std::int64_t>(out, n_updates_);
    policy_.save_training_state(out);
    rollout_.save_state(out);
  }
  void load_training_state(std::istream& in) override {
    recrl::toolkit::expect_tag(in, kTrainingTag);
    num_timesteps_ = recrl::toolkit::read_pod<std::int64_t>(in, kTrainingTag);
    n_updates_ = recrl::toolkit::read_pod<std::int64_t>(in, kTrainingTag);
    policy_.load_training_state(in);
    rollout_.load_state(in);
  }

  bool action_probabilities(const recrl::ObsBatch& obs, recrl::ActMode mode,
                            Matrix& probs) const override {
    policy_.probabilities(obs.obs, obs.allowed, mode, probs);
    return true;
  }
  bool action_scores(const recrl::ObsBatch& obs, Matrix& scores) const override {
    policy_.logits(obs.obs, scores);
    return true;
  }
  bool score_network(recrl::DenseNetwork& network) const override {
    policy_.policy_net().dense_view(network);
    return true;
  }
  bool state_values(const recrl::ObsBatch& obs, recrl::Vector& values) const override {
    policy_.state_values(obs.obs, values);
    return true;
  }

 private:
  // The parameters, checked against each other and the environment before anything is
  // allocated.
  struct Settings {
    Schedule learning_rate;
    std::int64_t n_steps;
    double gamma, gae_lambda, ent_coef, vf_coef;
    float max_grad_norm;
    bool normalize_advantage;
    recrl::toolkit::OptimizerSettings optimizer;
    recrl::toolkit::PolicyKwargs policy;
  };

  static Settings read_settings(const recrl::Params& p, const recrl::PluginContext& ctx) {
    recrl::toolkit::require_box_observations_and_discrete_actions(ctx, "a2c");
    Settings s{Schedule::parse(p, "learning_rate"),
               p.get_int("n_steps"),
               p.get_double("gamma"),
               p.get_double("gae_lambda"),
               p.get_double("ent_coef"),
               p.get_double("vf_coef"),
               static_cast<float>(p.get_double("max_grad_norm")),
               p.get_bool("normalize_advantage"),
               {},
               {}};
    if (s.normalize_advantage && s.n_steps * ctx.n_envs < 2) {
      throw p.error("n_steps", fmt::format("n_steps * n_envs must be > 1 when normalize_advantage "
                                           "is true (a single advantage has no standard "
                                           "deviation); got {} * {}",
                                           s.n_steps, ctx.n_envs));
    }
    // Each sample of a rollout: its observation and six floats (action, reward, value,
    // log-probability, advantage, return), and the same again in a minibatch's gather.
    recrl::toolkit::require_memory(
        p, "n_steps", 4.0 * (ctx.env->observation.size + 6) * 2 * s.n_steps * ctx.n_envs,
        fmt::format("a rollout of {} steps x {} environment copies", s.n_steps, ctx.n_envs));
    using Kind = recrl::toolkit::OptimizerSettings::Kind;
    s.optimizer =
        p.get_bool("use_rms_prop")
            ? recrl::toolkit::OptimizerSettings{Kind::RmsProp, s.learning_rate.initial(),
                                                p.get_double("rms_prop_eps"), 0.99}
            : recrl::toolkit::OptimizerSettings{Kind::Adam, s.learning_rate.initial(), 1e-5, 0.99};
    recrl::toolkit::PolicyKwargsRules rules;
    rules.defaults = recrl::toolkit::actor_critic_policy_defaults();
    s.policy = recrl::toolkit::parse_policy_kwargs(p.get("policy_kwargs"),
                                                   p.key_path("policy_kwargs"), rules);
    recrl::toolkit::require_actor_critic_memory(
        p, s.policy, ctx.env->observation.size, ctx.env->action.size,
        std::max<Eigen::Index>({s.n_steps * ctx.n_envs, ctx.n_envs, kEvalBatch}), "n_steps");
    return s;
  }

  Settings s_;
  std::int64_t n_envs_;
  std::int64_t total_timesteps_;
  std::int64_t rollout_size_;  // n_steps * n_envs: every update's batch
  recrl::toolkit::ActorCriticPolicy policy_;
  recrl::toolkit::OnPolicyRollout rollout_;
  std::int64_t num_timesteps_ = 0;
  std::int64_t n_updates_ = 0;

  // Update scratch, sized for a rollout.
  A2cLoss<float> loss_;
  recrl::toolkit::RolloutMinibatch samples_;
  Matrix advantages_;   // [1 x rollout]
  Matrix grad_logits_;  // [A x rollout]
  Matrix grad_values_;  // [1 x rollout]
};

}  // namespace

RECRL_ALGORITHM_PLUGIN(A2c, "a2c", "1.0.0", "Advantage Actor-Critic (Stable-Baselines3's A2C)")
