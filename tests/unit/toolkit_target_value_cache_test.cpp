// toolkit::TargetValueCache: a cached greedy value is the target network's own, bit for bit.
#include <vector>

#include <catch2/catch.hpp>

#include "recrl/core/random.hpp"
#include "recrl/toolkit/mlp.hpp"
#include "recrl/toolkit/target_value_cache.hpp"

// Cached values are the fresh ones bit for bit; a terminal transition's value is 0 without
// being computed (the TD target multiplies it by 1 - done = 0).
TEST_CASE("the target value cache gives the target network's values bit for bit",
          "[unit][toolkit]") {
  using MatF = Eigen::MatrixXf;
  recrl::Rng rng(11);
  recrl::toolkit::Mlp<float> target(5, {64, 64}, 7, recrl::toolkit::Activation::Relu);
  target.init_pytorch_default(rng);
  const Eigen::Index slots = 40, batch = 32;
  MatF stored(5, slots);  // the next observation of each replay slot
  for (Eigen::Index k = 0; k < slots; ++k) {
    for (Eigen::Index i = 0; i < 5; ++i) stored(i, k) = static_cast<float>(rng.normal());
  }
  recrl::toolkit::TargetValueCache cache(slots, 5, batch);
  MatF next_obs(5, batch), dones(1, batch), cached(1, batch), fresh(1, batch);
  std::vector<Eigen::Index> drawn(static_cast<std::size_t>(batch));
  Eigen::Index computed_total = 0;
  for (int step = 0; step < 30; ++step) {
    if (step == 10) {  // the target network changes: every value must be computed again
      target.parameters()(3) += 0.5f;
      cache.forget_all();
    }
    if (step == 20) {  // slots 0..9 are overwritten with new observations
      stored.leftCols(10).array() += 1.0f;
      cache.forget(0, 10);
    }
    Eigen::Index terminal = 0;
    for (Eigen::Index j = 0; j < batch; ++j) {
      const Eigen::Index slot = static_cast<Eigen::Index>(rng.uniform_int(slots));
      drawn[static_cast<std::size_t>(j)] = slot;
      next_obs.col(j) = stored.col(slot);
      dones(0, j) = slot % 8 == 0 ? 1.0f : 0.0f;  // slots 0, 8, ... end their episodes
      terminal += slot % 8 == 0 ? 1 : 0;
    }
    const Eigen::Index computed = cache.greedy_values(target, drawn, next_obs, dones, cached);
    computed_total += computed;
    if (step == 10) CHECK(computed == batch - terminal);
    fresh = target.forward(next_obs).colwise().maxCoeff();
    for (Eigen::Index j = 0; j < batch; ++j) {
      INFO("step " << step << ", column " << j);
      REQUIRE(cached(0, j) == (dones(0, j) != 0.0f ? 0.0f : fresh(0, j)));
    }
  }
  // 30 draws of 32 from 40 slots: most values came from the cache.
  CHECK(computed_total < 30 * batch / 3);
}
