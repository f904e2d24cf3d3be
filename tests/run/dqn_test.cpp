// The dqn algorithm plugin: its TD-loss gradient, its SB3 step accounting (exploration
// schedule, target refreshes, training cadence), save/load, configuration errors, determinism,
// smoke runs through `recrl run` and a small learning test.
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
#include "recrl/run/oracle.hpp"
#include "recrl/run/vec_env.hpp"
#include "../../plugins/algorithms/dqn/target_cache.hpp"
#include "../../plugins/algorithms/dqn/td_loss.hpp"
#include "../../plugins/algorithms/dqn/training_clock.hpp"

namespace {

using recrl::dqn::ClockSettings;
using recrl::dqn::TrainingClock;
using MatD = Eigen::MatrixXd;

std::shared_ptr<recrl::Algorithm> make_dqn(const recrl::EnvSpec& spec, const recrl::RewardFunction& reward,
                                           const std::string& yaml, int n_envs = 1,
                                           std::int64_t total_timesteps = 0) {
  const recrl::Params params =
      recrl::test::plugin_params(recrl::plugin::Kind::Algorithm, "dqn", yaml, "algorithms[0]", "dqn.yaml");
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
recrl::Metrics train(recrl::Algorithm& algo, recrl::VecEnv& vec, std::int64_t steps, std::uint64_t seed,
                     recrl::ObservationNormalizer* normalizer = nullptr) {
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
    const recrl::StepBatch batch{acted, actions, vec.rewards(), next, final_obs,
                                 vec.terminated(), vec.truncated()};
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

// The loss of TdLoss for the given networks and batch (gradients of q are accumulated, unused).
double td_loss(recrl::toolkit::Mlp<double>& q, recrl::toolkit::Mlp<double>& target, const MatD& obs,
               const std::vector<int>& actions, const MatD& rewards, const MatD& next_obs,
               const MatD& dones) {
  recrl::dqn::TdLoss<double> loss(obs.cols());
  MatD next_max(1, obs.cols());
  recrl::dqn::TdLoss<double>::greedy_values(target, next_obs, next_max);
  return loss.accumulate(q, obs, actions, rewards, next_max, dones, 0.9);
}

ClockSettings clock_settings(std::int64_t n_envs, std::int64_t total) {
  ClockSettings s;
  s.n_envs = n_envs;
  s.total_timesteps = total;
  return s;
}

}  // namespace

TEST_CASE("dqn td loss gradient matches finite differences", "[unit][dqn]") {
  recrl::Rng rng(7);
  recrl::toolkit::Mlp<double> q(4, {6, 5}, 3, recrl::toolkit::Activation::Relu);
  recrl::toolkit::Mlp<double> target(4, {6, 5}, 3, recrl::toolkit::Activation::Relu);
  q.init_pytorch_default(rng);
  target.init_pytorch_default(rng);
  const Eigen::Index batch = 9;
  MatD obs(4, batch), next_obs(4, batch), rewards(1, batch), dones(1, batch);
  std::vector<int> actions;
  for (Eigen::Index j = 0; j < batch; ++j) {
    for (Eigen::Index i = 0; i < 4; ++i) {
      obs(i, j) = rng.normal();
      next_obs(i, j) = rng.normal();
    }
    // Rewards far from the Q-values put some errors beyond the Huber threshold of 1.
    rewards(0, j) = 4.0 * rng.normal();
    dones(0, j) = j % 3 == 0 ? 1.0 : 0.0;
    actions.push_back(static_cast<int>(rng.uniform_int(3)));
  }
  q.zero_gradients();
  td_loss(q, target, obs, actions, rewards, next_obs, dones);
  const Eigen::VectorXd analytic = q.gradients();
  REQUIRE(analytic.norm() > 1e-3);
  const double h = 1e-6;
  for (Eigen::Index k = 0; k < q.num_parameters(); ++k) {
    const double kept = q.parameters()(k);
    q.parameters()(k) = kept + h;
    const double up = td_loss(q, target, obs, actions, rewards, next_obs, dones);
    q.parameters()(k) = kept - h;
    const double down = td_loss(q, target, obs, actions, rewards, next_obs, dones);
    q.parameters()(k) = kept;
    INFO("parameter " << k);
    CHECK(analytic(k) == Approx((up - down) / (2 * h)).margin(1e-7));
  }
}

// Cached values are the fresh ones bit for bit; a terminal transition's value is 0 without
// being computed (the TD target multiplies it by 1 - done = 0).
TEST_CASE("dqn target cache gives the target network's values bit for bit", "[unit][dqn]") {
  using MatF = Eigen::MatrixXf;
  recrl::Rng rng(11);
  recrl::toolkit::Mlp<float> target(5, {64, 64}, 7, recrl::toolkit::Activation::Relu);
  target.init_pytorch_default(rng);
  const Eigen::Index slots = 40, batch = 32;
  MatF stored(5, slots);  // the next observation of each replay slot
  for (Eigen::Index k = 0; k < slots; ++k) {
    for (Eigen::Index i = 0; i < 5; ++i) stored(i, k) = static_cast<float>(rng.normal());
  }
  recrl::dqn::TargetCache cache(slots, 5, batch);
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
    recrl::dqn::TdLoss<float>::greedy_values(target, next_obs, fresh);
    for (Eigen::Index j = 0; j < batch; ++j) {
      INFO("step " << step << ", column " << j);
      REQUIRE(cached(0, j) == (dones(0, j) != 0.0f ? 0.0f : fresh(0, j)));
    }
  }
  // 30 draws of 32 from 40 slots: most values came from the cache.
  CHECK(computed_total < 30 * batch / 3);
}

TEST_CASE("dqn td loss is the mean huber loss against the target network's greedy value", "[unit][dqn]") {
  // One layer with zero weights: Q(s, .) = bias, so every number below is by hand.
  recrl::toolkit::Mlp<double> q(1, {}, 2, recrl::toolkit::Activation::Relu);
  recrl::toolkit::Mlp<double> target(1, {}, 2, recrl::toolkit::Activation::Relu);
  q.bias(0) << 0.5, 3.0;
  target.bias(0) << 1.0, 2.0;
  const MatD obs = MatD::Zero(1, 2), next_obs = MatD::Zero(1, 2);
  MatD rewards(1, 2), dones(1, 2);
  rewards << 1.0, 0.0;
  dones << 0.0, 1.0;
  // y = (1 + 0.9 * 2, 0) = (2.8, 0); Q(s, a) = (0.5, 3.0); errors -2.3 and 3.0 (both linear).
  const double loss = td_loss(q, target, obs, {0, 1}, rewards, next_obs, dones);
  CHECK(loss == Approx(((2.3 - 0.5) + (3.0 - 0.5)) / 2).margin(1e-12));
}

TEST_CASE("dqn exploration rate follows sb3's linear schedule over the run's steps", "[unit][dqn]") {
  TrainingClock clock(clock_settings(1, 1000));
  CHECK(clock.exploration_rate() == 0.0);  // SB3's initial exploration_rate, before any step
  clock.step(0);
  CHECK(clock.exploration_rate() == Approx(1.0 - 0.001 * 0.95 / 0.1));
  for (int i = 1; i < 50; ++i) clock.step(0);
  CHECK(clock.exploration_rate() == Approx(0.525));
  for (int i = 50; i < 100; ++i) clock.step(0);
  CHECK(clock.exploration_rate() == Approx(0.05));
  clock.step(0);
  CHECK(clock.exploration_rate() == Approx(0.05));

  // exploration_fraction 0: the final rate from the first step on.
  ClockSettings no_decay = clock_settings(1, 1000);
  no_decay.exploration_fraction = 0.0;
  TrainingClock flat(no_decay);
  flat.step(0);
  CHECK(flat.exploration_rate() == Approx(0.05));

  // With 4 copies each step is 4 environment steps of progress.
  TrainingClock four(clock_settings(4, 1000));
  for (int i = 0; i < 5; ++i) four.step(0);
  CHECK(four.exploration_rate() == Approx(1.0 - 0.02 * 0.95 / 0.1));
}

TEST_CASE("dqn refreshes its target network every target_update_interval environment steps", "[unit][dqn]") {
  const auto refreshes = [](std::int64_t n_envs, std::int64_t interval, std::int64_t vector_steps) {
    ClockSettings s = clock_settings(n_envs, vector_steps * n_envs);
    s.target_update_interval = interval;
    TrainingClock clock(s);
    std::vector<std::int64_t> at;  // environment steps at which the target was refreshed
    for (std::int64_t i = 0; i < vector_steps; ++i) {
      if (clock.step(0).refresh_target) at.push_back(clock.num_timesteps());
    }
    return at;
  };
  const auto one = refreshes(1, 100, 1000);
  REQUIRE(one.size() == 10);
  CHECK(one.front() == 100);
  CHECK(one.back() == 1000);
  // 4 copies: every 100 // 4 = 25 vector steps, i.e. still every 100 environment steps.
  const auto four = refreshes(4, 100, 1000);
  REQUIRE(four.size() == 40);
  CHECK(four.front() == 100);
  // An interval that is not a multiple of n_envs rounds down in vector steps: 10 // 4 = 2.
  const auto rounded = refreshes(4, 10, 100);
  REQUIRE(rounded.size() == 50);
  CHECK(rounded.front() == 8);
  // Fewer environment steps than copies: after every vector step (SB3 warns).
  CHECK(refreshes(4, 3, 100).size() == 100);
}

TEST_CASE("dqn trains every train_freq steps once past learning_starts", "[unit][dqn]") {
  ClockSettings s = clock_settings(1, 1000);
  s.learning_starts = 100;
  s.train_freq = 4;
  TrainingClock clock(s);
  std::int64_t gradient_steps = 0, first = -1;
  for (int i = 0; i < 1000; ++i) {
    CHECK(clock.warming_up() == (i < 100));
    const auto tick = clock.step(0);
    if (tick.gradient_steps > 0 && first < 0) first = clock.num_timesteps();
    gradient_steps += tick.gradient_steps;
  }
  CHECK(first == 104);  // rollouts end at 4, 8, ...; training needs num_timesteps > 100
  CHECK(gradient_steps == 225);

  // gradient_steps -1: one per transition collected, n_envs per vector step.
  s = clock_settings(4, 4000);
  s.learning_starts = 0;
  s.train_freq = 2;
  s.gradient_steps = -1;
  TrainingClock all(s);
  CHECK(all.step(0).gradient_steps == 0);
  CHECK(all.step(0).gradient_steps == 8);

  // [3, episode]: after the third finished episode, whatever the steps.
  s = clock_settings(2, 1000);
  s.learning_starts = 0;
  s.train_freq = 3;
  s.train_freq_in_episodes = true;
  TrainingClock episodes(s);
  CHECK(episodes.step(2).gradient_steps == 0);
  CHECK(episodes.step(0).gradient_steps == 0);
  CHECK(episodes.step(1).gradient_steps == 1);
  CHECK(episodes.step(1).gradient_steps == 0);
}

TEST_CASE("dqn reports sb3's metrics with the schedule's values", "[run][dqn]") {
  auto copies = make_copies("recommendation", "seed_rules", 1);
  auto algo = make_dqn(copies.envs[0]->spec(), *copies.rewards[0],
                       "{learning_starts: 100, train_freq: 4, "
                       "learning_rate: lin_0.001, exploration_fraction: 0.5}", 1, 1000);
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
  auto other = make_dqn(spec, *copies.rewards[0],
                        "{policy_kwargs: {net_arch: [32]}}", 2, 10);
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
  REQUIRE_THROWS_WITH(make_dqn(spec, reward, "buffer_size: 100\nbatch_size: 500\n"),
                      Contains("dqn.yaml:2:13") && Contains("batch_size") && Contains("buffer_size (100)"));
  REQUIRE_THROWS_WITH(make_dqn(spec, reward, "gamma: 0.9\ntrain_freq: [4, epoch]\n"),
                      Contains("dqn.yaml:2:13") && Contains("train_freq") && Contains("[n, episode]"));
  REQUIRE_THROWS_WITH(make_dqn(spec, reward, "train_freq: 0\n"), Contains("dqn.yaml:1:13"));
  REQUIRE_THROWS_WITH(make_dqn(spec, reward, "exploration_final_eps: 1.5\n"),
                      Contains("dqn.yaml:1:24") && Contains("exploration_final_eps"));
  REQUIRE_THROWS_WITH(make_dqn(spec, reward, "learning_rate: lin_x\n"),
                      Contains("dqn.yaml:1:16") && Contains("learning_rate"));
  REQUIRE_THROWS_WITH(make_dqn(spec, reward, "policy_kwargs: \"dict(net_arch=[64], ortho_init=False)\"\n"),
                      Contains("dqn.yaml:1") && Contains("policy_kwargs"));
  REQUIRE_THROWS_WITH(make_dqn(spec, reward, "tau: 0\n"), Contains("dqn.yaml:1:6") && Contains("tau"));
  REQUIRE_THROWS_WITH(make_dqn(spec, reward, "target_update_intervals: 5\n"),
                      Contains("dqn.yaml:1:1") && Contains("target_update_interval"));
  // rl-zoo's own spellings are accepted.
  CHECK_NOTHROW(make_dqn(spec, reward,
                         "train_freq: [256, step]\npolicy_kwargs: \"dict(net_arch=[256, 256])\"\n"));
}

TEST_CASE("dqn smoke runs through recrl run on the seed environment and on cartpole", "[run][dqn][cli]") {
  const auto dir = recrl::test::scratch_dir("dqn_smoke");
  const auto write = [&](const std::string& name, const std::string& env, const std::string& reward) {
    std::ofstream(dir / (name + ".yaml"))
        << "name: " << name << "\nenv: {plugin: " << env << "}\nreward: {plugin: " << reward << "}\n"
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

TEST_CASE("dqn learns the seed environment to within 95 percent of the oracle", "[run][dqn][learning]") {
  // A small budget (SB3's defaults need 100k steps): normalised observations (the raw features
  // span 0..1 to hundreds, which slows a ReLU network down markedly), updates every step, a
  // short target interval and a quick epsilon decay.
  const std::int64_t steps = 15000;
  auto copies = make_copies("recommendation", "seed_rules", 1);
  auto algo = make_dqn(copies.envs[0]->spec(), *copies.rewards[0],
                       "{learning_rate: 0.001, learning_starts: 1000, "
                       "batch_size: 64, train_freq: 1, target_update_interval: 500, "
                       "exploration_fraction: 0.3, exploration_final_eps: 0.02}", 1, steps);
  recrl::VecEnv vec(copies.envs, copies.rewards, "seed_rules", 0);
  recrl::ObservationNormalizer normalizer(copies.envs[0]->spec().observation.size);
  train(*algo, vec, steps, 0, &normalizer);

  auto eval_copies = make_copies("recommendation", "seed_rules", 64);
  recrl::Evaluator evaluator(eval_copies.envs, eval_copies.rewards, "seed_rules", 4000, 1000003);
  recrl::Rng rng(0);
  const double learned = evaluator.run(*algo, &normalizer, rng).mean_return;
  recrl::OraclePolicy oracle(eval_copies.envs[0]->spec(), *eval_copies.rewards[0], {}, "oracle");
  const double best = evaluator.run(oracle, nullptr, rng).mean_return;
  INFO("dqn " << learned << " oracle " << best);
  CHECK(learned >= 0.95 * best);
}
