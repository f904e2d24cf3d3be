#include <memory>
#include <vector>

#include <catch2/catch.hpp>

#include "recrl/core/errors.hpp"
#include "recrl/run/vec_env.hpp"
#include "test_envs.hpp"

namespace {

recrl::VecEnv make_vec(int copies, std::uint64_t seed, int length, int max_steps = 0,
                       bool nan = false) {
  std::vector<std::shared_ptr<recrl::Environment>> envs;
  std::vector<std::shared_ptr<recrl::RewardFunction>> rewards;
  for (int i = 0; i < copies; ++i) {
    envs.push_back(std::make_shared<recrl::test::CountingEnv>(length, max_steps, nan));
    rewards.push_back(std::make_shared<recrl::test::PassThroughReward>());
  }
  return recrl::VecEnv(envs, rewards, "pass_through", seed);
}

}  // namespace

TEST_CASE("the vectorised environment resets a copy when its episode ends", "[unit][run]") {
  auto vec = make_vec(2, 7, 2);
  vec.reset();
  const recrl::Matrix start = vec.obs();
  const std::vector<int> actions{1, 2};
  vec.step(actions);
  CHECK(vec.terminated()[0] == 0);
  CHECK(vec.obs()(0, 0) == Approx(start(0, 0) + 1));
  CHECK(vec.rewards()[1] == Approx(2.0f));
  vec.step(actions);
  CHECK(vec.terminated()[0] == 1);
  CHECK(vec.terminated()[1] == 1);
  // The final observation is the episode's last; obs() is already the next episode's first.
  CHECK(vec.final_obs()(0, 1) == Approx(start(0, 1) + 2));
  CHECK(vec.obs()(0, 1) < 1.0f);
  REQUIRE(vec.finished_returns().size() == 2);
  CHECK(vec.finished_returns()[0] == Approx(2.0));
  CHECK(vec.finished_returns()[1] == Approx(4.0));
  CHECK(vec.steps() == 4);
}

TEST_CASE("max_episode_steps truncates an episode that has not terminated", "[unit][run]") {
  auto vec = make_vec(1, 3, 0, 3);
  vec.reset();
  const std::vector<int> action{0};
  vec.step(action);
  vec.step(action);
  CHECK(vec.truncated()[0] == 0);
  vec.step(action);
  CHECK(vec.truncated()[0] == 1);
  CHECK(vec.terminated()[0] == 0);
}

TEST_CASE("the same seed gives the same observations and another seed others", "[unit][run]") {
  auto a = make_vec(3, 11, 1);
  auto b = make_vec(3, 11, 1);
  auto c = make_vec(3, 12, 1);
  a.reset();
  b.reset();
  c.reset();
  const std::vector<int> actions{0, 1, 2};
  for (int i = 0; i < 5; ++i) {
    a.step(actions);
    b.step(actions);
    c.step(actions);
  }
  CHECK(a.obs() == b.obs());
  CHECK(a.obs() != c.obs());
  // Copies draw from separate streams.
  CHECK(a.obs()(0, 0) != a.obs()(0, 1));
}

TEST_CASE("a non-finite observation stops the run naming the environment and feature",
          "[unit][run]") {
  auto vec = make_vec(1, 1, 0, 0, true);
  vec.reset();
  const std::vector<int> action{0};
  vec.step(action);
  REQUIRE_THROWS_WITH(vec.step(action), Catch::Contains("environment 'counting'") &&
                                            Catch::Contains("feature 'x'") &&
                                            Catch::Contains("step 2"));
}
