#include "recrl/toolkit/rollout_buffer.hpp"

#include <algorithm>
#include <istream>
#include <numeric>
#include <ostream>
#include <utility>

#include "recrl/core/errors.hpp"
#include "recrl/toolkit/binary_io.hpp"
#include "prefetch.hpp"

namespace recrl::toolkit {

void RolloutMinibatch::reserve(Eigen::Index obs_dim, Eigen::Index max_batch) {
  obs.resize(obs_dim, max_batch);
  actions.assign(static_cast<std::size_t>(max_batch), 0);
  old_values.resize(1, max_batch);
  old_log_probs.resize(1, max_batch);
  advantages.resize(1, max_batch);
  returns.resize(1, max_batch);
  size = 0;
}

RolloutBuffer::RolloutBuffer(Index n_steps, Index n_envs, Index obs_dim, double gamma,
                             double gae_lambda)
    : n_steps_(n_steps),
      n_envs_(n_envs),
      obs_dim_(obs_dim),
      gamma_(gamma),
      gae_lambda_(gae_lambda) {
  RECRL_ASSERT(n_steps >= 1 && n_envs >= 1 && obs_dim >= 1, "RolloutBuffer needs sizes >= 1");
  obs_ = Matrix::Zero(obs_dim, capacity());
  actions_.assign(static_cast<std::size_t>(capacity()), 0);
  rewards_ = Matrix::Zero(n_envs, n_steps);
  episode_starts_ = Matrix::Zero(n_envs, n_steps);
  values_ = Matrix::Zero(n_envs, n_steps);
  log_probs_ = Matrix::Zero(n_envs, n_steps);
  advantages_ = Matrix::Zero(n_envs, n_steps);
  returns_ = Matrix::Zero(n_envs, n_steps);
  order_.resize(static_cast<std::size_t>(capacity()));
  std::iota(order_.begin(), order_.end(), Index{0});
}

void RolloutBuffer::reset() {
  pos_ = 0;
  std::iota(order_.begin(), order_.end(), Index{0});
}

void RolloutBuffer::add(const Eigen::Ref<const Matrix>& obs, std::span<const int> actions,
                        const Eigen::Ref<const Vector>& rewards,
                        std::span<const std::uint8_t> episode_starts,
                        const Eigen::Ref<const Matrix>& values,
                        const Eigen::Ref<const Matrix>& log_probs, ActionMask allowed) {
  RECRL_ASSERT(!full(), "RolloutBuffer::add on a full buffer (call reset())");
  RECRL_ASSERT(obs.rows() == obs_dim_ && obs.cols() == n_envs_ &&
                   static_cast<Index>(actions.size()) == n_envs_ && rewards.size() == n_envs_ &&
                   static_cast<Index>(episode_starts.size()) == n_envs_ && values.rows() == 1 &&
                   values.cols() == n_envs_ && log_probs.rows() == 1 && log_probs.cols() == n_envs_,
               "RolloutBuffer::add: shapes must be [obs_dim x n_envs], [n_envs] and [1 x n_envs]");
  const Index first = pos_ * n_envs_;
  obs_.middleCols(first, n_envs_) = obs;
  for (Index e = 0; e < n_envs_; ++e) {
    actions_[static_cast<std::size_t>(first + e)] = actions[static_cast<std::size_t>(e)];
    episode_starts_(e, pos_) =
        episode_starts[static_cast<std::size_t>(e)] != 0 ? Scalar(1) : Scalar(0);
  }
  rewards_.col(pos_) = rewards;
  values_.col(pos_) = values.transpose();
  log_probs_.col(pos_) = log_probs.transpose();
  if (!allowed.empty()) {
    RECRL_ASSERT(allowed.size() % static_cast<std::size_t>(n_envs_) == 0,
                 "RolloutBuffer::add: masks must be [A x n_envs]");
    const std::size_t per_step = allowed.size();
    if (allowed_.empty()) allowed_.assign(per_step * static_cast<std::size_t>(n_steps_), 1);
    std::copy(allowed.begin(), allowed.end(),
              allowed_.begin() + static_cast<std::ptrdiff_t>(per_step * pos_));
  }
  ++pos_;
}

void RolloutBuffer::add_truncation_bootstrap(Index env, Scalar terminal_value) {
  RECRL_ASSERT(pos_ >= 1 && env >= 0 && env < n_envs_,
               "RolloutBuffer::add_truncation_bootstrap needs a step added and a valid env");
  rewards_(env, pos_ - 1) += static_cast<Scalar>(gamma_) * terminal_value;
}

void RolloutBuffer::compute_returns_and_advantage(const Eigen::Ref<const Matrix>& last_values,
                                                  std::span<const std::uint8_t> dones) {
  RECRL_ASSERT(pos_ >= 1, "RolloutBuffer::compute_returns_and_advantage on an empty buffer");
  RECRL_ASSERT(
      last_values.rows() == 1 && last_values.cols() == n_envs_ &&
          static_cast<Index>(dones.size()) == n_envs_,
      "RolloutBuffer::compute_returns_and_advantage: last_values [1 x n_envs], dones [n_envs]");
  // SB3 computes in float32 (numpy float32 arrays times Python floats stay float32).
  const Scalar gamma = static_cast<Scalar>(gamma_);
  const Scalar gamma_lambda = static_cast<Scalar>(gamma_ * gae_lambda_);
  for (Index e = 0; e < n_envs_; ++e) {
    Scalar next_advantage = 0;
    for (Index step = pos_ - 1; step >= 0; --step) {
      Scalar next_non_terminal;
      Scalar next_value;
      if (step == pos_ - 1) {
        next_non_terminal = dones[static_cast<std::size_t>(e)] != 0 ? Scalar(0) : Scalar(1);
        next_value = last_values(0, e);
      } else {
        next_non_terminal = Scalar(1) - episode_starts_(e, step + 1);
        next_value = values_(e, step + 1);
      }
      const Scalar delta =
          rewards_(e, step) + gamma * next_value * next_non_terminal - values_(e, step);
      next_advantage = delta + gamma_lambda * next_non_terminal * next_advantage;
      advantages_(e, step) = next_advantage;
    }
  }
  returns_.leftCols(pos_) = advantages_.leftCols(pos_) + values_.leftCols(pos_);
}

void RolloutBuffer::shuffle(Rng& rng) {
  const Index n = size();
  std::iota(order_.begin(), order_.begin() + n, Index{0});
  for (Index i = n - 1; i >= 1; --i) {
    const auto j = static_cast<Index>(rng.uniform_int(static_cast<std::uint64_t>(i) + 1));
    std::swap(order_[static_cast<std::size_t>(i)], order_[static_cast<std::size_t>(j)]);
  }
}

void RolloutBuffer::gather_minibatch(Index start, Index batch_size, RolloutMinibatch& mb) const {
  RECRL_ASSERT(start >= 0 && start < size() && batch_size >= 1,
               "RolloutBuffer::gather_minibatch: start must be in [0, size())");
  const Index count = std::min(batch_size, size() - start);
  RECRL_ASSERT(mb.obs.rows() == obs_dim_ && mb.obs.cols() >= count &&
                   static_cast<Index>(mb.actions.size()) >= count,
               "RolloutBuffer::gather_minibatch: reserve the minibatch for the batch size first");
  // Flat scalar storage: element k of the [n_envs x n_steps] matrices is sample k.
  const Scalar* values = values_.data();
  const Scalar* log_probs = log_probs_.data();
  const Scalar* advantages = advantages_.data();
  const Scalar* returns = returns_.data();
  // The samples' cache lines requested all at once (a shuffled rollout is read at random,
  // each sample a miss in L1), then copied.
  for (Index i = 0; i < count; ++i) {
    const Index k = order_[static_cast<std::size_t>(start + i)];
    prefetch_run(obs_.col(k).data(), obs_dim_);
    __builtin_prefetch(&actions_[static_cast<std::size_t>(k)]);
    for (const Scalar* row : {values, log_probs, advantages, returns}) __builtin_prefetch(row + k);
  }
  const std::size_t n_actions = allowed_.size() / static_cast<std::size_t>(capacity());
  if (n_actions > 0 && mb.allowed.size() != n_actions * mb.actions.size()) {
    mb.allowed.assign(n_actions * mb.actions.size(), 1);  // once, at the first masked gather
  }
  for (Index i = 0; i < count; ++i) {
    const Index k = order_[static_cast<std::size_t>(start + i)];
    if (n_actions > 0) {
      std::copy_n(allowed_.begin() + static_cast<std::ptrdiff_t>(n_actions * k), n_actions,
                  mb.allowed.begin() + static_cast<std::ptrdiff_t>(n_actions * i));
    }
    // A plain copy: Eigen's run-time-sized column copy costs more than a few values.
    std::copy_n(obs_.col(k).data(), obs_dim_, mb.obs.col(i).data());
    mb.actions[static_cast<std::size_t>(i)] = actions_[static_cast<std::size_t>(k)];
    mb.old_values(0, i) = values[k];
    mb.old_log_probs(0, i) = log_probs[k];
    mb.advantages(0, i) = advantages[k];
    mb.returns(0, i) = returns[k];
  }
  mb.size = count;
}

namespace {
constexpr char kRolloutTag[] = "recrl.rollout_buffer.2";
}  // namespace

void RolloutBuffer::save_state(std::ostream& out) const {
  write_tag(out, kRolloutTag);
  write_pod<std::int64_t>(out, pos_);
  for (const Matrix* m :
       {&obs_, &rewards_, &episode_starts_, &values_, &log_probs_, &advantages_, &returns_}) {
    write_array(out, *m);
  }
  write_values(out, actions_.data(), actions_.size());
  write_values(out, order_.data(), order_.size());
  write_values(out, allowed_.data(), allowed_.size());
}

void RolloutBuffer::load_state(std::istream& in) {
  expect_tag(in, kRolloutTag);
  const auto pos = read_pod<std::int64_t>(in, kRolloutTag);
  if (pos < 0 || pos > n_steps_) {
    throw DataError(SourceLocation{}, std::string(kRolloutTag) + ": fill position " +
                                          std::to_string(pos) + " outside [0, " +
                                          std::to_string(n_steps_) + "]");
  }
  for (Matrix* m :
       {&obs_, &rewards_, &episode_starts_, &values_, &log_probs_, &advantages_, &returns_}) {
    read_array(in, *m, kRolloutTag);
  }
  read_values(in, actions_.data(), actions_.size(), kRolloutTag);
  read_values(in, order_.data(), order_.size(), kRolloutTag);
  // The masks: none, or a whole number of actions per sample.
  const auto masks = read_pod<std::uint64_t>(in, kRolloutTag);
  const auto samples = static_cast<std::uint64_t>(capacity());
  if (masks % samples != 0 || masks / samples > (1u << 20)) {
    throw DataError(SourceLocation{}, std::string(kRolloutTag) + ": damaged action masks");
  }
  allowed_.assign(masks, 1);
  in.read(reinterpret_cast<char*>(allowed_.data()), static_cast<std::streamsize>(masks));
  if (!in)
    throw DataError(SourceLocation{}, std::string(kRolloutTag) + ": the saved state ends early");
  pos_ = pos;
}

}  // namespace recrl::toolkit
