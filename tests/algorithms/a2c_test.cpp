// a2c's loss, read in its plugin file: -mean(A log pi) + entropy bonus + value loss against
// finite differences in double. This binary compiles the plugin's source
// (plugins/algorithms/a2c/a2c.cpp).
#include <catch2/catch.hpp>

#include "a2c.cpp"
#include "loss_fixture.hpp"

namespace {

using recrl::test::LossFixture;
using recrl::test::MatD;

A2cLossTerms<double> a2c_loss(const LossFixture& f, const MatD& logits, const MatD& values,
                              MatD* grad_logits = nullptr, MatD* grad_values = nullptr) {
  recrl::toolkit::Categorical<double> dist(LossFixture::kActions, LossFixture::kBatch);
  dist.set_logits(logits);
  A2cLoss<double> loss;
  loss.reserve(LossFixture::kBatch);
  MatD gl(LossFixture::kActions, LossFixture::kBatch), gv(1, LossFixture::kBatch);
  const auto terms =
      loss.compute(dist, f.actions, f.advantages, f.returns, values, 0.05, 0.5, gl, gv);
  if (grad_logits) *grad_logits = gl;
  if (grad_values) *grad_values = gv;
  return terms;
}

}  // namespace

TEST_CASE("a2c loss gradient matches finite differences", "[unit][a2c]") {
  const LossFixture f;
  f.check_gradients([&](const MatD& logits, const MatD& values, MatD* gl, MatD* gv) {
    return a2c_loss(f, logits, values, gl, gv).loss;
  });
  // -mean(A log pi(a)), and the total as the plugin's README writes it.
  const auto terms = a2c_loss(f, f.logits, f.values);
  CHECK(terms.policy_loss ==
        Approx(-(f.advantages.array() * f.log_probs(f.logits).array()).mean()));
  CHECK(terms.value_loss == Approx((f.values - f.returns).array().square().mean()));
  CHECK(terms.loss ==
        Approx(terms.policy_loss + 0.05 * terms.entropy_loss + 0.5 * terms.value_loss));
}
