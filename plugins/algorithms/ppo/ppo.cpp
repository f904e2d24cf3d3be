// ppo: Proximal Policy Optimization (clip version, Schulman et al. 2017) as Stable-Baselines3
// 2.x implements it. Read top to bottom: the loss of one minibatch, then the algorithm's
// parameters, acting, rollout collection and the epoch loop. The nouns (networks, the
// categorical distribution, optimisers, the rollout buffer with GAE) are recrl/toolkit's.
// Under action masks (docs/masks.md) the distribution is MaskablePPO's masked categorical.
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
#include <algorithm>
#include <cmath>
#include <istream>
#include <optional>
#include <ostream>
#include <string>

#include <fmt/format.h>
#include <spdlog/logger.h>

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
// The loss of one minibatch and its gradient (templated: the tests check it in double)
// ---------------------------------------------------------------------------------------------

template <typename T>
struct PpoLossSettings {
  T clip_range = T(0.2);
  std::optional<T> clip_range_vf;  // nullopt: no value clipping
  T ent_coef = 0;
  T vf_coef = T(0.5);
};

template <typename T>
struct PpoLossTerms {
  T policy_loss = 0;    // -mean(min(A r, A clip(r, 1 - c, 1 + c)))
  T value_loss = 0;     // mean((returns - values_pred)^2)
  T entropy_loss = 0;   // -mean(entropy)
  T loss = 0;           // policy_loss + ent_coef entropy_loss + vf_coef value_loss
  T approx_kl = 0;      // mean((r - 1) - log r)
  T clip_fraction = 0;  // mean(|r - 1| > clip_range)
};

// PPO.train's loss for a minibatch of n samples, with its gradient with respect to the logits
// [A x n] and the value predictions [1 x n]. Rows are [1 x n]; advantages are normalised
// already. Scratch is reserved once; compute() allocates nothing. The rows are walked element
// by element and summed from the first in order (Eigen's expressions over a Ref with a run-time
// stride spend more on alignment than on the arithmetic).
template <typename T>
class PpoLoss {
 public:
  using Mat = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>;
  using Row = Eigen::Ref<const Mat>;

  void reserve(Eigen::Index max_batch) {
    for (Mat* m : {&log_prob_, &entropy_, &ratio_, &weights_, &values_pred_})
      m->resize(1, max_batch);
  }

  PpoLossTerms<T> compute(const recrl::toolkit::Categorical<T>& dist, std::span<const int> actions,
                          const Row& old_log_probs, const Row& advantages, const Row& returns,
                          const Row& values, const Row& old_values, const PpoLossSettings<T>& s,
                          Eigen::Ref<Mat> grad_logits, Eigen::Ref<Mat> grad_values) {
    const Eigen::Index n = dist.batch_size();
    RECRL_ASSERT(n >= 1 && n <= log_prob_.cols(), "PpoLoss: batch larger than reserved");
    const T count = static_cast<T>(n);
    auto log_prob = log_prob_.leftCols(n);
    auto entropy = entropy_.leftCols(n);
    auto ratio = ratio_.leftCols(n);
    auto weights = weights_.leftCols(n);
    dist.log_prob(actions, log_prob);
    dist.entropy(entropy);
    PpoLossTerms<T> terms;

    // The ratio r = pi(a) / pi_old(a) and approx_kl = mean((r - 1) - log r).
    T kl_sum = 0;
    for (Eigen::Index i = 0; i < n; ++i) {
      const T log_ratio = log_prob(0, i) - old_log_probs(0, i);
      ratio(0, i) = std::exp(log_ratio);
      const T kl = (ratio(0, i) - T(1)) - log_ratio;
      kl_sum = i == 0 ? kl : kl_sum + kl;
    }
    terms.approx_kl = kl_sum / count;

    // Clipped surrogate; weights_i = d policy_loss / d log pi(a_i). torch.min passes the
    // gradient to the smaller term: where the clipped term is smaller, r lies outside [lo, hi]
    // and clamp's gradient is 0; on a tie inside the range both carry the same gradient, a r.
    const T lo = T(1) - s.clip_range;
    const T hi = T(1) + s.clip_range;
    T surrogate = 0;
    T clipped = 0;
    for (Eigen::Index i = 0; i < n; ++i) {
      const T a = advantages(0, i);
      const T r = ratio(0, i);
      const T unclipped_term = a * r;
      const T clipped_term = a * std::clamp(r, lo, hi);
      surrogate += std::min(unclipped_term, clipped_term);
      weights(0, i) = unclipped_term <= clipped_term ? -a * r / count : T(0);
      if (std::abs(r - T(1)) > s.clip_range) clipped += T(1);
    }
    terms.policy_loss = -surrogate / count;
    terms.clip_fraction = clipped / count;
    grad_logits.setZero();
    dist.add_log_prob_gradient(actions, weights, grad_logits);

    // Entropy bonus: ent_coef * -mean(H). Skipped when ent_coef is 0 (SB3's default): it would
    // add zeros, which leave every element's bits as they are.
    terms.entropy_loss = -entropy.sum() / count;
    if (s.ent_coef != T(0)) {
      weights.setConstant(-s.ent_coef / count);
      dist.add_entropy_gradient(weights, grad_logits);
    }

    // Value loss: vf_coef * mse(returns, V), V optionally clipped around the values at
    // collection time (clamp's gradient is 0 outside the range).
    auto values_pred = values_pred_.leftCols(n);
    for (Eigen::Index i = 0; i < n; ++i) {
      values_pred(0, i) = values(0, i);
      if (s.clip_range_vf) {
        const T c = *s.clip_range_vf;
        values_pred(0, i) = old_values(0, i) + std::clamp(values(0, i) - old_values(0, i), -c, c);
      }
    }
    terms.value_loss = recrl::toolkit::mse_loss(values_pred, returns, grad_values, s.vf_coef);
    if (s.clip_range_vf) {
      for (Eigen::Index i = 0; i < n; ++i) {
        grad_values(0, i) *=
            static_cast<T>(std::abs(values(0, i) - old_values(0, i)) <= *s.clip_range_vf);
      }
    }
    terms.loss = terms.policy_loss + s.ent_coef * terms.entropy_loss + s.vf_coef * terms.value_loss;
    return terms;
  }

 private:
  Mat log_prob_, entropy_, ratio_, weights_, values_pred_;  // [1 x max_batch] each
};

// ---------------------------------------------------------------------------------------------
// The algorithm
// ---------------------------------------------------------------------------------------------

// The policy file's and the checkpoint's formats (PPO and A2C share the policy's).
constexpr char kPolicyTag[] = "recrl.actor_critic.1";
constexpr char kTrainingTag[] = "recrl.ppo.training.1";
// Evaluation acts on up to this many episodes at once: the widest batch besides the minibatch.
constexpr Eigen::Index kEvalBatch = 64;

// clip_range_vf and target_kl are off by default (SB3's None): written null, none or None.
bool means_none(const recrl::Value& v) {
  return v.is_null() || (v.is_string() && (v.as_string() == "none" || v.as_string() == "None"));
}

class Ppo final : public recrl::Algorithm {
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
    s.node("clip_range_vf", recrl::Value::string("none"),
           "value clipping around the old value, or none");
    s.boolean("normalize_advantage", true, "normalise advantages per minibatch");
    s.real("ent_coef", 0.0, "entropy bonus coefficient").at_least(0);
    s.real("vf_coef", 0.5, "value loss coefficient").at_least(0);
    s.real("max_grad_norm", 0.5, "global gradient-norm clip").greater_than(0);
    s.node("target_kl", recrl::Value::string("none"),
           "stop a rollout's epochs when approx_kl > 1.5 target_kl, or none");
    s.node(
        "policy_kwargs",
        recrl::toolkit::policy_kwargs_value(recrl::toolkit::actor_critic_policy_defaults(), true),
        "net_arch, activation_fn, ortho_init: a map or rl-zoo's dict(...) string");
    return s;
  }

  Ppo(const recrl::Params& p, const recrl::PluginContext& ctx)
      : s_(read_settings(p, ctx)),
        n_envs_(ctx.n_envs),
        total_timesteps_(ctx.total_timesteps),
        policy_(ctx.env->observation.size, ctx.env->action.size, s_.policy,
                {recrl::toolkit::OptimizerSettings::Kind::Adam, s_.learning_rate.initial(), 1e-5},
                std::max<Eigen::Index>({s_.batch_size, ctx.n_envs, kEvalBatch})),
        rollout_(s_.n_steps, ctx.n_envs, ctx.env->observation.size, s_.gamma, s_.gae_lambda),
        advantages_(1, s_.batch_size),
        grad_logits_(ctx.env->action.size, s_.batch_size),
        grad_values_(1, s_.batch_size),
        logger_(ctx.logger) {
    const std::int64_t rollout = s_.n_steps * n_envs_;
    if (rollout % s_.batch_size != 0) {
      logger_->warn(
          "ppo: batch_size {} does not divide n_steps * n_envs = {}; every epoch ends "
          "with a minibatch of {}",
          s_.batch_size, rollout, rollout % s_.batch_size);
    }
    loss_.reserve(s_.batch_size);
    minibatch_.reserve(ctx.env->observation.size, s_.batch_size);
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
    RECRL_ASSERT(buffer.full(), "ppo: update() without a full rollout");
    const double progress = recrl::toolkit::progress_remaining(num_timesteps_, total_timesteps_);
    const double learning_rate = s_.learning_rate.value(progress);
    policy_.set_learning_rate(learning_rate);
    PpoLossSettings<float> settings;
    settings.clip_range = static_cast<float>(s_.clip_range.value(progress));
    if (s_.clip_range_vf)
      settings.clip_range_vf = static_cast<float>(s_.clip_range_vf->value(progress));
    settings.ent_coef = static_cast<float>(s_.ent_coef);
    settings.vf_coef = static_cast<float>(s_.vf_coef);

    double policy_sum = 0, value_sum = 0, entropy_sum = 0, clip_sum = 0, approx_kl = 0;
    double last_loss = 0, flops = 0;
    std::int64_t minibatches = 0;
    bool stop = false;
    for (std::int64_t epoch = 0; epoch < s_.n_epochs && !stop; ++epoch) {
      double kl_sum = 0;
      std::int64_t kl_count = 0;
      buffer.shuffle(rng);
      for (Eigen::Index start = 0; start < buffer.size(); start += s_.batch_size) {
        buffer.gather_minibatch(start, s_.batch_size, minibatch_);
        const Eigen::Index n = minibatch_.size;
        const auto values = policy_.evaluate(minibatch_.obs.leftCols(n), minibatch_.allowed_span());
        advantages_.leftCols(n) = minibatch_.advantages.leftCols(n);
        if (s_.normalize_advantage) recrl::toolkit::normalize_advantages(advantages_, n);
        const PpoLossTerms<float> terms =
            loss_.compute(policy_.distribution(), minibatch_.action_span(),
                          minibatch_.old_log_probs.leftCols(n), advantages_.leftCols(n),
                          minibatch_.returns.leftCols(n), values, minibatch_.old_values.leftCols(n),
                          settings, grad_logits_.leftCols(n), grad_values_.leftCols(n));
        policy_sum += terms.policy_loss;
        value_sum += terms.value_loss;
        entropy_sum += terms.entropy_loss;
        clip_sum += terms.clip_fraction;
        kl_sum += terms.approx_kl;
        ++kl_count;
        ++minibatches;
        last_loss = terms.loss;
        // SB3 checks the KL before the optimiser step and drops the step that crossed it.
        if (s_.target_kl && terms.approx_kl > 1.5 * *s_.target_kl) {
          logger_->debug("ppo: approx_kl {:.4f} > 1.5 * target_kl {}, stopping at epoch {}",
                         terms.approx_kl, *s_.target_kl, epoch);
          stop = true;
          break;
        }
        const float norm =
            policy_.backward(grad_logits_.leftCols(n), grad_values_.leftCols(n), s_.max_grad_norm);
        if (!std::isfinite(norm) || !std::isfinite(terms.loss)) {
          throw recrl::NumericalError(fmt::format(
              "algorithm 'ppo' computed a non-finite {} in the update at environment step {}",
              std::isfinite(terms.loss) ? "gradient norm" : "loss", num_timesteps_));
        }
        flops += policy_.update_flops(n);
        policy_.optimizer_step();
      }
      approx_kl = kl_count > 0 ? kl_sum / static_cast<double>(kl_count) : 0.0;
      ++n_updates_;
    }
    const double count = static_cast<double>(std::max<std::int64_t>(minibatches, 1));
    metrics.push_back({"train/entropy_loss", entropy_sum / count});
    metrics.push_back({"train/policy_gradient_loss", policy_sum / count});
    metrics.push_back({"train/value_loss", value_sum / count});
    metrics.push_back({"train/approx_kl", approx_kl});
    metrics.push_back({"train/clip_fraction", clip_sum / count});
    metrics.push_back({"train/loss", last_loss});
    if (const double ev = recrl::toolkit::explained_variance(buffer); std::isfinite(ev))
      metrics.push_back({"train/explained_variance", ev});
    metrics.push_back({"train/n_updates", static_cast<double>(n_updates_)});
    metrics.push_back({"train/clip_range", s_.clip_range.value(progress)});
    if (s_.clip_range_vf)
      metrics.push_back({"train/clip_range_vf", s_.clip_range_vf->value(progress)});
    metrics.push_back({"train/learning_rate", learning_rate});
    metrics.push_back({recrl::kUpdateFlopsMetric, flops});
    buffer.reset();
  }

  // The policy: a tag, then both networks.
  void save(std::ostream& out) const override {
    out.write(kPolicyTag, sizeof(kPolicyTag));
    policy_.save(out);
  }
  void load(std::istream& in) override {
    recrl::toolkit::expect_magic(
        in, kPolicyTag, sizeof(kPolicyTag),
        "ppo: the saved state is not an actor-critic policy of this version");
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
    Schedule learning_rate, clip_range;
    std::optional<Schedule> clip_range_vf;
    std::optional<double> target_kl;
    std::int64_t n_steps, batch_size, n_epochs;
    double gamma, gae_lambda, ent_coef, vf_coef;
    float max_grad_norm;
    bool normalize_advantage;
    recrl::toolkit::PolicyKwargs policy;
  };

  static Settings read_settings(const recrl::Params& p, const recrl::PluginContext& ctx) {
    recrl::toolkit::require_box_observations_and_discrete_actions(ctx, "ppo");
    Settings s{Schedule::parse(p, "learning_rate"),
               Schedule::parse(p, "clip_range"),
               std::nullopt,
               std::nullopt,
               p.get_int("n_steps"),
               p.get_int("batch_size"),
               p.get_int("n_epochs"),
               p.get_double("gamma"),
               p.get_double("gae_lambda"),
               p.get_double("ent_coef"),
               p.get_double("vf_coef"),
               static_cast<float>(p.get_double("max_grad_norm")),
               p.get_bool("normalize_advantage"),
               {}};
    if (!(s.clip_range.initial() < 1.0)) {
      throw p.error("clip_range", "expected a number in (0, 1) or lin_<x> with x in (0, 1), got " +
                                      s.clip_range.describe() +
                                      " (a ratio clipped below 0 means nothing)");
    }
    if (!means_none(p.get("clip_range_vf"))) s.clip_range_vf = Schedule::parse(p, "clip_range_vf");
    if (const recrl::Value& v = p.get("target_kl"); !means_none(v)) {
      if (!v.is_number() || !(v.as_double() > 0) || !std::isfinite(v.as_double())) {
        throw p.error("target_kl", "expected a number > 0 or none, got " +
                                       (v.is_scalar() ? "'" + v.text() + "'" : v.kind_name()));
      }
      s.target_kl = v.as_double();
    }
    if (s.normalize_advantage && s.batch_size < 2) {
      throw p.error("batch_size",
                    "must be > 1 when normalize_advantage is true (a minibatch of one "
                    "has no standard deviation; SB3 asserts this)");
    }
    // Each sample of a rollout: its observation and six floats (action, reward, value,
    // log-probability, advantage, return), and the same again in a minibatch's gather.
    recrl::toolkit::require_memory(
        p, "n_steps", 4.0 * (ctx.env->observation.size + 6) * 2 * s.n_steps * ctx.n_envs,
        fmt::format("a rollout of {} steps x {} environment copies", s.n_steps, ctx.n_envs));
    const std::int64_t rollout = s.n_steps * ctx.n_envs;
    if (s.batch_size > rollout) {
      throw p.error("batch_size", fmt::format("must be <= n_steps * n_envs = {} * {} = {}, the "
                                              "size of a rollout; got {}",
                                              s.n_steps, ctx.n_envs, rollout, s.batch_size));
    }
    recrl::toolkit::PolicyKwargsRules rules;
    rules.defaults = recrl::toolkit::actor_critic_policy_defaults();
    s.policy = recrl::toolkit::parse_policy_kwargs(p.get("policy_kwargs"),
                                                   p.key_path("policy_kwargs"), rules);
    recrl::toolkit::require_actor_critic_memory(
        p, s.policy, ctx.env->observation.size, ctx.env->action.size,
        std::max<Eigen::Index>({s.batch_size, ctx.n_envs, kEvalBatch}), "batch_size");
    return s;
  }

  Settings s_;
  std::int64_t n_envs_;
  std::int64_t total_timesteps_;
  recrl::toolkit::ActorCriticPolicy policy_;
  recrl::toolkit::OnPolicyRollout rollout_;
  std::int64_t num_timesteps_ = 0;
  std::int64_t n_updates_ = 0;  // SB3's _n_updates: epochs run so far

  // Update scratch, sized for a minibatch.
  PpoLoss<float> loss_;
  recrl::toolkit::RolloutMinibatch minibatch_;
  Matrix advantages_;   // [1 x batch_size]
  Matrix grad_logits_;  // [A x batch_size]
  Matrix grad_values_;  // [1 x batch_size]
  std::shared_ptr<spdlog::logger> logger_;
};

}  // namespace

RECRL_ALGORITHM_PLUGIN(Ppo, "ppo", "1.0.0",
                       "Proximal Policy Optimization (Stable-Baselines3's PPO)")
