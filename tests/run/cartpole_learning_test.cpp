// Learning tests on CartPole-v1 (tagged [learning]): PPO, A2C and DQN with the settings and
// budgets of experiments/cartpole.yaml (rl-baselines3-zoo's; for DQN with its learning rate and
// batch size changed, see plugins/algorithms/dqn/README.md) solve it on a fixed seed. The full
// 5-seed check is `recrl run experiments/cartpole.yaml`; this keeps CI within minutes.
#include <fstream>
#include <string>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "cli.hpp"

namespace {

using recrl::test::read_text;
using recrl::test::run_recrl;
using recrl::test::scratch_dir;

// Trains one algorithm entry on CartPole with seed 0 and returns its greedy mean return over
// 20 evaluation episodes.
double cartpole_return(const std::string& name, const std::string& algorithm_entry) {
  const auto dir = scratch_dir("cartpole_learning_" + name);
  std::ofstream(dir / "cartpole.yaml") << "name: cartpole-" << name << "\n"
                                       << "env: {plugin: cartpole}\n"
                                          "reward: {plugin: env_reward}\n"
                                          "algorithms:\n"
                                       << algorithm_entry
                                       << "seeds: [0]\n"
                                          "eval: {episodes: 20, seed: 1000003}\n"
                                          "output: out\n";
  const auto result = run_recrl("run cartpole.yaml --quiet --jobs 1", dir);
  INFO(result.err);
  REQUIRE(result.status == 0);
  const auto json = nlohmann::json::parse(read_text(dir / "out" / "results.json"));
  REQUIRE(json["runs"].size() == 1);
  return json["runs"][0]["eval_mean"].get<double>();
}

}  // namespace

TEST_CASE("ppo solves cartpole with rl-zoo's settings in 1e5 steps", "[run][ppo][learning]") {
  const double mean = cartpole_return("ppo",
                                      "  - plugin: ppo\n"
                                      "    n_envs: 8\n"
                                      "    timesteps: 100000\n"
                                      "    params: {n_steps: 32, batch_size: 256, gae_lambda: 0.8, "
                                      "gamma: 0.98, n_epochs: 20, ent_coef: 0.0, "
                                      "learning_rate: lin_0.001, clip_range: lin_0.2}\n");
  CHECK(mean >= 475);
}

TEST_CASE("a2c solves cartpole with rl-zoo's settings in 5e5 steps", "[run][a2c][learning]") {
  const double mean = cartpole_return("a2c",
                                      "  - plugin: a2c\n"
                                      "    n_envs: 8\n"
                                      "    timesteps: 500000\n"
                                      "    params: {ent_coef: 0.0}\n");
  CHECK(mean >= 475);
}

TEST_CASE("dqn solves cartpole with rl-zoo's settings at lr 7e-4 and batch 256 in 5e4 steps",
          "[run][dqn][learning]") {
  const double mean = cartpole_return("dqn",
                                      "  - plugin: dqn\n"
                                      "    n_envs: 1\n"
                                      "    timesteps: 50000\n"
                                      "    params: {learning_rate: 7e-4, batch_size: 256, "
                                      "buffer_size: 100000, learning_starts: 1000, gamma: 0.99, "
                                      "target_update_interval: 10, train_freq: 256, "
                                      "gradient_steps: 128, exploration_fraction: 0.16, "
                                      "exploration_final_eps: 0.04, "
                                      "policy_kwargs: \"dict(net_arch=[256, 256])\"}\n");
  CHECK(mean >= 475);
}
