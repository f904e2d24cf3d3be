#include "recrl/toolkit/actor_critic_policy.hpp"

#include <istream>
#include <ostream>
#include <string>

#include "recrl/core/errors.hpp"
#include "recrl/toolkit/binary_io.hpp"
#include "recrl/toolkit/memory_check.hpp"

namespace recrl::toolkit {

namespace {

std::vector<Eigen::Index> as_indices(const std::vector<int>& sizes) {
  return {sizes.begin(), sizes.end()};
}

}  // namespace

PolicyKwargs actor_critic_policy_defaults() {
  PolicyKwargs kwargs;
  kwargs.pi_hidden = {64, 64};
  kwargs.vf_hidden = {64, 64};
  kwargs.activation_fn = Activation::Tanh;
  kwargs.ortho_init = true;
  return kwargs;
}

void require_actor_critic_memory(const Params& params, const PolicyKwargs& kwargs,
                                 Eigen::Index obs_dim, Eigen::Index n_actions,
                                 Eigen::Index max_batch, const std::string& batch_param) {
  // Each parameter: itself, its gradient and two optimiser moments (RMSprop keeps one).
  auto networks = mlp_footprint(obs_dim, kwargs.pi_hidden, n_actions, max_batch, 4);
  networks += mlp_footprint(obs_dim, kwargs.vf_hidden, 1, max_batch, 4);
  require_network_memory(params, networks, max_batch, batch_param);
}

ActorCriticPolicy::ActorCriticPolicy(Eigen::Index obs_dim, Eigen::Index n_actions,
                                     const PolicyKwargs& kwargs, const OptimizerSettings& optimizer,
                                     Eigen::Index max_batch)
    : ortho_init_(kwargs.ortho_init),
      pi_(obs_dim, as_indices(kwargs.pi_hidden), n_actions, kwargs.activation_fn),
      vf_(obs_dim, as_indices(kwargs.vf_hidden), 1, kwargs.activation_fn),
      pi_optimizer_(make_optimizer(optimizer, pi_.num_parameters())),
      vf_optimizer_(make_optimizer(optimizer, vf_.num_parameters())) {
  pi_.reserve(max_batch);
  vf_.reserve(max_batch);
  dist_.reserve(n_actions, max_batch);
  masked_logits_.resize(n_actions, max_batch);
}

void ActorCriticPolicy::set_distribution(ConstBatch logits, ActionMask allowed) const {
  if (allowed.empty()) {
    dist_.set_logits(logits);
    return;
  }
  if (masked_logits_.cols() < logits.cols()) masked_logits_.resize(logits.rows(), logits.cols());
  auto masked = masked_logits_.leftCols(logits.cols());
  masked = logits;
  mask_logits(allowed, masked);
  dist_.set_logits(masked);
}

ActorCriticPolicy::Optimizer ActorCriticPolicy::make_optimizer(const OptimizerSettings& s,
                                                               Eigen::Index size) {
  if (s.kind == OptimizerSettings::Kind::Adam) {
    return Adam<float>(size, s.learning_rate, 0.9, 0.999, s.eps);
  }
  return RmsProp<float>(size, s.learning_rate, s.rms_prop_alpha, s.eps);
}

void ActorCriticPolicy::initialize_once(Rng& rng) {
  if (initialized_) return;
  if (ortho_init_) {
    pi_.init_orthogonal(rng, 0.01f);
    vf_.init_orthogonal(rng, 1.0f);
  } else {
    pi_.init_pytorch_default(rng);
    vf_.init_pytorch_default(rng);
  }
  initialized_ = true;
}

void ActorCriticPolicy::act_greedy(const Matrix& obs, ActionMask allowed, std::span<int> actions) {
  set_distribution(pi_.forward(obs), allowed);
  dist_.mode(actions);
}

void ActorCriticPolicy::act_sample(const Matrix& obs, ActionMask allowed, Rng& rng,
                                   std::span<int> actions, Eigen::Ref<Matrix> log_probs,
                                   Eigen::Ref<Matrix> values) {
  set_distribution(pi_.forward(obs), allowed);
  dist_.sample(rng, actions);
  dist_.log_prob(actions, log_probs);
  values = vf_.forward(obs);
}

ActorCriticPolicy::ConstBatch ActorCriticPolicy::values(const Eigen::Ref<const Matrix>& obs) {
  return vf_.forward(obs);
}

ActorCriticPolicy::ConstBatch ActorCriticPolicy::evaluate(const Eigen::Ref<const Matrix>& obs,
                                                          ActionMask allowed) {
  set_distribution(pi_.forward(obs), allowed);
  return vf_.forward(obs);
}

float ActorCriticPolicy::backward(const Eigen::Ref<const Matrix>& grad_logits,
                                  const Eigen::Ref<const Matrix>& grad_values,
                                  float max_grad_norm) {
  pi_.zero_gradients();
  vf_.zero_gradients();
  pi_.backward(grad_logits);
  vf_.backward(grad_values);
  return clip_grad_norm<float>({&pi_.gradients(), &vf_.gradients()}, max_grad_norm);
}

void ActorCriticPolicy::set_learning_rate(double learning_rate) {
  for (Optimizer* o : {&pi_optimizer_, &vf_optimizer_}) {
    std::visit([&](auto& opt) { opt.set_lr(learning_rate); }, *o);
  }
}

void ActorCriticPolicy::optimizer_step() {
  std::visit([&](auto& opt) { opt.step(pi_.parameters(), pi_.gradients()); }, pi_optimizer_);
  std::visit([&](auto& opt) { opt.step(vf_.parameters(), vf_.gradients()); }, vf_optimizer_);
}

double ActorCriticPolicy::update_flops(Eigen::Index batch) const {
  return pi_.forward_flops(batch) + pi_.backward_flops(batch) + vf_.forward_flops(batch) +
         vf_.backward_flops(batch);
}

void ActorCriticPolicy::probabilities(const Matrix& obs, ActionMask allowed, ActMode mode,
                                      Matrix& probs) const {
  set_distribution(pi_.forward(obs), allowed);
  if (mode == ActMode::Explore) {
    probs = dist_.probabilities();
    return;
  }
  std::vector<int> best(static_cast<std::size_t>(obs.cols()));
  dist_.mode(best);
  probs = Matrix::Zero(dist_.num_actions(), obs.cols());
  for (Eigen::Index j = 0; j < obs.cols(); ++j) probs(best[static_cast<std::size_t>(j)], j) = 1;
}

void ActorCriticPolicy::logits(const Matrix& obs, Matrix& out) const { out = pi_.forward(obs); }

void ActorCriticPolicy::state_values(const Matrix& obs, Vector& values) const {
  values = vf_.forward(obs).transpose();
}

void ActorCriticPolicy::save(std::ostream& out) const {
  pi_.save(out);
  vf_.save(out);
}

void ActorCriticPolicy::load(std::istream& in) {
  pi_.load(in);
  vf_.load(in);
  initialized_ = true;
}

void ActorCriticPolicy::save_training_state(std::ostream& out) const {
  write_pod<std::uint8_t>(out, initialized_ ? 1 : 0);
  save(out);
  for (const Optimizer* o : {&pi_optimizer_, &vf_optimizer_}) {
    write_pod<std::uint32_t>(out, static_cast<std::uint32_t>(o->index()));
    std::visit([&](const auto& opt) { opt.save(out); }, *o);
  }
}

void ActorCriticPolicy::load_training_state(std::istream& in) {
  const bool initialized = read_pod<std::uint8_t>(in, "actor-critic policy") != 0;
  pi_.load(in);
  vf_.load(in);
  for (Optimizer* o : {&pi_optimizer_, &vf_optimizer_}) {
    if (read_pod<std::uint32_t>(in, "actor-critic optimiser") != o->index()) {
      throw DataError(SourceLocation{},
                      "the saved training state uses another optimiser (Adam / RMSprop)");
    }
    std::visit([&](auto& opt) { opt.load(in); }, *o);
  }
  initialized_ = initialized;
}

}  // namespace recrl::toolkit
