// The linear bandits (eps_greedy, linucb, lin_ts, squarecb) through the plugin interface: their
// exploration rules against hand computations, act() against its own action probabilities,
// save/load, no allocation per step, and (tagged [learning]) 97% of the oracle on the seed
// environment in 20,000 steps.
#include <cmath>
#include <sstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "../unit/toolkit_allocation_counter.hpp"
#include "driven_algorithm.hpp"
#include "plugin_fixture.hpp"

namespace {

const char* const kBandits[] = {"eps_greedy", "linucb", "lin_ts", "squarecb"};

// One feature, two actions: small enough to work out by hand.
recrl::EnvSpec tiny_spec() {
  recrl::EnvSpec spec;
  spec.name = "tiny";
  spec.observation = {recrl::Space::Kind::Box, 1, {-10.0}, {10.0}, {"x"}};
  spec.action = {recrl::Space::Kind::Discrete, 2, {}, {}, {"a0", "a1"}};
  spec.actions_affect_state = false;
  return spec;
}

struct Tiny {
  recrl::EnvSpec spec = tiny_spec();
  std::shared_ptr<recrl::Algorithm> algo;
  recrl::Matrix obs = recrl::Matrix::Constant(1, 1, 2.0f);

  Tiny(const std::string& plugin, const std::string& yaml) {
    const auto params = recrl::test::plugin_params(recrl::plugin::Kind::Algorithm, plugin, yaml,
                                                   "algorithms[0]", "algo.yaml");
    algo = recrl::test::bundled_plugins().create_algorithm(
        plugin, params, recrl::test::plugin_context("algorithms[0]", &spec));
  }
  // Learns reward r for action a at x = 2.
  void learn(int action, float reward) {
    const std::vector<int> actions{action};
    const recrl::Vector rewards = recrl::Vector::Constant(1, reward);
    const std::vector<std::uint8_t> ended{1}, cut{0};
    algo->observe(recrl::StepBatch{obs, actions, rewards, obs, obs, ended, cut});
  }
  std::vector<double> probabilities(recrl::ActMode mode) const {
    recrl::Matrix p;
    REQUIRE(algo->action_probabilities(recrl::ObsBatch{obs, obs}, mode, p));
    return {p(0, 0), p(1, 0)};
  }
  int act(recrl::ActMode mode, recrl::Rng& rng) {
    std::vector<int> action(1);
    algo->act(recrl::ObsBatch{obs, obs}, mode, rng, action);
    return action[0];
  }
};

// After one step (x = 2, action 0, reward 3, lambda 1), by hand (tests/unit/
// toolkit_linear_arms_test.cpp): action 0 predicts 2.5 with x^T A^-1 x = 5/6; action 1 has no
// data: 0 with x^T A^-1 x = x^T x = 5.
TEST_CASE("linucb plays the larger upper confidence bound", "[run][bandit]") {
  // alpha 1: 2.5 + sqrt(5/6) = 3.41 > 0 + sqrt(5) = 2.24;  alpha 2: 4.33 < 4.47.
  for (const auto& [alpha, expected] : {std::pair{"1", 0}, std::pair{"2", 1}}) {
    Tiny t("linucb", std::string("{alpha: ") + alpha + "}");
    t.learn(0, 3);
    recrl::Rng rng(1);
    INFO("alpha " << alpha);
    CHECK(t.act(recrl::ActMode::Explore, rng) == expected);
    CHECK(t.act(recrl::ActMode::Greedy, rng) == 0);  // no bonus when greedy
    CHECK(t.probabilities(recrl::ActMode::Explore) ==
          std::vector<double>{expected == 0 ? 1.0 : 0.0, expected == 1 ? 1.0 : 0.0});
  }
}

TEST_CASE("squarecb weighs actions by the inverse gap", "[run][bandit]") {
  Tiny t("squarecb", "{gamma_scale: 10, gamma_exponent: 0.5}");
  t.learn(0, 3);
  // t = 1 step learned: gamma = 10 * 2^0.5; p1 = 1 / (K + gamma (2.5 - 0)), p0 = 1 - p1.
  const double p1 = 1.0 / (2.0 + 10.0 * std::sqrt(2.0) * 2.5);
  const auto p = t.probabilities(recrl::ActMode::Explore);
  CHECK(p[1] == Approx(p1).epsilon(1e-6));
  CHECK(p[0] == Approx(1 - p1).epsilon(1e-6));
  CHECK(t.probabilities(recrl::ActMode::Greedy) == std::vector<double>{1.0, 0.0});
}

TEST_CASE("eps_greedy spreads epsilon_t evenly", "[run][bandit]") {
  Tiny constant("eps_greedy", "{epsilon: 0.2}");
  constant.learn(0, 3);
  auto p = constant.probabilities(recrl::ActMode::Explore);
  CHECK(p[0] == Approx(0.9).epsilon(1e-6));
  CHECK(p[1] == Approx(0.1).epsilon(1e-6));
  Tiny decaying("eps_greedy", "{epsilon: 0.2, epsilon_decay: 0.5}");
  decaying.learn(0, 3);
  const double eps = 0.2 / std::sqrt(2.0);  // t = 1
  p = decaying.probabilities(recrl::ActMode::Explore);
  CHECK(p[1] == Approx(eps / 2).epsilon(1e-6));
  CHECK(p[0] == Approx(1 - eps / 2).epsilon(1e-6));
}

TEST_CASE("lin_ts estimates the probability that its draw is the best", "[run][bandit]") {
  // x.theta~_0 ~ N(2.5, v^2 5/6), x.theta~_1 ~ N(0, v^2 5): with v = 1 action 0 wins with
  // probability Phi(2.5 / sqrt(5/6 + 5)).
  const double p0 = 0.5 * std::erfc(-(2.5 / std::sqrt(5.0 / 6.0 + 5.0)) / std::sqrt(2.0));
  Tiny t("lin_ts", "{v: 1, probability_draws: 200000}");
  t.learn(0, 3);
  const auto p = t.probabilities(recrl::ActMode::Explore);
  CHECK(p[0] == Approx(p0).margin(0.004));  // 5 standard errors of 200,000 draws
  CHECK(p[0] + p[1] == Approx(1.0));
  CHECK(t.probabilities(recrl::ActMode::Explore) == p);  // the same estimate every time
}

TEST_CASE("each bandit's actions follow the probabilities it reports", "[run][bandit]") {
  for (const char* plugin : kBandits) {
    Tiny t(plugin, std::string(plugin) == "lin_ts" ? "{v: 1, probability_draws: 100000}" : "");
    t.learn(0, 3);
    t.learn(1, 2);
    const auto p = t.probabilities(recrl::ActMode::Explore);
    recrl::Rng rng(2);
    constexpr int kDraws = 40000;
    int zeros = 0;
    for (int i = 0; i < kDraws; ++i) zeros += t.act(recrl::ActMode::Explore, rng) == 0;
    INFO(plugin << ": p0 " << p[0] << ", drawn " << zeros);
    // 5 standard errors of the drawn share, and a little for lin_ts's own estimate.
    const double margin = 5 * std::sqrt(p[0] * (1 - p[0]) / kDraws) + 0.006;
    CHECK(static_cast<double>(zeros) / kDraws == Approx(p[0]).margin(margin));
  }
}

TEST_CASE("greedy probabilities are the greedy action of every learner", "[run][bandit]") {
  for (const char* plugin : {"eps_greedy", "linucb", "lin_ts", "squarecb", "ppo", "a2c", "dqn"}) {
    const bool dqn = std::string(plugin) == "dqn";
    recrl::test::Driven d(plugin, dqn ? "{buffer_size: 1000, learning_starts: 50}" : "", 4);
    recrl::Rng rng(4);
    for (int i = 0; i < 200; ++i) d.step(rng);
    recrl::Matrix probe(d.obs.rows(), 64);
    d.fill(probe);
    const recrl::ObsBatch batch{probe, probe};
    std::vector<int> greedy(64);
    d.algo->act(batch, recrl::ActMode::Greedy, rng, greedy);
    recrl::Matrix p;
    REQUIRE(d.algo->action_probabilities(batch, recrl::ActMode::Greedy, p));
    for (int j = 0; j < 64; ++j) {
      INFO(plugin << " column " << j);
      CHECK(p(greedy[static_cast<std::size_t>(j)], j) == 1.0f);
      CHECK(p.col(j).sum() == 1.0f);
    }
    REQUIRE(d.algo->action_probabilities(batch, recrl::ActMode::Explore, p));
    for (int j = 0; j < 64; ++j) CHECK(p.col(j).sum() == Approx(1.0).epsilon(1e-5));
  }
}

TEST_CASE("bandits save and load to the same policy and keep learning alike", "[run][bandit]") {
  for (const char* plugin : kBandits) {
    recrl::test::Driven trained(plugin, "", 4);
    recrl::Rng rng(1);
    for (int i = 0; i < 300; ++i) trained.step(rng);
    REQUIRE(trained.algo->supports_checkpoints());
    std::stringstream state;
    trained.algo->save(state);
    recrl::test::Driven loaded(plugin, "", 4);
    loaded.algo->load(state);
    loaded.obs = trained.obs;
    recrl::Rng r1(9), r2(9);
    for (int i = 0; i < 50; ++i) {  // the same data to both
      trained.step(r1);
      loaded.data_rng = trained.data_rng;
      loaded.step(r2);
      loaded.obs = trained.obs;
    }
    recrl::Matrix probe(trained.obs.rows(), 20);
    trained.fill(probe);
    recrl::Matrix p1, p2;
    REQUIRE(trained.algo->action_probabilities({probe, probe}, recrl::ActMode::Explore, p1));
    REQUIRE(loaded.algo->action_probabilities({probe, probe}, recrl::ActMode::Explore, p2));
    INFO(plugin);
    CHECK(p1 == p2);
  }
}

TEST_CASE("bandits act and learn without heap allocations", "[run][bandit]") {
  for (const char* plugin : kBandits) {
    recrl::test::Driven d(plugin, "", 8);
    recrl::Rng rng(3);
    for (int i = 0; i < 10; ++i) d.step(rng);
    const std::uint64_t allocations = recrl::test::allocations_during([&] {
      for (int i = 0; i < 1200; ++i) d.step(rng);  // past a refresh of the regressions
    });
    INFO(plugin);
    CHECK(allocations == 0);
  }
}

TEST_CASE("bandit parameters out of range are errors at their line", "[run][bandit][config]") {
  CHECK_THROWS_WITH(Tiny("linucb", "{alpha: -1}"),
                    Catch::Contains("algo.yaml:1:") && Catch::Contains("alpha"));
  CHECK_THROWS_WITH(Tiny("eps_greedy", "{epsilon: 1.5}"), Catch::Contains("epsilon"));
  CHECK_THROWS_WITH(Tiny("squarecb", "{gamma_scale: 0}"), Catch::Contains("gamma_scale"));
  CHECK_THROWS_WITH(Tiny("lin_ts", "{lambda: 0}"), Catch::Contains("lambda"));
}

// As experiments/seed.yaml runs them: 20,000 steps on one copy, raw features, 5 seeds.
TEST_CASE("each bandit reaches 97 percent of the oracle on the seed environment in 20k steps",
          "[learning][bandit]") {
  const auto result = recrl::test::run_yaml(
      "bandits_learn",
      "name: bandits_learn\n"
      "env: {plugin: recommendation}\n"
      "reward: {plugin: seed_rules}\n"
      "algorithms: [{plugin: eps_greedy}, {plugin: linucb}, {plugin: lin_ts}, "
      "{plugin: squarecb}]\n"
      "seeds: [0, 1, 2, 3, 4]\n"
      "train: {timesteps: 20000, n_envs: 1, normalize_observations: false}\n"
      "eval: {episodes: 10000, seed: 1000003}\n");
  REQUIRE(result.runs.size() == 20);
  for (const char* plugin : kBandits) {
    double sum = 0;
    int seeds = 0;
    for (const auto& run : result.runs) {
      if (run.label != plugin) continue;
      REQUIRE(run.pct_oracle);
      sum += *run.pct_oracle;
      ++seeds;
    }
    INFO(plugin);
    REQUIRE(seeds == 5);
    CHECK(sum / seeds >= 97.0);
  }
}

}  // namespace
