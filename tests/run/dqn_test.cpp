// The dqn algorithm plugin through its interface: SB3's metrics, save/load, configuration
// errors, determinism, smoke runs through `recrl run` and a small learning test (its loss and
// step accounting: tests/algorithms/dqn_test.cpp).
#include <cmath>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "cli.hpp"
#include "plugin_fixture.hpp"
#include "recrl/run/evaluation.hpp"
#include "recrl/run/normalizer.hpp"
#include "recrl/run/vec_env.hpp"

namespace {

std::shared_ptr<recrl::Algorithm> make_dqn(const recrl::EnvSpec& spec,
                                           const recrl::RewardFunction& reward,
                                           const std::string& yaml, int n_envs = 1,
                                           std::int64_t total_timesteps = 0) {
  const recrl::Params params = recrl::test::plugin_params(recrl::plugin::Kind::Algorithm, "dqn",
                                                          yaml, "algorithms[0]", "dqn.yaml");
  recrl::PluginContext ctx = recrl::test::plugin_context("algorithms[0]", &spec);
  ctx.reward = &reward;
  ctx.n_envs = n_envs;
  ctx.total_timesteps = total_timesteps;
  return recrl::test::bundled_plugins().create_algorithm("dqn", params, ctx);
}

// The environment copies and rewards of one run of `env` / `reward`.
struct Copies {
  std::vector<std::shared_ptr<recrl::Environment>> envs;
  std::vector<std::shared_ptr<recrl::RewardFunction>> rewards;
};

Copies make_copies(const std::string& env, const std::string& reward, int n) {
  Copies c;
  for (int i = 0; i < n; ++i) {
    c.envs.push_back(recrl::test::make_environment(env));
    c.rewards.push_back(recrl::test::make_reward(reward, c.envs.back()->spec()));
  }
  return c;
}

// The runner's training loop (framework/src/run/runner.cpp Run::execute) without files:
// act, step, observe, update when asked, observations normalised as the runner does when
// `normalizer` is given. Returns every metric reported.
recrl::Metrics train(recrl::Algorithm& algo, recrl::VecEnv& vec, std::int64_t steps,
                     std::uint64_t seed, recrl::ObservationNormalizer* normalizer = nullptr) {
  const int n = vec.size();
  const int dim = vec.spec().observation.size;
  recrl::Matrix acted(dim, n), next(dim, n), final_obs(dim, n);
  const auto observe_into = [&](const recrl::Matrix& raw, recrl::Matrix& out) {
    if (normalizer != nullptr) {
      normalizer->normalize(raw, out);
    } else {
      out = raw;
    }
  };
  std::vector<int> actions(static_cast<std::size_t>(n), 0);
  recrl::Rng rng(recrl::derive_seed(seed, recrl::Stream::Algorithm));
  recrl::Metrics all, metrics;
  vec.reset();
  if (normalizer != nullptr) normalizer->update(vec.obs());
  observe_into(vec.obs(), next);
  while (vec.steps() < steps) {
    acted = next;
    algo.act(recrl::ObsBatch{acted, vec.obs()}, recrl::ActMode::Explore, rng, actions);
    vec.step(actions);
    if (normalizer != nullptr) normalizer->update(vec.obs());
    observe_into(vec.obs(), next);
    observe_into(vec.final_obs(), final_obs);
    const recrl::StepBatch batch{acted,     actions,          vec.rewards(),  next,
                                 final_obs, vec.terminated(), vec.truncated()};
    if (algo.observe(batch)) {
      metrics.clear();
      algo.update(rng, metrics);
      all.insert(all.end(), metrics.begin(), metrics.end());
    }
  }
  return all;
}

std::vector<double> values_of(const recrl::Metrics& metrics, const std::string& name) {
  std::vector<double> values;
  for (const auto& m : metrics) {
    if (name == m.name) values.push_back(m.value);
  }
  return values;
}

std::string saved(const recrl::Algorithm& algo) {
  std::ostringstream out;
  algo.save(out);
  return out.str();
}

}  // namespace

TEST_CASE("dqn reports sb3's metrics with the schedule's values", "[run][dqn]") {
  auto copies = make_copies("recommendation", "seed_rules", 1);
  auto algo = make_dqn(copies.envs[0]->spec(), *copies.rewards[0],
                       "{learning_starts: 100, train_freq: 4, "
                       "learning_rate: lin_0.001, exploration_fraction: 0.5}",
                       1, 1000);
  recrl::VecEnv vec(copies.envs, copies.rewards, "seed_rules", 3);
  const auto metrics = train(*algo, vec, 1000, 3);
  const auto updates = values_of(metrics, "train/n_updates");
  REQUIRE(updates.size() == 225);
  CHECK(updates.back() == 225);
  // The first training phase runs after 104 steps: progress_remaining 0.896.
  CHECK(values_of(metrics, "train/learning_rate").front() == Approx(0.001 * 0.896));
  CHECK(values_of(metrics, "rollout/exploration_rate").front() == Approx(1.0 - 0.104 * 0.95 / 0.5));
  CHECK(values_of(metrics, "rollout/exploration_rate").back() == Approx(0.05));
  for (double loss : values_of(metrics, "train/loss")) CHECK(std::isfinite(loss));
}

TEST_CASE("dqn save then load gives identical greedy actions and values", "[run][dqn]") {
  auto copies = make_copies("recommendation", "seed_rules", 2);
  const auto& spec = copies.envs[0]->spec();
  const std::string yaml = "{learning_starts: 200, train_freq: 1, learning_rate: 0.001}";
  auto trained = make_dqn(spec, *copies.rewards[0], yaml, 2, 3000);
  recrl::VecEnv vec(copies.envs, copies.rewards, "seed_rules", 11);
  train(*trained, vec, 3000, 11);

  auto loaded = make_dqn(spec, *copies.rewards[0], yaml, 2, 3000);
  std::istringstream in(saved(*trained));
  loaded->load(in);
  CHECK(saved(*loaded) == saved(*trained));

  recrl::Rng rng(5);
  recrl::Matrix obs(spec.observation.size, 64);
  vec.reset();
  for (Eigen::Index j = 0; j < obs.cols(); j += 2) {
    obs.middleCols(j, 2) = vec.obs();
    vec.step(std::vector<int>{0, 1});
  }
  std::vector<int> a(64), b(64);
  trained->act(recrl::ObsBatch{obs, obs}, recrl::ActMode::Greedy, rng, a);
  loaded->act(recrl::ObsBatch{obs, obs}, recrl::ActMode::Greedy, rng, b);
  CHECK(a == b);
  recrl::Vector va, vb;
  REQUIRE(trained->state_values(recrl::ObsBatch{obs, obs}, va));
  REQUIRE(loaded->state_values(recrl::ObsBatch{obs, obs}, vb));
  CHECK(va == vb);

  // A truncated state, or one of another network shape, is a DataError, not a silent load.
  const std::string state = saved(*trained);
  std::istringstream truncated(state.substr(0, state.size() / 2));
  CHECK_THROWS_AS(loaded->load(truncated), recrl::DataError);
  auto other = make_dqn(spec, *copies.rewards[0], "{policy_kwargs: {net_arch: [32]}}", 2, 10);
  std::istringstream again(state);
  CHECK_THROWS_AS(other->load(again), recrl::DataError);
}

TEST_CASE("dqn with the same seed gives bit-identical networks", "[run][dqn]") {
  const auto run = [](std::uint64_t seed) {
    auto copies = make_copies("recommendation", "seed_rules", 4);
    auto algo = make_dqn(copies.envs[0]->spec(), *copies.rewards[0],
                         "{learning_starts: 100, target_update_interval: 200}", 4, 2000);
    recrl::VecEnv vec(copies.envs, copies.rewards, "seed_rules", seed);
    const auto metrics = train(*algo, vec, 2000, seed);
    return std::make_pair(saved(*algo), values_of(metrics, "train/loss"));
  };
  const auto a = run(1), b = run(1), c = run(2);
  CHECK(a.first == b.first);
  CHECK(a.second == b.second);
  CHECK(a.first != c.first);
}

TEST_CASE("dqn parameter errors point at the parameter's line and column", "[config][dqn]") {
  auto copies = make_copies("recommendation", "seed_rules", 1);
  const auto& spec = copies.envs[0]->spec();
  const auto& reward = *copies.rewards[0];
  using Catch::Matchers::Contains;
  REQUIRE_THROWS_WITH(
      make_dqn(spec, reward, "buffer_size: 100\nbatch_size: 500\n"),
      Contains("dqn.yaml:2:13") && Contains("batch_size") && Contains("buffer_size (100)"));
  REQUIRE_THROWS_WITH(
      make_dqn(spec, reward, "gamma: 0.9\ntrain_freq: [4, epoch]\n"),
      Contains("dqn.yaml:2:13") && Contains("train_freq") && Contains("[n, episode]"));
  REQUIRE_THROWS_WITH(make_dqn(spec, reward, "train_freq: 0\n"), Contains("dqn.yaml:1:13"));
  REQUIRE_THROWS_WITH(make_dqn(spec, reward, "exploration_final_eps: 1.5\n"),
                      Contains("dqn.yaml:1:24") && Contains("exploration_final_eps"));
  REQUIRE_THROWS_WITH(make_dqn(spec, reward, "learning_rate: lin_x\n"),
                      Contains("dqn.yaml:1:16") && Contains("learning_rate"));
  REQUIRE_THROWS_WITH(
      make_dqn(spec, reward, "policy_kwargs: \"dict(net_arch=[64], ortho_init=False)\"\n"),
      Contains("dqn.yaml:1") && Contains("policy_kwargs"));
  REQUIRE_THROWS_WITH(make_dqn(spec, reward, "tau: 0\n"),
                      Contains("dqn.yaml:1:6") && Contains("tau"));
  REQUIRE_THROWS_WITH(make_dqn(spec, reward, "target_update_intervals: 5\n"),
                      Contains("dqn.yaml:1:1") && Contains("target_update_interval"));
  // rl-zoo's own spellings are accepted.
  CHECK_NOTHROW(make_dqn(
      spec, reward, "train_freq: [256, step]\npolicy_kwargs: \"dict(net_arch=[256, 256])\"\n"));
}

TEST_CASE("dqn smoke runs through recrl run on the seed environment and on cartpole",
          "[run][dqn][cli]") {
  const auto dir = recrl::test::scratch_dir("dqn_smoke");
  const auto write = [&](const std::string& name, const std::string& env,
                         const std::string& reward) {
    std::ofstream(dir / (name + ".yaml"))
        << "name: " << name << "\nenv: {plugin: " << env << "}\nreward: {plugin: " << reward
        << "}\n"
        << "algorithms:\n  - plugin: dqn\n    params: {learning_starts: 500, "
           "target_update_interval: 500}\n"
        << "seeds: [0]\ntrain: {timesteps: 2000, n_envs: 2}\neval: {episodes: 20, every: 1000}\n"
        << "output: out/" << name << "\n";
  };
  write("seed", "recommendation", "seed_rules");
  write("cartpole", "cartpole", "env_reward");
  for (const std::string name : {"seed", "cartpole"}) {
    const auto result = recrl::test::run_recrl("run " + name + ".yaml", dir);
    INFO(result.err);
    REQUIRE(result.status == 0);
    const auto run_dir = dir / "out" / name / "runs" / "dqn__s0";
    CHECK(std::filesystem::exists(run_dir / "policy.recrl"));
    CHECK(recrl::test::read_text(run_dir / "metrics.csv").find("train/loss") != std::string::npos);
  }
}

TEST_CASE("dqn learns the seed environment to within 95 percent of the oracle",
          "[run][dqn][learning]") {
  // A small budget (SB3's defaults need 100k steps): normalised observations (the raw features
  // span 0..1 to hundreds, which slows a ReLU network down markedly), updates every step, a
  // short target interval and a quick epsilon decay.
  const std::int64_t steps = 15000;
  auto copies = make_copies("recommendation", "seed_rules", 1);
  auto algo = make_dqn(copies.envs[0]->spec(), *copies.rewards[0],
                       "{learning_rate: 0.001, learning_starts: 1000, "
                       "batch_size: 64, train_freq: 1, target_update_interval: 500, "
                       "exploration_fraction: 0.3, exploration_final_eps: 0.02}",
                       1, steps);
  recrl::VecEnv vec(copies.envs, copies.rewards, "seed_rules", 0);
  recrl::ObservationNormalizer normalizer(copies.envs[0]->spec().observation.size);
  train(*algo, vec, steps, 0, &normalizer);

  auto eval_copies = make_copies("recommendation", "seed_rules", 64);
  recrl::Evaluator evaluator(eval_copies.envs, eval_copies.rewards, "seed_rules", 4000, 1000003);
  recrl::Rng rng(0);
  const double learned = evaluator.run(*algo, &normalizer, rng).mean_return;
  const auto oracle =
      recrl::test::make_oracle(eval_copies.envs[0]->spec(), *eval_copies.rewards[0]);
  const double best = evaluator.run(*oracle, nullptr, rng).mean_return;
  INFO("dqn " << learned << " oracle " << best);
  CHECK(learned >= 0.95 * best);
}
