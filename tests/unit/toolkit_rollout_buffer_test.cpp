// The on-policy rollout buffer: GAE as SB3's compute_returns_and_advantage on a hand-computed
// rollout with an episode boundary, truncation bootstrapping, and minibatch permutations.
#include <algorithm>
#include <array>
#include <cstdint>
#include <set>
#include <vector>

#include <catch2/catch.hpp>

#include "recrl/core/random.hpp"
#include "recrl/toolkit/rollout_buffer.hpp"

namespace {

using recrl::Matrix;
using recrl::Vector;
using recrl::toolkit::RolloutBuffer;

// Adds one step of two environments: obs column e = (step, e), action = 10 step + e.
void add_step(RolloutBuffer& buffer, int step, std::array<float, 2> rewards,
              std::array<std::uint8_t, 2> starts, std::array<float, 2> values) {
  Matrix obs(1, 2);
  obs << static_cast<float>(10 * step), static_cast<float>(10 * step + 1);
  const std::array<int, 2> actions{10 * step, 10 * step + 1};
  Vector r(2);
  r << rewards[0], rewards[1];
  Matrix v(1, 2);
  v << values[0], values[1];
  Matrix log_probs(1, 2);
  log_probs << -0.1f * static_cast<float>(step), -0.2f * static_cast<float>(step);
  buffer.add(obs, actions, r, starts, v, log_probs);
}

// gamma 0.9, lambda 0.8, 3 steps, 2 envs.
// env 0: rewards 1 2 3, values 0.5 1.0 1.5, episode_starts 1 0 1 (an episode ends after step
//   1), last value 2.0, not done:
//   step 2: delta = 3 + 0.9 * 2.0 - 1.5 = 3.3; adv = 3.3
//   step 1: next_non_terminal = 1 - starts[2] = 0: delta = 2 - 1.0 = 1.0; adv = 1.0
//   step 0: delta = 1 + 0.9 * 1.0 - 0.5 = 1.4; adv = 1.4 + 0.72 * 1.0 = 2.12
//   returns = adv + values = 2.62 2.0 4.8
// env 1: rewards 0 0 1, values 0.2 0.4 0.6, starts 1 0 0, last value 5.0, done:
//   step 2: delta = 1 - 0.6 = 0.4 (5.0 is not used); adv = 0.4
//   step 1: delta = 0.9 * 0.6 - 0.4 = 0.14; adv = 0.14 + 0.72 * 0.4 = 0.428
//   step 0: delta = 0.9 * 0.4 - 0.2 = 0.16; adv = 0.16 + 0.72 * 0.428 = 0.46816
//   returns = 0.66816 0.828 1.0
RolloutBuffer filled_buffer() {
  RolloutBuffer buffer(3, 2, 1, 0.9, 0.8);
  add_step(buffer, 0, {1.0f, 0.0f}, {1, 1}, {0.5f, 0.2f});
  add_step(buffer, 1, {2.0f, 0.0f}, {0, 0}, {1.0f, 0.4f});
  add_step(buffer, 2, {3.0f, 1.0f}, {1, 0}, {1.5f, 0.6f});
  return buffer;
}

}  // namespace

TEST_CASE("gae matches hand-computed values for a 3-step rollout", "[unit][toolkit]") {
  RolloutBuffer buffer = filled_buffer();
  REQUIRE(buffer.full());
  Matrix last_values(1, 2);
  last_values << 2.0f, 5.0f;
  const std::array<std::uint8_t, 2> dones{0, 1};
  buffer.compute_returns_and_advantage(last_values, dones);

  const std::array<float, 3> adv0{2.12f, 1.0f, 3.3f};
  const std::array<float, 3> ret0{2.62f, 2.0f, 4.8f};
  const std::array<float, 3> adv1{0.46816f, 0.428f, 0.4f};
  const std::array<float, 3> ret1{0.66816f, 0.828f, 1.0f};
  for (int step = 0; step < 3; ++step) {
    CHECK(buffer.advantages()(0, step) ==
          Approx(adv0[static_cast<std::size_t>(step)]).margin(1e-6));
    CHECK(buffer.returns()(0, step) == Approx(ret0[static_cast<std::size_t>(step)]).margin(1e-6));
    CHECK(buffer.advantages()(1, step) ==
          Approx(adv1[static_cast<std::size_t>(step)]).margin(1e-6));
    CHECK(buffer.returns()(1, step) == Approx(ret1[static_cast<std::size_t>(step)]).margin(1e-6));
  }
}

TEST_CASE("truncation bootstrap adds the discounted terminal value to the last reward",
          "[unit][toolkit]") {
  RolloutBuffer buffer(3, 2, 1, 0.9, 0.8);
  add_step(buffer, 0, {1.0f, 0.0f}, {1, 1}, {0.5f, 0.2f});
  buffer.add_truncation_bootstrap(1, 5.0f);
  CHECK(buffer.rewards()(1, 0) == Approx(4.5f));
  CHECK(buffer.rewards()(0, 0) == Approx(1.0f));
}

TEST_CASE("rollout minibatches cover a seeded permutation of the samples", "[unit][toolkit]") {
  RolloutBuffer buffer = filled_buffer();
  Matrix last_values = Matrix::Zero(1, 2);
  const std::array<std::uint8_t, 2> dones{0, 0};
  buffer.compute_returns_and_advantage(last_values, dones);

  recrl::toolkit::RolloutMinibatch mb;
  mb.reserve(1, 4);
  recrl::Rng rng(5);
  buffer.shuffle(rng);
  std::vector<int> seen;
  for (Eigen::Index start = 0; start < buffer.size(); start += 4) {
    buffer.gather_minibatch(start, 4, mb);
    CHECK(mb.size == (start == 4 ? 2 : 4));  // 6 samples: 4 then 2
    for (Eigen::Index i = 0; i < mb.size; ++i) {
      const int action = mb.actions[static_cast<std::size_t>(i)];
      const int step = action / 10;
      const int env = action % 10;
      seen.push_back(action);
      // Every field of a sample comes from the same (step, env).
      CHECK(mb.obs(0, i) == static_cast<float>(action));
      CHECK(mb.old_values(0, i) == buffer.values()(env, step));
      CHECK(mb.old_log_probs(0, i) == buffer.log_probs()(env, step));
      CHECK(mb.advantages(0, i) == buffer.advantages()(env, step));
      CHECK(mb.returns(0, i) == buffer.returns()(env, step));
    }
  }
  std::sort(seen.begin(), seen.end());
  CHECK(seen == std::vector<int>{0, 1, 10, 11, 20, 21});

  // The same seed gives the same order; the order is not the identity for some seed.
  auto order_for = [&](std::uint64_t seed) {
    recrl::Rng r(seed);
    buffer.shuffle(r);
    recrl::toolkit::RolloutMinibatch all;
    all.reserve(1, 6);
    buffer.gather_minibatch(0, 6, all);
    return all.actions;
  };
  CHECK(order_for(9) == order_for(9));
  bool some_differ = false;
  for (std::uint64_t seed = 0; seed < 5; ++seed)
    some_differ = some_differ || order_for(seed) != order_for(seed + 100);
  CHECK(some_differ);
}

TEST_CASE("rollout buffer reset starts a new rollout", "[unit][toolkit]") {
  RolloutBuffer buffer = filled_buffer();
  buffer.reset();
  CHECK(buffer.size() == 0);
  CHECK_FALSE(buffer.full());
  add_step(buffer, 0, {1.0f, 0.0f}, {1, 1}, {0.5f, 0.2f});
  CHECK(buffer.size() == 2);
}
