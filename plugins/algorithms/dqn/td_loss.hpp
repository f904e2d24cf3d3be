#pragma once

// DQN's loss on one minibatch and its gradient (Stable-Baselines3 dqn/dqn.py train()):
//   y_i = r_i + (1 - done_i) * gamma * max_a' Q_target(s'_i, a')      (no gradient through y)
//   L   = mean_i smooth_l1(Q(s_i, a_i) - y_i)                          (Huber, beta 1)
// Templated on the scalar: the plugin trains in float, the tests check the gradient in double
// against finite differences through the same code.

#include <span>

#include <Eigen/Core>

#include "recrl/core/errors.hpp"
#include "recrl/toolkit/losses.hpp"
#include "recrl/toolkit/mlp.hpp"

namespace recrl::dqn {

template <typename T>
class TdLoss {
 public:
  using Index = Eigen::Index;
  using Mat = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>;

  TdLoss() = default;
  // Preallocates for minibatches of up to max_batch transitions: accumulate() allocates nothing.
  explicit TdLoss(Index max_batch)
      : targets_(1, max_batch), chosen_(1, max_batch), chosen_grad_(1, max_batch) {}

  // max_a' Q_target(s'_i, a') for each column s'_i of next_obs [obs_dim x B], into out [1 x B].
  static void greedy_values(toolkit::Mlp<T>& target_net, const Eigen::Ref<const Mat>& next_obs,
                            Eigen::Ref<Mat> out) {
    out = target_net.forward(next_obs).colwise().maxCoeff();
  }

  // Computes L for the transitions (columns) obs [obs_dim x B], actions [B], rewards [1 x B],
  // dones [1 x B] (1 = terminated) and next_max [1 x B] = max_a' Q_target(s'_i, a') (from
  // greedy_values or a TargetCache), ADDS dL/dparameters to q_net.gradients() and returns L.
  T accumulate(toolkit::Mlp<T>& q_net, const Eigen::Ref<const Mat>& obs,
               std::span<const int> actions, const Eigen::Ref<const Mat>& rewards,
               const Eigen::Ref<const Mat>& next_max, const Eigen::Ref<const Mat>& dones, T gamma) {
    const Index n = obs.cols();
    RECRL_ASSERT(n >= 1 && n <= targets_.cols() && static_cast<Index>(actions.size()) == n &&
                     rewards.cols() == n && next_max.cols() == n && dones.cols() == n,
                 "TdLoss::accumulate: batch sizes disagree or exceed the reserved batch");
    auto targets = targets_.leftCols(n);
    // As SB3 writes it: rewards + (1 - dones) * gamma * next_q.max(dim=1). Element by
    // element: Eigen's expression over these Refs (run-time outer stride) costs ~15
    // instructions per element in alignment bookkeeping.
    for (Index i = 0; i < n; ++i) {
      targets(0, i) = rewards(0, i) + (T(1) - dones(0, i)) * gamma * next_max(0, i);
    }
    const auto q = q_net.forward(obs);  // [n_actions x B]
    auto chosen = chosen_.leftCols(n);
    for (Index i = 0; i < n; ++i) chosen(0, i) = q(actions[static_cast<std::size_t>(i)], i);
    auto chosen_grad = chosen_grad_.leftCols(n);
    const T loss = toolkit::smooth_l1_loss(chosen, targets, chosen_grad);
    // th.gather's backward: the gradient reaches only the Q-value of the action taken.
    q_net.backward_selected(actions, chosen_grad);
    return loss;
  }

 private:
  Mat targets_;      // [1 x max_batch] y
  Mat chosen_;       // [1 x max_batch] Q(s, a)
  Mat chosen_grad_;  // [1 x max_batch] dL/dQ(s, a)
};

}  // namespace recrl::dqn
