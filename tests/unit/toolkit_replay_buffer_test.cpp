// The replay buffer: circular writes with SB3's row layout, terminated-only dones, and uniform
// sampling over the filled part.
#include <array>
#include <cstdint>
#include <set>

#include <catch2/catch.hpp>

#include "recrl/core/random.hpp"
#include "recrl/toolkit/replay_buffer.hpp"

namespace {

using recrl::Matrix;
using recrl::Vector;
using recrl::toolkit::ReplayBuffer;

// Adds transition number `k` for one env: obs k, next_obs k + 0.5, action k, reward -k,
// terminated when k is a multiple of 3.
void add_one(ReplayBuffer& buffer, int k) {
  Matrix obs = Matrix::Constant(2, 1, static_cast<float>(k));
  Matrix next_obs = Matrix::Constant(2, 1, static_cast<float>(k) + 0.5f);
  const std::array<int, 1> action{k};
  Vector reward = Vector::Constant(1, -static_cast<float>(k));
  const std::array<std::uint8_t, 1> terminated{static_cast<std::uint8_t>(k % 3 == 0 ? 1 : 0)};
  buffer.add(obs, next_obs, action, reward, terminated);
}

}  // namespace

TEST_CASE("replay buffer wraps around and overwrites the oldest transitions", "[unit][toolkit]") {
  ReplayBuffer buffer(5, 1, 2);
  for (int k = 0; k < 7; ++k) add_one(buffer, k);
  CHECK(buffer.full());
  CHECK(buffer.size() == 5);
  CHECK(buffer.position() == 2);
  const std::array<int, 5> expected{5, 6, 2, 3, 4};
  for (int slot = 0; slot < 5; ++slot) {
    const int k = expected[static_cast<std::size_t>(slot)];
    CHECK(buffer.actions()(slot) == k);
    CHECK(buffer.observations()(1, slot) == static_cast<float>(k));
    CHECK(buffer.next_observations()(0, slot) == static_cast<float>(k) + 0.5f);
    CHECK(buffer.rewards()(0, slot) == -static_cast<float>(k));
    CHECK(buffer.dones()(0, slot) == (k % 3 == 0 ? 1.0f : 0.0f));
  }
}

TEST_CASE("replay buffer samples only the filled part", "[unit][toolkit]") {
  ReplayBuffer buffer(100, 1, 2);
  for (int k = 0; k < 3; ++k) add_one(buffer, k);
  recrl::toolkit::ReplayBatch batch;
  batch.reserve(2, 64);
  recrl::Rng rng(1);
  std::set<int> seen;
  for (int round = 0; round < 20; ++round) {
    buffer.sample(rng, 64, batch);
    REQUIRE(batch.size == 64);
    for (Eigen::Index i = 0; i < batch.size; ++i) {
      const int k = batch.actions[static_cast<std::size_t>(i)];
      REQUIRE(k >= 0);
      REQUIRE(k < 3);
      seen.insert(k);
      CHECK(batch.obs(0, i) == static_cast<float>(k));
      CHECK(batch.next_obs(1, i) == static_cast<float>(k) + 0.5f);
      CHECK(batch.rewards(0, i) == -static_cast<float>(k));
      CHECK(batch.dones(0, i) == (k == 0 ? 1.0f : 0.0f));
    }
  }
  CHECK(seen.size() == 3);
}

TEST_CASE("replay buffer with several envs keeps rows of n_envs transitions", "[unit][toolkit]") {
  // SB3: buffer_size // n_envs rows; 7 // 2 = 3 rows of 2.
  ReplayBuffer buffer(7, 2, 1);
  CHECK(buffer.rows() == 3);
  recrl::toolkit::ReplayBatch batch;
  batch.reserve(1, 32);
  recrl::Rng rng(3);
  for (int step = 0; step < 4; ++step) {
    Matrix obs(1, 2);
    obs << static_cast<float>(10 * step), static_cast<float>(10 * step + 1);
    const std::array<int, 2> actions{10 * step, 10 * step + 1};
    Vector rewards = Vector::Zero(2);
    const std::array<std::uint8_t, 2> terminated{0, 1};
    buffer.add(obs, obs, actions, rewards, terminated);
  }
  CHECK(buffer.full());
  CHECK(buffer.position() == 1);  // step 3 overwrote row 0
  std::set<int> seen;
  for (int round = 0; round < 20; ++round) {
    buffer.sample(rng, 32, batch);
    for (Eigen::Index i = 0; i < batch.size; ++i) {
      const int action = batch.actions[static_cast<std::size_t>(i)];
      seen.insert(action);
      CHECK(batch.obs(0, i) == static_cast<float>(action));
      CHECK(batch.dones(0, i) == static_cast<float>(action % 10));  // env 1 always terminated
    }
  }
  CHECK(seen == std::set<int>{10, 11, 20, 21, 30, 31});
}
