#include "recrl/toolkit/actor_critic.hpp"

#include <algorithm>
#include <cmath>
#include <istream>
#include <ostream>
#include <string>
#include <type_traits>

#include "recrl/toolkit/binary_io.hpp"

namespace recrl::toolkit {

namespace {

// Identifies the saved state of an OnPolicyActorCritic (format version 1).
constexpr char kStateTag[] = "recrl.actor_critic.1";
// Identifies its training state (checkpoints), format version 1.
constexpr char kTrainingTag[] = "recrl.actor_critic.training.1";

std::vector<Eigen::Index> as_indices(const std::vector<int>& sizes) {
  return {sizes.begin(), sizes.end()};
}

// Evaluation batches (the runner acts on up to 64 episodes at once) are the widest acting
// batches besides n_envs; reserving for them keeps evaluation allocation-free too.
constexpr Eigen::Index kEvalBatch = 64;

}  // namespace

OnPolicyActorCritic::OnPolicyActorCritic(OnPolicySettings settings, int obs_dim, int n_actions,
                                         int n_envs, std::int64_t total_timesteps)
    : s_(std::move(settings)),
      obs_dim_(obs_dim),
      n_actions_(n_actions),
      n_envs_(n_envs),
      total_timesteps_(total_timesteps),
      pi_(obs_dim, as_indices(s_.policy.pi_hidden), n_actions, s_.policy.activation_fn),
      vf_(obs_dim, as_indices(s_.policy.vf_hidden), 1, s_.policy.activation_fn),
      pi_optimizer_(make_optimizer(pi_.num_parameters())),
      vf_optimizer_(make_optimizer(vf_.num_parameters())),
      buffer_(s_.n_steps, n_envs, obs_dim, s_.gamma, s_.gae_lambda),
      pending_values_(1, n_envs),
      pending_log_probs_(1, n_envs),
      episode_starts_(static_cast<std::size_t>(n_envs), 1),  // SB3: np.ones at the start
      dones_(static_cast<std::size_t>(n_envs), 0),
      last_values_(1, n_envs),
      advantages_(1, s_.batch_size),
      grad_logits_(n_actions, s_.batch_size),
      grad_values_(1, s_.batch_size) {
  RECRL_ASSERT(s_.batch_size >= 1 && s_.batch_size <= s_.n_steps * n_envs,
               "OnPolicyActorCritic: batch_size must be in [1, n_steps * n_envs]");
  const Eigen::Index widest = std::max<Eigen::Index>({s_.batch_size, n_envs, kEvalBatch});
  pi_.reserve(widest);
  vf_.reserve(widest);
  dist_.reserve(n_actions, widest);
  loss_.reserve(s_.batch_size);
  minibatch_.reserve(obs_dim, s_.batch_size);
}

OnPolicyActorCritic::Optimizer OnPolicyActorCritic::make_optimizer(Eigen::Index size) const {
  const double lr = s_.learning_rate.value(1.0);
  if (s_.optimizer == OnPolicyOptimizer::Adam) {
    return Adam<float>(size, lr, 0.9, 0.999, s_.optimizer_eps);
  }
  return RmsProp<float>(size, lr, s_.rms_prop_alpha, s_.optimizer_eps);
}

void OnPolicyActorCritic::initialise(Rng& rng) {
  // SB3's ActorCriticPolicy._build: orthogonal weights, gain sqrt(2) for hidden layers, 0.01
  // for the action head, 1 for the value head, zero biases; torch's default init otherwise.
  if (s_.policy.ortho_init) {
    pi_.init_orthogonal(rng, 0.01f);
    vf_.init_orthogonal(rng, 1.0f);
  } else {
    pi_.init_pytorch_default(rng);
    vf_.init_pytorch_default(rng);
  }
  initialised_ = true;
}

void OnPolicyActorCritic::act(const Matrix& obs, ActMode mode, Rng& rng, std::span<int> actions) {
  if (!initialised_) initialise(rng);
  dist_.set_logits(pi_.forward(obs));
  if (mode == ActMode::Greedy) {
    dist_.mode(actions);
    return;
  }
  RECRL_ASSERT(obs.cols() == n_envs_, "explore act() must cover every environment copy");
  dist_.sample(rng, actions);
  dist_.log_prob(actions, pending_log_probs_);
  pending_values_ = vf_.forward(obs);
}

bool OnPolicyActorCritic::observe(const StepBatch& batch) {
  RECRL_ASSERT(batch.obs.cols() == n_envs_, "observe() must cover every environment copy");
  buffer_.add(batch.obs, batch.actions, batch.rewards, episode_starts_, pending_values_,
              pending_log_probs_);
  // SB3 bootstraps time-limit truncations with the value of the real last observation
  // (reward += gamma V(terminal_obs)), but not episodes that terminated at the limit.
  bool any_truncated = false;
  for (int e = 0; e < n_envs_; ++e) any_truncated |= batch.truncated[e] && !batch.terminated[e];
  if (any_truncated) {
    const auto terminal_values = vf_.forward(batch.final_obs);
    for (int e = 0; e < n_envs_; ++e) {
      if (batch.truncated[e] && !batch.terminated[e])
        buffer_.add_truncation_bootstrap(e, terminal_values(0, e));
    }
  }
  for (int e = 0; e < n_envs_; ++e) {
    const auto i = static_cast<std::size_t>(e);
    dones_[i] = (batch.terminated[i] != 0 || batch.truncated[i] != 0) ? 1 : 0;
    episode_starts_[i] = dones_[i];
  }
  num_timesteps_ += n_envs_;
  if (!buffer_.full()) return false;
  last_values_ = vf_.forward(batch.next_obs);
  buffer_.compute_returns_and_advantage(last_values_, dones_);
  return true;
}

void OnPolicyActorCritic::normalise_advantages(Eigen::Index n) {
  auto adv = advantages_.leftCols(n);
  // torch's std() is the unbiased one (Bessel's correction); SB3 skips a minibatch of 1.
  if (!s_.normalize_advantage || n < 2) return;
  const float mean = adv.mean();
  const float var = (adv.array() - mean).square().sum() / static_cast<float>(n - 1);
  adv.array() = (adv.array() - mean) / (std::sqrt(var) + 1e-8f);
}

double OnPolicyActorCritic::explained_variance() const {
  // SB3's explained_variance(y_pred = values, y_true = returns) = 1 - Var[y - y_pred] / Var[y]
  // (population variances, in double as numpy accumulates).
  const auto returns = buffer_.returns().array().cast<double>();
  const auto residual = (buffer_.returns() - buffer_.values()).array().cast<double>();
  const double var_returns = (returns - returns.mean()).square().mean();
  const double var_residual = (residual - residual.mean()).square().mean();
  return var_returns == 0.0 ? std::nan("") : 1.0 - var_residual / var_returns;
}

OnPolicyUpdateStats OnPolicyActorCritic::update(Rng& rng) {
  RECRL_ASSERT(buffer_.full(), "update() without a full rollout");
  if (!initialised_) initialise(rng);
  OnPolicyUpdateStats stats;
  const double progress = progress_remaining(num_timesteps_, total_timesteps_);
  stats.learning_rate = s_.learning_rate.value(progress);
  stats.clip_range = s_.clip_range.value(progress);
  if (s_.clip_range_vf) stats.clip_range_vf = s_.clip_range_vf->value(progress);
  for (Optimizer* o : {&pi_optimizer_, &vf_optimizer_}) {
    std::visit([&](auto& opt) { opt.set_lr(stats.learning_rate); }, *o);
  }
  ActorCriticLossSettings<float> loss_settings;
  loss_settings.clipped_surrogate = s_.clipped_surrogate;
  loss_settings.clip_range = static_cast<float>(stats.clip_range);
  if (stats.clip_range_vf) loss_settings.clip_range_vf = static_cast<float>(*stats.clip_range_vf);
  loss_settings.ent_coef = static_cast<float>(s_.ent_coef);
  loss_settings.vf_coef = static_cast<float>(s_.vf_coef);
  const float max_grad_norm = static_cast<float>(s_.max_grad_norm);

  double policy_sum = 0, value_sum = 0, entropy_sum = 0, clip_sum = 0;
  std::int64_t minibatches = 0;
  const Eigen::Index size = buffer_.size();
  for (std::int64_t epoch = 0; epoch < s_.n_epochs && !stats.stopped_at_epoch; ++epoch) {
    double kl_sum = 0;
    std::int64_t kl_count = 0;
    buffer_.shuffle(rng);
    for (Eigen::Index start = 0; start < size; start += s_.batch_size) {
      buffer_.gather_minibatch(start, s_.batch_size, minibatch_);
      const Eigen::Index n = minibatch_.size;
      const auto obs = minibatch_.obs.leftCols(n);
      dist_.set_logits(pi_.forward(obs));
      const auto values = vf_.forward(obs);
      advantages_.leftCols(n) = minibatch_.advantages.leftCols(n);
      normalise_advantages(n);
      const ActorCriticLossTerms<float> terms =
          loss_.compute(dist_, minibatch_.action_span(), minibatch_.old_log_probs.leftCols(n),
                        advantages_.leftCols(n), minibatch_.returns.leftCols(n), values,
                        minibatch_.old_values.leftCols(n), loss_settings, grad_logits_.leftCols(n),
                        grad_values_.leftCols(n));
      policy_sum += terms.policy_loss;
      value_sum += terms.value_loss;
      entropy_sum += terms.entropy_loss;
      clip_sum += terms.clip_fraction;
      kl_sum += terms.approx_kl;
      ++kl_count;
      ++minibatches;
      stats.loss = terms.loss;
      // SB3 checks the KL before the optimiser step and drops the step that crossed it.
      if (s_.target_kl && terms.approx_kl > 1.5 * *s_.target_kl) {
        stats.stopped_at_epoch = epoch;
        stats.approx_kl_at_stop = terms.approx_kl;
        break;
      }
      pi_.zero_gradients();
      vf_.zero_gradients();
      pi_.backward(grad_logits_.leftCols(n));
      vf_.backward(grad_values_.leftCols(n));
      const float norm = clip_grad_norm<float>({&pi_.gradients(), &vf_.gradients()}, max_grad_norm);
      if (!std::isfinite(norm) || !std::isfinite(terms.loss)) {
        throw NumericalError("algorithm '" + s_.algorithm + "' computed a non-finite " +
                             (std::isfinite(terms.loss) ? "gradient norm" : "loss") +
                             " in the update at environment step " +
                             std::to_string(num_timesteps_));
      }
      stats.flops += pi_.forward_flops(n) + pi_.backward_flops(n) + vf_.forward_flops(n) +
                     vf_.backward_flops(n);
      std::visit([&](auto& opt) { opt.step(pi_.parameters(), pi_.gradients()); }, pi_optimizer_);
      std::visit([&](auto& opt) { opt.step(vf_.parameters(), vf_.gradients()); }, vf_optimizer_);
    }
    stats.approx_kl = kl_count > 0 ? kl_sum / static_cast<double>(kl_count) : 0.0;
    ++n_updates_;
    ++stats.epochs_completed;
  }
  const double count = static_cast<double>(std::max<std::int64_t>(minibatches, 1));
  stats.policy_loss = policy_sum / count;
  stats.value_loss = value_sum / count;
  stats.entropy_loss = entropy_sum / count;
  stats.clip_fraction = clip_sum / count;
  const double ev = explained_variance();
  if (std::isfinite(ev)) stats.explained_variance = ev;
  buffer_.reset();
  return stats;
}

void OnPolicyActorCritic::action_probabilities(const Matrix& obs, Matrix& probs) const {
  dist_.set_logits(pi_.forward(obs));
  probs = dist_.probabilities();
}

void OnPolicyActorCritic::state_values(const Matrix& obs, Vector& values) const {
  values = vf_.forward(obs).transpose();
}

void OnPolicyActorCritic::save(std::ostream& out) const {
  out.write(kStateTag, sizeof(kStateTag));
  pi_.save(out);
  vf_.save(out);
}

void OnPolicyActorCritic::load(std::istream& in) {
  char tag[sizeof(kStateTag)] = {};
  in.read(tag, sizeof(tag));
  if (!in || std::string(tag, sizeof(tag)) != std::string(kStateTag, sizeof(kStateTag))) {
    throw DataError(SourceLocation{}, s_.algorithm +
                                          ": the saved state is not an actor-critic "
                                          "policy of this version");
  }
  pi_.load(in);
  vf_.load(in);
  initialised_ = true;
}

void OnPolicyActorCritic::save_training_state(std::ostream& out) const {
  write_tag(out, kTrainingTag);
  write_pod<std::uint8_t>(out, initialised_ ? 1 : 0);
  write_pod<std::int64_t>(out, num_timesteps_);
  write_pod<std::int64_t>(out, n_updates_);
  pi_.save(out);
  vf_.save(out);
  for (const Optimizer* o : {&pi_optimizer_, &vf_optimizer_}) {
    write_pod<std::uint32_t>(out, static_cast<std::uint32_t>(o->index()));
    std::visit([&](const auto& opt) { opt.save(out); }, *o);
  }
  buffer_.save_state(out);
  // What observe() reads from the act() before it; saved so that a checkpoint taken between an
  // act() and its observe() would still be whole (the runner takes them after observe()).
  write_array(out, pending_values_);
  write_array(out, pending_log_probs_);
  write_values(out, episode_starts_.data(), episode_starts_.size());
  write_values(out, dones_.data(), dones_.size());
  write_array(out, last_values_);
}

void OnPolicyActorCritic::load_training_state(std::istream& in) {
  expect_tag(in, kTrainingTag);
  const bool initialised = read_pod<std::uint8_t>(in, kTrainingTag) != 0;
  num_timesteps_ = read_pod<std::int64_t>(in, kTrainingTag);
  n_updates_ = read_pod<std::int64_t>(in, kTrainingTag);
  pi_.load(in);
  vf_.load(in);
  for (Optimizer* o : {&pi_optimizer_, &vf_optimizer_}) {
    const auto index = read_pod<std::uint32_t>(in, kTrainingTag);
    if (index != o->index()) {
      throw DataError(SourceLocation{}, s_.algorithm + ": the saved training state uses another "
                                                       "optimiser (Adam / RMSprop)");
    }
    std::visit([&](auto& opt) { opt.load(in); }, *o);
  }
  buffer_.load_state(in);
  read_array(in, pending_values_, kTrainingTag);
  read_array(in, pending_log_probs_, kTrainingTag);
  read_values(in, episode_starts_.data(), episode_starts_.size(), kTrainingTag);
  read_values(in, dones_.data(), dones_.size(), kTrainingTag);
  read_array(in, last_values_, kTrainingTag);
  initialised_ = initialised;
}

}  // namespace recrl::toolkit
