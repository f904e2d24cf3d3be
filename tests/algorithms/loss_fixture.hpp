#pragma once

// A minibatch of chosen logits, values, advantages and returns in double, shared by the PPO and
// A2C loss tests, and the central-difference check of a loss's gradient with respect to every
// logit and every value.

#include <cmath>
#include <functional>
#include <vector>

#include <catch2/catch.hpp>

#include "recrl/core/random.hpp"
#include "recrl/toolkit/categorical.hpp"

namespace recrl::test {

using MatD = Eigen::MatrixXd;

struct LossFixture {
  static constexpr int kActions = 4;
  static constexpr int kBatch = 6;
  std::vector<int> actions{0, 3, 1, 2, 3, 0};
  MatD logits = MatD(kActions, kBatch);
  MatD values = MatD(1, kBatch);
  MatD old_log_probs = MatD(1, kBatch);
  MatD old_values = MatD(1, kBatch);
  MatD advantages = MatD(1, kBatch);
  MatD returns = MatD(1, kBatch);

  LossFixture() {
    recrl::Rng rng(42);
    for (Eigen::Index i = 0; i < logits.size(); ++i) logits(i) = rng.normal();
    advantages << 1.3, -0.7, 0.4, -1.1, 0.9, -0.2;
    // Ratios pi / pi_old on both sides of [0.8, 1.2] and inside it, with advantages of both
    // signs, so every branch of the clipped surrogate is exercised (and none sits on a kink).
    const std::vector<double> ratios{0.5, 0.9, 1.5, 1.1, 1.35, 0.7};
    const MatD log_prob = log_probs(logits);
    for (int i = 0; i < kBatch; ++i)
      old_log_probs(0, i) = log_prob(0, i) - std::log(ratios[static_cast<std::size_t>(i)]);
    values << 0.2, -0.4, 1.1, 0.05, -0.9, 0.6;
    // Value changes inside and outside clip_range_vf = 0.3.
    old_values << 0.1, 0.2, 0.5, 0.0, -0.5, 0.65;
    returns << 1.0, -1.0, 0.3, 0.2, 0.4, -0.3;
  }

  // log pi(a_i) at `at_logits`.
  MatD log_probs(const MatD& at_logits) const {
    recrl::toolkit::Categorical<double> dist(kActions, kBatch);
    dist.set_logits(at_logits);
    MatD log_prob(1, kBatch);
    dist.log_prob(actions, log_prob);
    return log_prob;
  }

  // A loss at (logits, values) that writes its gradients when given somewhere to.
  using Loss = std::function<double(const MatD& logits, const MatD& values, MatD* grad_logits,
                                    MatD* grad_values)>;

  // Central differences of `loss` with respect to every logit and every value.
  void check_gradients(const Loss& loss) const {
    MatD grad_logits, grad_values;
    loss(logits, values, &grad_logits, &grad_values);
    const double h = 1e-6;
    for (Eigen::Index i = 0; i < logits.size(); ++i) {
      MatD plus = logits, minus = logits;
      plus(i) += h;
      minus(i) -= h;
      const double numeric =
          (loss(plus, values, nullptr, nullptr) - loss(minus, values, nullptr, nullptr)) / (2 * h);
      CHECK(grad_logits(i) == Approx(numeric).margin(1e-8));
    }
    for (Eigen::Index i = 0; i < values.size(); ++i) {
      MatD plus = values, minus = values;
      plus(i) += h;
      minus(i) -= h;
      const double numeric =
          (loss(logits, plus, nullptr, nullptr) - loss(logits, minus, nullptr, nullptr)) / (2 * h);
      CHECK(grad_values(i) == Approx(numeric).margin(1e-8));
    }
  }
};

}  // namespace recrl::test
