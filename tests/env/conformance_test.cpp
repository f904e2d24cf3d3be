// The contract every bundled environment plugin keeps, checked on each with a reward that fits
// it: a consistent spec, observations inside the declared bounds, determinism by seed,
// episodes that end by max_episode_steps, finite rewards, and a run of the random algorithm
// through recrl's VecEnv. A new environment plugin must add its case to kCases (a test fails
// until it does).
#include <algorithm>
#include <cmath>
#include <memory>
#include <ostream>
#include <set>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "../support/plugin_fixture.hpp"
#include "recrl/toolkit/action_mask.hpp"
#include "recrl/run/vec_env.hpp"

namespace {

// An environment plugin with its parameters and a reward plugin that works with it.
struct ConformanceCase {
  std::string env;
  std::string env_params;
  std::string reward;
  std::string reward_params;
};

std::ostream& operator<<(std::ostream& out, const ConformanceCase& c) {
  return out << c.env << " " << (c.env_params.empty() ? "{}" : c.env_params) << " with " << c.reward
             << " " << (c.reward_params.empty() ? "{}" : c.reward_params);
}

const std::vector<ConformanceCase> kCases{
    {"recommendation", "", "seed_rules", ""},
    {"recommendation", "{horizon: 5}", "seed_rules", "{noise_std: 0.1}"},
    {"campaign", "", "conversion", ""},
    {"campaign", "{horizon: 5, discount_budget: 20, max_contacts_per_week: 1}", "conversion", ""},
    {"cartpole", "", "env_reward", ""},
    {"cartpole", "{max_episode_steps: 30}", "env_reward", "{scale: 0.5}"},
};

std::shared_ptr<recrl::Environment> make_env(const ConformanceCase& c) {
  return recrl::test::make_environment(c.env, c.env_params);
}

std::shared_ptr<recrl::RewardFunction> make_reward(const ConformanceCase& c,
                                                   const recrl::EnvSpec& spec) {
  return recrl::test::make_reward(c.reward, spec, c.reward_params);
}

recrl::VecEnv make_vec(const ConformanceCase& c, int copies, std::uint64_t seed) {
  std::vector<std::shared_ptr<recrl::Environment>> envs;
  std::vector<std::shared_ptr<recrl::RewardFunction>> rewards;
  for (int i = 0; i < copies; ++i) {
    envs.push_back(make_env(c));
    rewards.push_back(make_reward(c, envs.back()->spec()));
  }
  return recrl::VecEnv(envs, rewards, c.reward, seed);
}

// Uniform among the actions each copy's environment allows (docs/masks.md).
void random_actions(recrl::Rng& rng, const recrl::VecEnv& vec, std::vector<int>& actions) {
  for (std::size_t i = 0; i < actions.size(); ++i) {
    actions[i] = recrl::toolkit::AllowedActions(vec.allowed(), vec.spec().action.size,
                                                static_cast<Eigen::Index>(i))
                     .uniform(rng);
  }
}

// Everything a VecEnv step shows, flattened, for comparing two runs.
void record(const recrl::VecEnv& vec, std::vector<double>& out) {
  out.insert(out.end(), vec.obs().data(), vec.obs().data() + vec.obs().size());
  out.insert(out.end(), vec.final_obs().data(), vec.final_obs().data() + vec.final_obs().size());
  out.insert(out.end(), vec.rewards().data(), vec.rewards().data() + vec.rewards().size());
  for (int i = 0; i < vec.size(); ++i) {
    out.push_back(vec.terminated()[i]);
    out.push_back(vec.truncated()[i]);
  }
}

std::vector<double> vec_trajectory(const ConformanceCase& c, std::uint64_t seed) {
  auto vec = make_vec(c, 3, seed);
  recrl::Rng action_rng(12345);  // the same actions for every seed: only the environment differs
  std::vector<int> actions(3);
  std::vector<double> out;
  vec.reset();
  record(vec, out);
  for (int t = 0; t < 300; ++t) {
    random_actions(action_rng, vec, actions);
    vec.step(actions);
    record(vec, out);
  }
  return out;
}

void check_within_bounds(const recrl::Vector& obs, const recrl::Space& space, int step) {
  for (int f = 0; f < space.size; ++f) {
    INFO("step " << step << " feature " << space.labels[static_cast<std::size_t>(f)] << " = "
                 << obs[f]);
    REQUIRE(std::isfinite(obs[f]));
    REQUIRE(static_cast<double>(obs[f]) >= space.low[static_cast<std::size_t>(f)]);
    REQUIRE(static_cast<double>(obs[f]) <= space.high[static_cast<std::size_t>(f)]);
  }
}

}  // namespace

TEST_CASE("every bundled environment plugin has a conformance case", "[env][conformance]") {
  int environments = 0;
  for (const recrl::plugin::PluginInfo* info : recrl::test::bundled_plugins().list()) {
    if (info->kind != recrl::plugin::Kind::Environment) continue;
    ++environments;
    INFO("environment plugin " << info->name << " (" << info->file.string() << ")");
    CHECK(std::any_of(kCases.begin(), kCases.end(),
                      [&](const ConformanceCase& c) { return c.env == info->name; }));
  }
  CHECK(environments >= 2);
}

TEST_CASE("environment specs are consistent", "[env][conformance]") {
  const ConformanceCase c = GENERATE(from_range(kCases));
  INFO(c);
  auto env = make_env(c);
  const recrl::EnvSpec& spec = env->spec();
  CHECK(spec.name == c.env);

  const recrl::Space& obs = spec.observation;
  CHECK(obs.kind == recrl::Space::Kind::Box);
  REQUIRE(obs.size >= 1);
  REQUIRE(obs.labels.size() == static_cast<std::size_t>(obs.size));
  REQUIRE(obs.low.size() == static_cast<std::size_t>(obs.size));
  REQUIRE(obs.high.size() == static_cast<std::size_t>(obs.size));
  CHECK(std::set<std::string>(obs.labels.begin(), obs.labels.end()).size() == obs.labels.size());
  for (std::size_t f = 0; f < obs.labels.size(); ++f) {
    INFO("feature " << f << " " << obs.labels[f]);
    CHECK_FALSE(obs.labels[f].empty());
    CHECK_FALSE(std::isnan(obs.low[f]));
    CHECK_FALSE(std::isnan(obs.high[f]));
    CHECK(obs.low[f] <= obs.high[f]);
    CHECK(obs.index_of(obs.labels[f]) == static_cast<int>(f));
  }

  const recrl::Space& action = spec.action;
  CHECK(action.kind == recrl::Space::Kind::Discrete);
  REQUIRE(action.size >= 1);
  REQUIRE(action.labels.size() == static_cast<std::size_t>(action.size));
  CHECK(std::set<std::string>(action.labels.begin(), action.labels.end()).size() ==
        action.labels.size());
  CHECK((action.low.empty() && action.high.empty()));
  if (!spec.actions.empty()) {
    REQUIRE(spec.actions.size() == static_cast<std::size_t>(action.size));
    for (std::size_t a = 0; a < spec.actions.size(); ++a) {
      CHECK(spec.actions[a].label == action.labels[a]);
    }
  }
  // Evaluation runs episodes to their end, so every bundled environment bounds them.
  CHECK(spec.max_episode_steps >= 1);

  auto reward = make_reward(c, spec);
  // Components, where a reward has them, have distinct names.
  const auto& components = reward->components();
  CHECK(std::set<std::string>(components.begin(), components.end()).size() == components.size());
}

TEST_CASE("observations stay within the declared bounds under random actions",
          "[env][conformance]") {
  const ConformanceCase c = GENERATE(from_range(kCases));
  INFO(c);
  auto env = make_env(c);
  const recrl::EnvSpec& spec = env->spec();
  recrl::Rng env_rng(2024);
  recrl::Rng action_rng(4202);
  recrl::Vector obs(spec.observation.size);
  env->reset(env_rng, obs);
  check_within_bounds(obs, spec.observation, 0);
  int length = 0;
  for (int t = 1; t <= 5000; ++t) {
    const int action =
        static_cast<int>(action_rng.uniform_int(static_cast<std::uint64_t>(spec.action.size)));
    const recrl::EnvStep step = env->step(action, env_rng, obs);
    ++length;
    check_within_bounds(obs, spec.observation, t);  // the terminal observation included
    REQUIRE(std::isfinite(step.reward));
    if (step.terminated || step.truncated || length >= spec.max_episode_steps) {
      env->reset(env_rng, obs);
      check_within_bounds(obs, spec.observation, t);
      length = 0;
    }
  }
}

TEST_CASE("the same seed gives the same trajectory and another seed another",
          "[env][conformance]") {
  const ConformanceCase c = GENERATE(from_range(kCases));
  INFO(c);
  const std::vector<double> first = vec_trajectory(c, 17);
  CHECK(first == vec_trajectory(c, 17));
  CHECK(first != vec_trajectory(c, 18));
}

TEST_CASE("episodes end by max_episode_steps at the latest with finite rewards",
          "[env][conformance]") {
  const ConformanceCase c = GENERATE(from_range(kCases));
  INFO(c);
  constexpr int kCopies = 4;
  auto vec = make_vec(c, kCopies, 5);
  const int max_steps = vec.spec().max_episode_steps;
  REQUIRE(max_steps >= 1);
  recrl::Rng action_rng(6);
  std::vector<int> actions(kCopies);
  std::vector<int> lengths(kCopies, 0);
  int episodes = 0;
  vec.reset();
  for (int t = 0; t < 3000; ++t) {
    random_actions(action_rng, vec, actions);
    vec.step(actions);
    for (int i = 0; i < kCopies; ++i) {
      ++lengths[i];
      INFO("copy " << i << " step " << t);
      REQUIRE(std::isfinite(vec.rewards()[i]));
      for (const double part : vec.components(i)) REQUIRE(std::isfinite(part));
      REQUIRE_FALSE((vec.terminated()[i] != 0 && vec.truncated()[i] != 0));
      REQUIRE(lengths[i] <= max_steps);
      if (vec.terminated()[i] != 0 || vec.truncated()[i] != 0) {
        lengths[i] = 0;
        ++episodes;
      }
    }
  }
  CHECK(episodes >= kCopies * 3000 / max_steps);
}

TEST_CASE("the random algorithm runs 200 steps through the vectorised environment",
          "[env][conformance]") {
  const ConformanceCase c = GENERATE(from_range(kCases));
  INFO(c);
  constexpr int kCopies = 4;
  auto vec = make_vec(c, kCopies, 9);
  const recrl::EnvSpec& spec = vec.spec();
  auto reward = make_reward(c, spec);

  recrl::PluginContext ctx = recrl::test::plugin_context("algorithms[0]", &spec);
  ctx.reward = reward.get();
  ctx.n_envs = kCopies;
  const recrl::Params params = recrl::test::plugin_params(recrl::plugin::Kind::Algorithm, "random",
                                                          "", "algorithms[0]", "algorithm.yaml");
  auto algorithm = recrl::test::bundled_plugins().create_algorithm("random", params, ctx);

  recrl::Rng rng(10);
  std::vector<int> actions(kCopies);
  std::vector<int> counts(static_cast<std::size_t>(spec.action.size), 0);
  recrl::Matrix acted_on;
  recrl::Metrics metrics;
  vec.reset();
  for (int t = 0; t < 200; ++t) {
    acted_on = vec.obs();
    algorithm->act(recrl::ObsBatch{acted_on, acted_on, vec.allowed()}, recrl::ActMode::Explore, rng,
                   actions);
    for (const int a : actions) {
      REQUIRE(a >= 0);
      REQUIRE(a < spec.action.size);
      ++counts[static_cast<std::size_t>(a)];
    }
    vec.step(actions);
    const recrl::StepBatch batch{acted_on,        actions,          vec.rewards(),  vec.obs(),
                                 vec.final_obs(), vec.terminated(), vec.truncated()};
    if (algorithm->observe(batch)) algorithm->update(rng, metrics);
  }
  CHECK(vec.steps() == 200 * kCopies);
  // 800 uniform draws: every action comes up.
  CHECK(std::all_of(counts.begin(), counts.end(), [](int n) { return n > 0; }));
}
