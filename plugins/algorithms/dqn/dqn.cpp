// dqn: Deep Q-Network as Stable-Baselines3 2.3 implements it (stable_baselines3/dqn/dqn.py).
// Read top to bottom: the schedule of exploring, training and target updates, the TD loss of
// one minibatch, then the algorithm. The nouns (networks, optimiser, replay buffer, the target
// value cache) are recrl/toolkit's.
//
// Implementation details
//  1. Q-network: MLP observation -> net_arch hidden layers (default [64, 64], relu) -> one
//     Q-value per action, with torch.nn.Linear's default initialisation (weights and biases
//     uniform in +-1/sqrt(fan_in)); DQN does not orthogonalise [dqn/policies.py QNetwork,
//     common/torch_layers.py create_mlp, torch/nn/modules/linear.py reset_parameters].
//  2. Target network: a copy of the Q-network, polyak-updated with tau (1 = hard copy) every
//     max(target_update_interval // n_envs, 1) vector steps, counted from the first step,
//     learning_starts included [dqn.py _on_step, common/utils.py polyak_update].
//  3. Exploration: epsilon = get_linear_fn(exploration_initial_eps, exploration_final_eps,
//     exploration_fraction) at progress_remaining = 1 - num_timesteps / total_timesteps,
//     updated after every vector step; 0 before the first one [dqn.py _on_step,
//     common/utils.py get_linear_fn, common/base_class.py _update_current_progress_remaining].
//  4. Acting: while num_timesteps < learning_starts every copy takes a uniform action
//     [off_policy_algorithm.py _sample_action]; after, ONE draw u < epsilon decides for the
//     whole batch of copies (all uniform, or all greedy), as DQN.predict does. Greedy = argmax
//     Q, the first action on ties (torch.argmax) [dqn.py predict, dqn/policies.py _predict].
//     Under action masks (docs/masks.md) both run over the allowed actions, and so does the
//     TD target's max over next actions (the replay buffer keeps the next masks).
//  5. Replay: SB3's ReplayBuffer (buffer_size // n_envs rows of n_envs transitions) storing the
//     real final observation as next_obs and done = terminated only, so that time-limit
//     truncations bootstrap (handle_timeout_termination=True) [common/buffers.py ReplayBuffer].
//  6. Training cadence: a rollout is train_freq vector steps (or train_freq finished episodes
//     with [n, episode]); after each, if num_timesteps > learning_starts, gradient_steps
//     gradient steps (-1: as many as transitions collected) [off_policy_algorithm.py learn,
//     collect_rollouts].
//  7. One gradient step: batch_size transitions drawn uniformly with replacement;
//     y = r + (1 - done) * gamma * max_a' Q_target(s', a'); loss = smooth_l1(Q(s, a), y)
//     (Huber, beta 1, mean); gradient clipped to global norm max_grad_norm; Adam with torch's
//     defaults (betas 0.9/0.999, eps 1e-8: DQNPolicy passes no optimizer_kwargs) [dqn.py train,
//     common/policies.py BaseModel]. max_a' Q_target(s', a') of a transition drawn again before
//     the target network changes is reused, not recomputed (toolkit/target_value_cache.hpp:
//     the same bits).
//  8. learning_rate (constant or lin_<x>) is read at progress_remaining at the start of each
//     training phase [common/base_class.py _update_learning_rate].
//  9. Logged as SB3 does: train/loss (mean over the phase's gradient steps), train/n_updates,
//     train/learning_rate, rollout/exploration_rate.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <istream>
#include <ostream>
#include <span>
#include <string>

#include <fmt/format.h>
#include <spdlog/logger.h>

#include "recrl/plugin/export.hpp"
#include "recrl/toolkit/binary_io.hpp"
#include "recrl/toolkit/epsilon_greedy.hpp"
#include "recrl/toolkit/losses.hpp"
#include "recrl/toolkit/memory_check.hpp"
#include "recrl/toolkit/mlp.hpp"
#include "recrl/toolkit/optimizers.hpp"
#include "recrl/toolkit/policy_kwargs.hpp"
#include "recrl/toolkit/replay_buffer.hpp"
#include "recrl/toolkit/schedule.hpp"
#include "recrl/toolkit/spaces_check.hpp"
#include "recrl/toolkit/target_value_cache.hpp"

namespace {

using recrl::Params;
using recrl::Value;
using recrl::toolkit::Mlp;

// ---------------------------------------------------------------------------------------------
// When DQN explores, trains and refreshes its target network: SB3's off-policy bookkeeping
// (off_policy_algorithm.py learn / collect_rollouts, dqn.py _on_step), apart from the
// arithmetic so that tests step it through thousands of environment steps without a network.
// ---------------------------------------------------------------------------------------------

struct ClockSettings {
  std::int64_t n_envs = 1;
  std::int64_t total_timesteps = 1;  // the run's budget: SB3's learn(total_timesteps)
  std::int64_t learning_starts = 100;
  std::int64_t train_freq = 4;
  bool train_freq_in_episodes = false;  // SB3's TrainFreq unit "episode" (else "step")
  std::int64_t gradient_steps = 1;      // -1: as many as environment steps collected
  std::int64_t target_update_interval = 10000;
  double exploration_initial_eps = 1.0;
  double exploration_fraction = 0.1;
  double exploration_final_eps = 0.05;
};

class TrainingClock {
 public:
  struct Tick {
    bool refresh_target = false;      // polyak-update the target network now
    std::int64_t gradient_steps = 0;  // > 0: train now, this many gradient steps
  };

  explicit TrainingClock(const ClockSettings& s)
      : s_(s),
        // Each observe() is one vector step of n_envs transitions; SB3 counts target updates
        // in vector steps: every max(target_update_interval // n_envs, 1) calls.
        target_refresh_calls_(std::max<std::int64_t>(s.target_update_interval / s.n_envs, 1)) {}

  // One vector step that ended `episodes_ended` episodes (terminated or truncated).
  Tick step(std::int64_t episodes_ended) {
    Tick tick;
    num_timesteps_ += s_.n_envs;
    ++collected_steps_;
    collected_episodes_ += episodes_ended;
    // _on_step(): after the progress update, before the rollout ends.
    ++calls_;
    tick.refresh_target = calls_ % target_refresh_calls_ == 0;
    // progress_remaining() < 1 here, so exploration_fraction 0 (no decay) never divides 0 by 0.
    exploration_rate_ =
        recrl::toolkit::linear_fn(s_.exploration_initial_eps, s_.exploration_final_eps,
                                  s_.exploration_fraction, progress_remaining());
    const bool rollout_done = s_.train_freq_in_episodes ? collected_episodes_ >= s_.train_freq
                                                        : collected_steps_ >= s_.train_freq;
    if (!rollout_done) return tick;
    // learn(): train after the rollout once more than learning_starts steps were taken.
    const std::int64_t collected_transitions = collected_steps_ * s_.n_envs;
    collected_steps_ = 0;
    collected_episodes_ = 0;
    if (num_timesteps_ > s_.learning_starts) {
      tick.gradient_steps = s_.gradient_steps >= 0 ? s_.gradient_steps : collected_transitions;
    }
    return tick;
  }

  // Before learning_starts environment steps every action is uniformly random
  // (OffPolicyAlgorithm._sample_action's warm-up).
  bool warming_up() const { return num_timesteps_ < s_.learning_starts; }
  // SB3's self.exploration_rate: 0 until the first step (its initial value), then the
  // schedule at the progress after the latest step.
  double exploration_rate() const { return exploration_rate_; }
  double progress_remaining() const {
    return recrl::toolkit::progress_remaining(num_timesteps_, s_.total_timesteps);
  }
  std::int64_t num_timesteps() const { return num_timesteps_; }
  std::int64_t target_refresh_calls() const { return target_refresh_calls_; }

  // The counters (not the settings, which come from the parameters), for checkpoints.
  void save_state(std::ostream& out) const {
    for (std::int64_t v : {num_timesteps_, calls_, collected_steps_, collected_episodes_})
      recrl::toolkit::write_pod<std::int64_t>(out, v);
    recrl::toolkit::write_pod<double>(out, exploration_rate_);
  }
  void load_state(std::istream& in) {
    for (std::int64_t* v : {&num_timesteps_, &calls_, &collected_steps_, &collected_episodes_})
      *v = recrl::toolkit::read_pod<std::int64_t>(in, "dqn training clock");
    exploration_rate_ = recrl::toolkit::read_pod<double>(in, "dqn training clock");
  }

 private:
  ClockSettings s_;
  std::int64_t target_refresh_calls_;
  std::int64_t num_timesteps_ = 0;
  std::int64_t calls_ = 0;               // vector steps (SB3's _n_calls)
  std::int64_t collected_steps_ = 0;     // vector steps in the current rollout
  std::int64_t collected_episodes_ = 0;  // episodes ended in the current rollout
  double exploration_rate_ = 0.0;
};

// ---------------------------------------------------------------------------------------------
// The loss of one minibatch and its gradient (dqn.py train), templated on the scalar: the
// plugin trains in float, the tests check the gradient in double against finite differences.
//   y_i = r_i + (1 - done_i) * gamma * max_a' Q_target(s'_i, a')      (no gradient through y)
//   L   = mean_i smooth_l1(Q(s_i, a_i) - y_i)                          (Huber, beta 1)
// ---------------------------------------------------------------------------------------------

template <typename T>
class TdLoss {
 public:
  using Index = Eigen::Index;
  using Mat = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>;

  TdLoss() = default;
  // Preallocates for minibatches of up to max_batch transitions: accumulate() allocates nothing.
  explicit TdLoss(Index max_batch)
      : targets_(1, max_batch), chosen_(1, max_batch), chosen_grad_(1, max_batch) {}

  // L for the transitions (columns) obs [obs_dim x B], actions [B], rewards [1 x B], dones
  // [1 x B] (1 = terminated) and next_max [1 x B] = max_a' Q_target(s'_i, a'); ADDS
  // dL/dparameters to q_net.gradients() and returns L.
  T accumulate(Mlp<T>& q_net, const Eigen::Ref<const Mat>& obs, std::span<const int> actions,
               const Eigen::Ref<const Mat>& rewards, const Eigen::Ref<const Mat>& next_max,
               const Eigen::Ref<const Mat>& dones, T gamma) {
    const Index n = obs.cols();
    RECRL_ASSERT(n >= 1 && n <= targets_.cols() && static_cast<Index>(actions.size()) == n &&
                     rewards.cols() == n && next_max.cols() == n && dones.cols() == n,
                 "TdLoss::accumulate: batch sizes disagree or exceed the reserved batch");
    // rewards + (1 - dones) * gamma * next_q.max(dim=1), as SB3 writes it, element by element.
    auto targets = targets_.leftCols(n);
    for (Index i = 0; i < n; ++i) {
      targets(0, i) = rewards(0, i) + (T(1) - dones(0, i)) * gamma * next_max(0, i);
    }
    const auto q = q_net.forward(obs);  // [n_actions x B]
    auto chosen = chosen_.leftCols(n);
    for (Index i = 0; i < n; ++i) chosen(0, i) = q(actions[static_cast<std::size_t>(i)], i);
    auto chosen_grad = chosen_grad_.leftCols(n);
    const T loss = recrl::toolkit::smooth_l1_loss(chosen, targets, chosen_grad);
    // th.gather's backward: the gradient reaches only the Q-value of the action taken.
    q_net.backward_selected(actions, chosen_grad);
    return loss;
  }

 private:
  Mat targets_;      // [1 x max_batch] y
  Mat chosen_;       // [1 x max_batch] Q(s, a)
  Mat chosen_grad_;  // [1 x max_batch] dL/dQ(s, a)
};

// ---------------------------------------------------------------------------------------------
// The algorithm
// ---------------------------------------------------------------------------------------------

// Evaluation acts on up to this many episodes at once (the runner's batch width).
constexpr Eigen::Index kEvalBatch = 64;
constexpr char kStateMagic[8] = {'r', 'e', 'c', 'r', 'l', 'D', 'Q', 'N'};
constexpr std::int32_t kStateVersion = 1;
constexpr char kTrainingTag[] = "recrl.dqn.training.1";

// train_freq: an integer (steps) or SB3's tuple [n, "step" | "episode"].
void read_train_freq(const Params& p, ClockSettings& clock) {
  const Value& v = p.get("train_freq");
  const bool pair = v.is_list() && v.items().size() == 2 && v.items()[1].is_string();
  const std::string unit = pair ? v.items()[1].as_string() : "step";
  const Value& count = pair ? v.items()[0] : v;
  if ((v.is_list() && !pair) || (unit != "step" && unit != "episode") || !count.is_int() ||
      count.as_int() < 1) {
    throw p.error("train_freq",
                  "expected an integer >= 1, [n, step] or [n, episode], got " + v.text());
  }
  clock.train_freq_in_episodes = unit == "episode";
  clock.train_freq = count.as_int();
}

class Dqn final : public recrl::Algorithm {
 public:
  static recrl::ParamSchema schema() {
    recrl::ParamSchema s;
    s.node("learning_rate", Value::real(1e-4),
           "Adam step size: a number or lin_<x> (x * progress_remaining)");
    s.integer("buffer_size", 1'000'000, "replay buffer capacity in transitions").at_least(1);
    s.integer("learning_starts", 100, "environment steps of uniform random actions before training")
        .at_least(0);
    s.integer("batch_size", 32, "transitions per gradient step").at_least(1);
    s.real("tau", 1.0, "target network polyak coefficient (1 = hard copy)")
        .greater_than(0)
        .at_most(1);
    s.real("gamma", 0.99, "discount factor").range(0, 1);
    s.node("train_freq", Value::integer(4),
           "train every n vector steps, or [n, step] / [n, episode]");
    s.integer("gradient_steps", 1,
              "gradient steps after each rollout (-1: one per transition collected)")
        .at_least(-1);
    s.integer("target_update_interval", 10000, "environment steps between target network updates")
        .at_least(1);
    s.real("exploration_fraction", 0.1, "fraction of training over which epsilon decays")
        .range(0, 1);
    s.real("exploration_initial_eps", 1.0, "epsilon at the start").range(0, 1);
    s.real("exploration_final_eps", 0.05, "epsilon after the decay").range(0, 1);
    s.real("max_grad_norm", 10.0, "global gradient norm clip").greater_than(0);
    s.node("policy_kwargs", Value::map(),
           "{net_arch: [64, 64], activation_fn: relu} or rl-zoo's \"dict(...)\" string");
    return s;
  }

  Dqn(const Params& p, const recrl::PluginContext& ctx)
      : n_envs_(ctx.n_envs),
        learning_rate_(recrl::toolkit::Schedule::parse(p, "learning_rate")),
        batch_size_(p.get_int("batch_size")),
        tau_(static_cast<float>(p.get_double("tau"))),
        gamma_(static_cast<float>(p.get_double("gamma"))),
        max_grad_norm_(static_cast<float>(p.get_double("max_grad_norm"))),
        has_budget_(ctx.total_timesteps > 0),
        final_epsilon_(p.get_double("exploration_final_eps")),
        clock_(read_clock(p, ctx)) {
    recrl::toolkit::require_discrete_actions(ctx, "dqn");
    const std::int64_t buffer_size = p.get_int("buffer_size");
    if (batch_size_ > buffer_size) {
      throw p.error("batch_size",
                    fmt::format("must be <= buffer_size ({}), got {}", buffer_size, batch_size_));
    }
    // Each transition: two observations, reward and done (floats); and its target cache slot.
    const double transition_bytes = 4.0 * (2 * ctx.env->observation.size + 2) + 8;
    recrl::toolkit::require_memory(p, "buffer_size", transition_bytes * buffer_size,
                                   fmt::format("a replay buffer of {} transitions", buffer_size));
    if (n_envs_ > p.get_int("target_update_interval") && ctx.logger) {
      ctx.logger->warn(
          "dqn: n_envs {} > target_update_interval {}: the target network is updated after "
          "every vector step ({} transitions)",
          n_envs_, p.get_int("target_update_interval"), n_envs_);
    }
    recrl::toolkit::PolicyKwargsRules rules;
    rules.defaults.pi_hidden = {64, 64};
    rules.defaults.activation_fn = recrl::toolkit::Activation::Relu;
    rules.defaults.ortho_init = false;
    rules.value_network = false;
    const auto kwargs = recrl::toolkit::parse_policy_kwargs(p.get("policy_kwargs"),
                                                            p.key_path("policy_kwargs"), rules);
    const Eigen::Index obs_dim = ctx.env->observation.size;
    n_actions_ = ctx.env->action.size;
    // The Q-network with its gradients and Adam's moments, and the target network.
    const Eigen::Index q_batch = std::max<Eigen::Index>({n_envs_, kEvalBatch, batch_size_});
    auto networks =
        recrl::toolkit::mlp_footprint(obs_dim, kwargs.pi_hidden, n_actions_, q_batch, 4);
    networks +=
        recrl::toolkit::mlp_footprint(obs_dim, kwargs.pi_hidden, n_actions_, batch_size_, 1);
    recrl::toolkit::require_network_memory(p, networks, q_batch, "batch_size");
    const std::vector<Eigen::Index> hidden(kwargs.pi_hidden.begin(), kwargs.pi_hidden.end());
    q_net_ = Mlp<float>(obs_dim, hidden, n_actions_, kwargs.activation_fn);
    target_net_ = Mlp<float>(obs_dim, hidden, n_actions_, kwargs.activation_fn);
    q_net_.reserve(std::max<Eigen::Index>({n_envs_, kEvalBatch, batch_size_}));
    target_net_.reserve(batch_size_);
    optimizer_ = recrl::toolkit::Adam<float>(q_net_.num_parameters(), learning_rate_.initial());
    buffer_ = recrl::toolkit::ReplayBuffer(buffer_size, n_envs_, obs_dim);
    batch_.reserve(obs_dim, batch_size_);
    td_loss_ = TdLoss<float>(batch_size_);
    // The cache returns what a fresh forward pass would only when a sample's output does not
    // depend on its batch (not with fewer actions than a SIMD packet holds, e.g. CartPole's 2).
    if (target_net_.batch_independent()) {
      target_cache_ =
          recrl::toolkit::TargetValueCache(buffer_.rows() * n_envs_, obs_dim, batch_size_);
    }
    next_max_.resize(1, batch_size_);
  }

  void act(const recrl::ObsBatch& obs, recrl::ActMode mode, recrl::Rng& rng,
           std::span<int> actions) override {
    initialize_once(rng);
    if (mode == recrl::ActMode::Explore && (warming_up() || rng.uniform() < exploration_rate())) {
      for (std::size_t j = 0; j < actions.size(); ++j) {
        actions[j] =
            recrl::toolkit::AllowedActions(obs.allowed, n_actions_, static_cast<Eigen::Index>(j))
                .uniform(rng);
      }
      return;
    }
    recrl::toolkit::argmax_columns(q_net_.forward(obs.obs), obs.allowed, actions);
  }

  // What act() draws from, per column: uniform during the warm-up, then epsilon / K plus
  // 1 - epsilon on the greedy action (one draw decides for the whole batch, so this is each
  // column's own probability); the greedy action alone in Greedy mode. None before the
  // weights exist (the first act() or load() draws or reads them).
  bool action_probabilities(const recrl::ObsBatch& obs, recrl::ActMode mode,
                            recrl::Matrix& probs) const override {
    if (!initialized_) return false;
    const double epsilon = mode == recrl::ActMode::Greedy ? 0.0
                           : warming_up()                 ? 1.0
                                                          : exploration_rate();
    recrl::toolkit::epsilon_greedy_probabilities(q_net_.forward(obs.obs), obs.allowed, epsilon,
                                                 probs);
    return true;
  }

  // The Q-values, whose argmax Greedy mode plays.
  bool action_scores(const recrl::ObsBatch& obs, recrl::Matrix& scores) const override {
    if (initialized_) scores = q_net_.forward(obs.obs);
    return initialized_;
  }
  bool score_network(recrl::DenseNetwork& network) const override {
    if (initialized_) q_net_.dense_view(network);
    return initialized_;
  }

  bool observe(const recrl::StepBatch& batch) override {
    // Acting on a loaded policy needs no budget; learning does, and the runner always gives it.
    RECRL_ASSERT(has_budget_, "dqn: learning needs PluginContext::total_timesteps > 0");
    target_cache_.forget(buffer_.position() * n_envs_, n_envs_);
    buffer_.add(batch.obs, batch.final_obs, batch.actions, batch.rewards, batch.terminated,
                batch.final_allowed);
    std::int64_t episodes_ended = 0;
    for (std::size_t i = 0; i < batch.terminated.size(); ++i) {
      episodes_ended += (batch.terminated[i] != 0 || batch.truncated[i] != 0) ? 1 : 0;
    }
    const auto tick = clock_.step(episodes_ended);
    if (tick.refresh_target) {
      if (tau_ == 1.0f) {
        target_net_.copy_parameters_from(q_net_);
      } else {
        target_net_.polyak_update(q_net_, tau_);
      }
      target_cache_.forget_all();
    }
    pending_gradient_steps_ = tick.gradient_steps;
    return pending_gradient_steps_ > 0;
  }

  void update(recrl::Rng& rng, recrl::Metrics& metrics) override {
    initialize_once(rng);
    const double learning_rate = learning_rate_.value(clock_.progress_remaining());
    optimizer_.set_lr(learning_rate);
    double loss_sum = 0;
    double flops = 0;
    for (std::int64_t k = 0; k < pending_gradient_steps_; ++k) {
      buffer_.sample(rng, batch_size_, batch_);
      const Eigen::Index n = batch_.size;
      q_net_.zero_gradients();
      auto next_max = next_max_.leftCols(n);
      const Eigen::Index computed = target_cache_.greedy_values(
          target_net_, {batch_.slots.data(), static_cast<std::size_t>(n)},
          batch_.next_obs.leftCols(n), batch_.dones.leftCols(n), next_max,
          batch_.next_allowed_span());
      const float loss = td_loss_.accumulate(q_net_, batch_.obs.leftCols(n), batch_.action_span(),
                                             batch_.rewards.leftCols(n), next_max,
                                             batch_.dones.leftCols(n), gamma_);
      const float grad_norm = recrl::toolkit::clip_grad_norm(q_net_.gradients(), max_grad_norm_);
      if (!std::isfinite(loss) || !std::isfinite(grad_norm)) {
        throw recrl::NumericalError(fmt::format(
            "algorithm 'dqn': loss {} and gradient norm {} in gradient step {} after {} "
            "environment steps",
            loss, grad_norm, n_updates_ + k + 1, clock_.num_timesteps()));
      }
      optimizer_.step(q_net_.parameters(), q_net_.gradients());
      loss_sum += static_cast<double>(loss);
      // The target network's forward pass on the next observations not cached, the
      // Q-network's forward and backward passes.
      flops += target_net_.forward_flops(computed) + q_net_.forward_flops(n) +
               q_net_.backward_selected_flops(n);
    }
    n_updates_ += pending_gradient_steps_;
    metrics.push_back({"train/learning_rate", learning_rate});
    metrics.push_back({"train/n_updates", static_cast<double>(n_updates_)});
    metrics.push_back({"train/loss", loss_sum / static_cast<double>(pending_gradient_steps_)});
    metrics.push_back({"rollout/exploration_rate", clock_.exploration_rate()});
    metrics.push_back({recrl::kUpdateFlopsMetric, flops});
    pending_gradient_steps_ = 0;
  }

  // The policy: a magic word, a version, then the Q-network and the target network.
  void save(std::ostream& out) const override {
    out.write(kStateMagic, sizeof kStateMagic);
    recrl::toolkit::write_pod<std::int32_t>(out, kStateVersion);
    q_net_.save(out);
    target_net_.save(out);
  }

  void load(std::istream& in) override {
    recrl::toolkit::expect_magic(in, kStateMagic, sizeof kStateMagic,
                                 "dqn: the saved state is not a dqn policy");
    recrl::toolkit::expect_version(in, kStateVersion, "dqn");
    q_net_.load(in);
    target_net_.load(in);
    target_cache_.forget_all();
    initialized_ = true;
  }

  bool supports_checkpoints() const override { return true; }

  // Both networks, the optimiser, the replay buffer's filled rows and the step accounting.
  void save_training_state(std::ostream& out) const override {
    using recrl::toolkit::write_pod;
    recrl::toolkit::write_tag(out, kTrainingTag);
    write_pod<std::uint8_t>(out, initialized_ ? 1 : 0);
    write_pod<std::int64_t>(out, pending_gradient_steps_);
    write_pod<std::int64_t>(out, n_updates_);
    clock_.save_state(out);
    q_net_.save(out);
    target_net_.save(out);
    optimizer_.save(out);
    buffer_.save_state(out);
  }

  void load_training_state(std::istream& in) override {
    using recrl::toolkit::read_pod;
    recrl::toolkit::expect_tag(in, kTrainingTag);
    const bool initialized = read_pod<std::uint8_t>(in, kTrainingTag) != 0;
    pending_gradient_steps_ = read_pod<std::int64_t>(in, kTrainingTag);
    n_updates_ = read_pod<std::int64_t>(in, kTrainingTag);
    clock_.load_state(in);
    q_net_.load(in);
    target_net_.load(in);
    target_cache_.forget_all();
    optimizer_.load(in);
    buffer_.load_state(in);
    initialized_ = initialized;
  }

  bool state_values(const recrl::ObsBatch& obs, recrl::Vector& values) const override {
    values = q_net_.forward(obs.obs).colwise().maxCoeff().transpose();
    return true;
  }

 private:
  // Explore mode in training follows SB3 (the warm-up, then the schedule). A policy acting
  // outside training (loaded by `recommend` or `simulate`: no budget) explores as its training
  // ended, at exploration_final_eps.
  bool warming_up() const { return has_budget_ && clock_.warming_up(); }
  double exploration_rate() const {
    return has_budget_ ? clock_.exploration_rate() : final_epsilon_;
  }

  static ClockSettings read_clock(const Params& p, const recrl::PluginContext& ctx) {
    ClockSettings clock;
    clock.n_envs = ctx.n_envs;
    clock.total_timesteps = ctx.total_timesteps;
    clock.learning_starts = p.get_int("learning_starts");
    read_train_freq(p, clock);
    clock.gradient_steps = p.get_int("gradient_steps");
    clock.target_update_interval = p.get_int("target_update_interval");
    clock.exploration_initial_eps = p.get_double("exploration_initial_eps");
    clock.exploration_fraction = p.get_double("exploration_fraction");
    clock.exploration_final_eps = p.get_double("exploration_final_eps");
    return clock;
  }

  // The constructor has no random stream, so the networks draw their initial weights from the
  // run's algorithm stream at the first call that brings one (before any action is chosen).
  void initialize_once(recrl::Rng& rng) {
    if (initialized_) return;
    q_net_.init_pytorch_default(rng);
    target_net_.copy_parameters_from(q_net_);
    target_cache_.forget_all();
    initialized_ = true;
  }

  std::int64_t n_envs_;
  recrl::toolkit::Schedule learning_rate_;
  std::int64_t batch_size_;
  float tau_;
  float gamma_;
  float max_grad_norm_;
  bool has_budget_;
  double final_epsilon_;  // exploration outside training
  TrainingClock clock_;
  Eigen::Index n_actions_ = 0;

  // forward() keeps activations for backward(); state_values() is const but only reads them
  // transiently, between training steps.
  mutable Mlp<float> q_net_;
  Mlp<float> target_net_;
  recrl::toolkit::Adam<float> optimizer_;
  recrl::toolkit::ReplayBuffer buffer_;
  recrl::toolkit::ReplayBatch batch_;
  TdLoss<float> td_loss_;
  recrl::toolkit::TargetValueCache target_cache_;  // the target network's values, per slot
  Eigen::MatrixXf next_max_;                       // [1 x batch_size] of the current minibatch
  bool initialized_ = false;
  std::int64_t pending_gradient_steps_ = 0;
  std::int64_t n_updates_ = 0;
};

}  // namespace

RECRL_ALGORITHM_PLUGIN(Dqn, "dqn", "1.0.0", "Deep Q-Network with Stable-Baselines3's defaults")
