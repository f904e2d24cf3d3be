#include <memory>
#include <vector>

#include <catch2/catch.hpp>

#include "recrl/run/evaluation.hpp"
#include "plugin_fixture.hpp"
#include "test_envs.hpp"

namespace {

// Chooses by the observation, so the return depends on which users an episode meets.
class ThresholdPolicy final : public recrl::Algorithm {
 public:
  void act(const recrl::ObsBatch& obs, recrl::ActMode, recrl::Rng&,
           std::span<int> actions) override {
    for (Eigen::Index j = 0; j < obs.raw.cols(); ++j) actions[j] = obs.raw(0, j) < 0.5f ? 0 : 2;
  }
  bool observe(const recrl::StepBatch&) override { return false; }
  void update(recrl::Rng&, recrl::Metrics&) override {}
  void save(std::ostream&) const override {}
  void load(std::istream&) override {}
};

recrl::Evaluator make_evaluator(int copies, std::int64_t episodes, std::uint64_t seed) {
  std::vector<std::shared_ptr<recrl::Environment>> envs;
  std::vector<std::shared_ptr<recrl::RewardFunction>> rewards;
  for (int i = 0; i < copies; ++i) {
    envs.push_back(std::make_shared<recrl::test::CountingEnv>(1));
    rewards.push_back(std::make_shared<recrl::test::PassThroughReward>(0.1));
  }
  return recrl::Evaluator(envs, rewards, "pass_through", episodes, seed);
}

}  // namespace

TEST_CASE("evaluation meets the same episodes whatever the number of slots", "[unit][run]") {
  ThresholdPolicy policy;
  recrl::Rng rng(0);
  auto one = make_evaluator(1, 50, 99);
  auto seven = make_evaluator(7, 50, 99);
  const auto a = one.run(policy, nullptr, rng);
  const auto b = seven.run(policy, nullptr, rng);
  // Returns are summed in episode order, so the results are identical to the bit.
  CHECK(a.mean_return == b.mean_return);
  CHECK(a.std_return == b.std_return);
  CHECK(a.episodes == 50);
  CHECK(a.action_counts == b.action_counts);
  CHECK(a.action_counts[0] + a.action_counts[2] == 50);
  // The test reward's one component is the environment's reward, 1 per one-step episode (its
  // noise is not a component): its mean per episode is exactly 1, the return's is not.
  REQUIRE(a.component_means.size() == 1);
  CHECK(a.component_means[0] == 1.0);
  CHECK(a.mean_return != 1.0);
  // Another evaluation seed means other users.
  auto other = make_evaluator(7, 50, 100);
  CHECK(other.run(policy, nullptr, rng).mean_return != a.mean_return);
}

TEST_CASE("the oracle policy chooses the action with the highest expected reward", "[unit][run]") {
  recrl::test::CountingEnv env(1);
  recrl::test::PassThroughReward reward;
  const auto oracle =
      recrl::test::make_oracle(env.spec(), reward, {"exp.yaml", 3, 5}, "algorithms[1]");
  auto evaluator = make_evaluator(4, 40, 5);
  recrl::Rng rng(0);
  const auto result = evaluator.run(*oracle, nullptr, rng);
  CHECK(result.action_counts[2] == 40);
  CHECK(result.mean_return == Approx(2.0).margin(0.1));
}

TEST_CASE("the oracle is refused where actions change what is observed next", "[unit][run]") {
  recrl::test::CountingEnv env(1);
  recrl::EnvSpec spec = env.spec();
  spec.actions_affect_state = true;
  recrl::test::PassThroughReward reward;
  REQUIRE_THROWS_WITH(
      recrl::test::make_oracle(spec, reward, {"exp.yaml", 3, 5}, "algorithms[1]"),
      Catch::StartsWith("exp.yaml:3:5: error: algorithms[1]: the oracle is not available") &&
          Catch::Contains("actions change what is observed next"));
}
