// The spec's reference numbers for the default generator and catalog: the oracle (per-user
// argmax of the noiseless reward) earns about 0.819, a uniformly random policy about 0.322.
#include <algorithm>

#include <catch2/catch.hpp>

#include "../support/plugin_fixture.hpp"

TEST_CASE("recommendation with seed_rules has the spec's oracle and random means",
          "[env][seed_rules][oracle]") {
  auto env = recrl::test::make_environment("recommendation");
  auto reward = recrl::test::make_reward("seed_rules", env->spec());
  const int n_actions = env->spec().action.size;

  constexpr int kUsers = 400000;
  recrl::Rng rng(20240611);
  recrl::Vector user(10);
  double oracle_sum = 0.0;
  double random_sum = 0.0;
  for (int i = 0; i < kUsers; ++i) {
    env->reset(rng, user);
    double best = 0.0;
    double total = 0.0;
    for (int a = 0; a < n_actions; ++a) {
      const double r = *reward->expected(recrl::Transition{user, a, user, 0.0, true, false});
      best = std::max(best, r);
      total += r;
    }
    oracle_sum += best;
    random_sum += total / n_actions;
  }
  CHECK(oracle_sum / kUsers == Approx(0.819).margin(0.003));
  CHECK(random_sum / kUsers == Approx(0.322).margin(0.003));
}
