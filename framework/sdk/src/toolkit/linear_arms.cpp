#include "recrl/toolkit/linear_arms.hpp"

#include <algorithm>

#include "recrl/core/errors.hpp"
#include "recrl/toolkit/binary_io.hpp"

namespace recrl::toolkit {

LinearArms::LinearArms(int n_actions, Eigen::Index n_features, double lambda)
    : lambda_(lambda),
      a_(static_cast<std::size_t>(n_actions),
         Eigen::MatrixXd::Identity(n_features + 1, n_features + 1) * lambda),
      a_inv_(static_cast<std::size_t>(n_actions),
             Eigen::MatrixXd::Identity(n_features + 1, n_features + 1) / lambda),
      b_(static_cast<std::size_t>(n_actions), Eigen::VectorXd::Zero(n_features + 1)),
      theta_(static_cast<std::size_t>(n_actions), Eigen::VectorXd::Zero(n_features + 1)),
      updates_(static_cast<std::size_t>(n_actions), 0),
      accumulated_(static_cast<std::size_t>(n_actions), 0),
      x_(Eigen::VectorXd::Zero(n_features + 1)),
      u_(n_features + 1),
      llt_(n_features + 1) {
  RECRL_ASSERT(n_actions > 0 && lambda > 0, "LinearArms needs actions and lambda > 0");
}

void LinearArms::set_context(const Eigen::Ref<const Vector>& obs) const {
  RECRL_ASSERT(obs.size() + 1 == x_.size(), "LinearArms::set_context: wrong feature count");
  x_.head(obs.size()) = obs.cast<double>();
  x_[obs.size()] = 1.0;
}

double LinearArms::variance(int a) const {
  u_.noalias() = a_inv_[static_cast<std::size_t>(a)] * x_;
  return x_.dot(u_);
}

void LinearArms::update(int a, double reward, double weight) {
  const auto i = static_cast<std::size_t>(a);
  RECRL_ASSERT(!accumulated_[i], "LinearArms::update after accumulate() without solve()");
  u_.noalias() = a_inv_[i] * x_;
  const double scale = weight / (1.0 + weight * x_.dot(u_));
  const double error = reward - theta_[i].dot(x_);
  a_inv_[i].noalias() -= (scale * u_) * u_.transpose();
  theta_[i].noalias() += (scale * error) * u_;
  a_[i].noalias() += (weight * x_) * x_.transpose();
  b_[i].noalias() += (weight * reward) * x_;
  if (++updates_[i] % kRefreshEvery == 0) refresh(i);
}

void LinearArms::accumulate(int a, double reward, double weight) {
  const auto i = static_cast<std::size_t>(a);
  a_[i].selfadjointView<Eigen::Lower>().rankUpdate(x_, weight);
  b_[i].noalias() += (weight * reward) * x_;
  ++updates_[i];
  accumulated_[i] = 1;
}

void LinearArms::solve() {
  for (std::size_t a = 0; a < accumulated_.size(); ++a) {
    if (!accumulated_[a]) continue;
    // The upper half from the lower, so that A is whole again (it is saved, and update() adds
    // to both halves).
    a_[a].triangularView<Eigen::StrictlyUpper>() = a_[a].transpose();
    refresh(a);
    accumulated_[a] = 0;
  }
}

void LinearArms::refresh(std::size_t a) {
  llt_.compute(a_[a]);
  a_inv_[a].setIdentity();
  llt_.solveInPlace(a_inv_[a]);
  theta_[a].noalias() = a_inv_[a] * b_[a];
}

void LinearArms::save(std::ostream& out) const {
  RECRL_ASSERT(std::none_of(accumulated_.begin(), accumulated_.end(), [](auto v) { return v; }),
               "LinearArms::save after accumulate() without solve()");
  write_pod<double>(out, lambda_);
  for (std::size_t a = 0; a < b_.size(); ++a) {
    write_array(out, a_[a]);
    write_array(out, a_inv_[a]);
    write_array(out, b_[a]);
    write_array(out, theta_[a]);
    write_pod<std::int64_t>(out, updates_[a]);
  }
}

void LinearArms::load(std::istream& in, const char* what) {
  const std::string name(what);
  lambda_ = read_pod<double>(in, name + " lambda");
  for (std::size_t a = 0; a < b_.size(); ++a) {
    read_array(in, a_[a], name + " A");
    read_array(in, a_inv_[a], name + " A^-1");
    read_array(in, b_[a], name + " b");
    read_array(in, theta_[a], name + " theta");
    updates_[a] = read_pod<std::int64_t>(in, name + " update count");
    if (updates_[a] < 0) throw DataError(SourceLocation{}, name + ": a negative update count");
  }
}

}  // namespace recrl::toolkit
