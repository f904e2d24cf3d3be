#pragma once

#include <cstdint>
#include <istream>
#include <ostream>
#include <vector>

#include <Eigen/Cholesky>
#include <Eigen/Core>

#include "recrl/core/export.hpp"
#include "recrl/core/types.hpp"

namespace recrl::toolkit {

// The statistics of the linear contextual bandits (plugins/algorithms/{eps_greedy,linucb,lin_ts,
// squarecb}): one ridge regression of the reward on the features per action ("disjoint" models,
// Li et al. 2010). For action a, with features x = [observation; 1] (a constant for the
// intercept) and importance weights w (1 when learning online),
//   A_a = lambda I + sum w x x^T,   b_a = sum w r x,   theta_a = A_a^-1 b_a.
// A_a^-1 and theta_a are kept up to date by rank-one (Sherman-Morrison) updates, O(d^2) per
// step with no inversion; with u = A^-1 x and s = x^T u,
//   A^-1 <- A^-1 - w u u^T / (1 + w s),   theta <- theta + w u (r - x^T theta) / (1 + w s).
// Every kRefreshEvery updates of an action its A^-1 and theta are recomputed from A and b (a
// Cholesky solve) so that rounding cannot accumulate over millions of steps. Nothing allocates
// after construction. set_context() loads one observation; mean(), variance() and update() use
// it.
class RECRL_API LinearArms {
 public:
  static constexpr std::int64_t kRefreshEvery = 4096;

  LinearArms(int n_actions, Eigen::Index n_features, double lambda);

  int actions() const { return static_cast<int>(b_.size()); }
  // Features per context, the constant included.
  Eigen::Index dim() const { return x_.size(); }

  // x = [obs; 1] for the calls that follow. The context is scratch, not state: const, so that
  // a const policy can be asked about any observation.
  void set_context(const Eigen::Ref<const Vector>& obs) const;
  // theta_a . x: the predicted reward of action a.
  double mean(int a) const { return theta_[static_cast<std::size_t>(a)].dot(x_); }
  // theta_a itself: the weights of [observation; 1].
  const Eigen::VectorXd& theta(int a) const { return theta_[static_cast<std::size_t>(a)]; }
  // x^T A_a^-1 x: the ridge estimate's variance along x, in units of the noise variance.
  double variance(int a) const;
  // Adds (x, reward) to action a's regression with importance weight `weight` (> 0).
  void update(int a, double reward, double weight = 1.0);
  // For fitting many rows at once (a log): adds (x, reward) to action a's A and b only, half
  // of A (it is symmetric), O(d^2 / 2) and no rank-one inverse; A^-1 and theta stay as they
  // were until solve(), which must come before anything reads them.
  void accumulate(int a, double reward, double weight = 1.0);
  // Recomputes A^-1 and theta of every action accumulate() added to since (a Cholesky solve
  // each).
  void solve();
  // Updates of action a so far.
  std::int64_t updates(int a) const { return updates_[static_cast<std::size_t>(a)]; }

  // Everything above, bit for bit (the policy and the training state alike). load() requires
  // the same actions and features, and names `what` in its errors.
  void save(std::ostream& out) const;
  void load(std::istream& in, const char* what);

 private:
  void refresh(std::size_t a);

  double lambda_;
  std::vector<Eigen::MatrixXd> a_;      // per action: lambda I + sum w x x^T
  std::vector<Eigen::MatrixXd> a_inv_;  // per action: A^-1
  std::vector<Eigen::VectorXd> b_;      // per action: sum w r x
  std::vector<Eigen::VectorXd> theta_;  // per action: A^-1 b
  std::vector<std::int64_t> updates_;
  std::vector<std::uint8_t> accumulated_;  // per action: 1 while accumulate() awaits solve()
  mutable Eigen::VectorXd x_;        // the current context's features
  mutable Eigen::VectorXd u_;        // scratch: A^-1 x
  Eigen::LLT<Eigen::MatrixXd> llt_;  // scratch of refresh()
};

}  // namespace recrl::toolkit
