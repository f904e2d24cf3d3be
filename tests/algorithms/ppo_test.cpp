// ppo's loss, read in its plugin file: the clipped surrogate, value clipping and the entropy
// bonus against finite differences in double. This binary compiles the plugin's source
// (plugins/algorithms/ppo/ppo.cpp).
#include <catch2/catch.hpp>

#include "loss_fixture.hpp"
#include "ppo.cpp"

namespace {

using recrl::test::LossFixture;
using recrl::test::MatD;

PpoLossTerms<double> ppo_loss(const LossFixture& f, const PpoLossSettings<double>& s,
                              const MatD& logits, const MatD& values, MatD* grad_logits = nullptr,
                              MatD* grad_values = nullptr) {
  recrl::toolkit::Categorical<double> dist(LossFixture::kActions, LossFixture::kBatch);
  dist.set_logits(logits);
  PpoLoss<double> loss;
  loss.reserve(LossFixture::kBatch);
  MatD gl(LossFixture::kActions, LossFixture::kBatch), gv(1, LossFixture::kBatch);
  const auto terms = loss.compute(dist, f.actions, f.old_log_probs, f.advantages, f.returns, values,
                                  f.old_values, s, gl, gv);
  if (grad_logits) *grad_logits = gl;
  if (grad_values) *grad_values = gv;
  return terms;
}

PpoLossSettings<double> settings() {
  PpoLossSettings<double> s;
  s.clip_range = 0.2;
  s.clip_range_vf = 0.3;
  s.ent_coef = 0.05;
  s.vf_coef = 0.5;
  return s;
}

}  // namespace

TEST_CASE("ppo loss gradient matches finite differences with ratio and value clipping and entropy",
          "[unit][ppo]") {
  const LossFixture f;
  const auto s = settings();
  f.check_gradients([&](const MatD& logits, const MatD& values, MatD* gl, MatD* gv) {
    return ppo_loss(f, s, logits, values, gl, gv).loss;
  });
  const auto terms = ppo_loss(f, s, f.logits, f.values);
  // Ratios 0.5 1.5 1.35 0.7 lie outside [0.8, 1.2].
  CHECK(terms.clip_fraction == Approx(4.0 / 6.0));
  CHECK(terms.loss ==
        Approx(terms.policy_loss + 0.05 * terms.entropy_loss + 0.5 * terms.value_loss));
  CHECK(terms.approx_kl > 0);
}

TEST_CASE("ppo loss without value clipping has the plain mse gradient", "[unit][ppo]") {
  const LossFixture f;
  auto s = settings();
  s.clip_range_vf.reset();
  f.check_gradients([&](const MatD& logits, const MatD& values, MatD* gl, MatD* gv) {
    return ppo_loss(f, s, logits, values, gl, gv).loss;
  });
  MatD grad_values;
  ppo_loss(f, s, f.logits, f.values, nullptr, &grad_values);
  for (int i = 0; i < LossFixture::kBatch; ++i) {
    CHECK(grad_values(0, i) ==
          Approx(0.5 * 2.0 * (f.values(0, i) - f.returns(0, i)) / 6.0).margin(1e-12));
  }
}

TEST_CASE("ppo's clipped surrogate by hand on one sample per branch", "[unit][ppo]") {
  // A = +1 with r = 1.5 (clipped at 1.2), A = -1 with r = 0.5 (clipped at 0.8), A = +1 with
  // r = 1.1 (inside): policy loss = -mean(1.2, -0.8, 1.1) = -0.5.
  LossFixture f;
  auto s = settings();
  s.ent_coef = 0;
  f.advantages << 1, -1, 1, 1, 1, 1;
  const MatD log_prob = f.log_probs(f.logits);
  const double ratios[] = {1.5, 0.5, 1.1, 1.1, 1.1, 1.1};
  for (int i = 0; i < LossFixture::kBatch; ++i)
    f.old_log_probs(0, i) = log_prob(0, i) - std::log(ratios[i]);
  const auto terms = ppo_loss(f, s, f.logits, f.values);
  CHECK(terms.policy_loss == Approx(-(1.2 - 0.8 + 4 * 1.1) / 6.0).margin(1e-12));
  CHECK(terms.clip_fraction == Approx(2.0 / 6.0));
}
