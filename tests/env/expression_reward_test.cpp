// The `expression` reward: experiments/expression.yaml writes seed_rules as formulas and gives
// seed_rules' numbers, bit for bit (the sample user's 0.9 and 0.8, every action for thousands
// of customers, the noise, the baselines' means); every mistake in a formula is reported at its
// line and column; compute() allocates nothing.
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "../unit/toolkit_allocation_counter.hpp"
#include "driven_algorithm.hpp"
#include "plugin_fixture.hpp"
#include "recrl/config/experiment.hpp"
#include "recrl/config/yaml_value.hpp"
#include "recrl/run/evaluation.hpp"

using Catch::Matchers::Contains;

namespace {

const std::filesystem::path kExperiment =
    std::filesystem::path(RECRL_PROJECT_SOURCE_DIR) / "experiments" / "expression.yaml";

// The reward of experiments/expression.yaml, built as a run builds it.
std::shared_ptr<recrl::RewardFunction> shipped_expression(const recrl::EnvSpec& spec,
                                                          double noise_std = 0) {
  const recrl::config::Experiment e = recrl::config::load_experiment(kExperiment);
  recrl::Value params = e.reward.params;
  params.set("noise_std", recrl::Value::real(noise_std));
  const auto& info =
      recrl::test::bundled_plugins().get(recrl::plugin::Kind::Reward, "expression", {}, "reward");
  const recrl::Params validated =
      recrl::Params::validate(info.schema, params, "reward.params", e.reward.where);
  return recrl::test::bundled_plugins().create_reward("expression", validated,
                                                      recrl::test::plugin_context("reward", &spec));
}

// A reward from a `params:` map written in a file of its own (so that errors have lines).
std::shared_ptr<recrl::RewardFunction> expression_from(const std::string& yaml) {
  const auto env = recrl::test::make_environment("recommendation");
  const auto dir = recrl::test::process_scratch_dir("expression_reward");
  const auto file = (dir / "reward.yaml").string();
  std::ofstream(file) << yaml;
  const recrl::Value given = recrl::config::parse_yaml(yaml, file);
  const auto& info =
      recrl::test::bundled_plugins().get(recrl::plugin::Kind::Reward, "expression", {}, "reward");
  const recrl::Params params =
      recrl::Params::validate(info.schema, given, "reward.params", {file, 1, 1});
  return recrl::test::bundled_plugins().create_reward(
      "expression", params, recrl::test::plugin_context("reward", &env->spec()));
}

}  // namespace

TEST_CASE("seed_rules written as expressions gives seed_rules' rewards, bit for bit",
          "[expression]") {
  const auto env = recrl::test::make_environment("recommendation");
  const auto rules = recrl::test::make_reward("seed_rules", env->spec());
  const auto formulas = shipped_expression(env->spec());
  REQUIRE(formulas->components() == std::vector<std::string>{"targeting", "channel", "value_fit"});

  // The specification's sample user: 0.9 for [discount, 15%, email], 0.8 for 10%.
  recrl::Vector user(10);
  user << 15, 3, 200, 0.78f, 1, 0, 0.87f, 0.12f, 0.05f, 8;
  const auto value = [&](int action) {
    return *formulas->expected(recrl::Transition{user, action, user, 0.0, true, false});
  };
  CHECK(value(2) == Approx(0.9).epsilon(1e-12));
  CHECK(value(0) == Approx(0.8).epsilon(1e-12));

  // Every action for thousands of customers the environment draws, and the components.
  recrl::Rng rng(3);
  recrl::Vector obs(env->spec().observation.size);
  std::vector<double> rule_parts(4), formula_parts(3);
  for (int i = 0; i < 5000; ++i) {
    env->reset(rng, obs);
    for (int a = 0; a < env->spec().action.size; ++a) {
      const recrl::Transition t{obs, a, obs, 0.0, true, false};
      REQUIRE(*formulas->expected(t) == *rules->expected(t));
      recrl::Rng r1(i), r2(i);
      REQUIRE(formulas->compute(t, r1, formula_parts) == rules->compute(t, r2, rule_parts));
      for (std::size_t c = 0; c < 3; ++c) REQUIRE(formula_parts[c] == rule_parts[c]);
    }
  }

  // With noise: the same draws from the same stream.
  const auto noisy_rules = recrl::test::make_reward("seed_rules", env->spec(), "{noise_std: 0.1}");
  const auto noisy_formulas = shipped_expression(env->spec(), 0.1);
  recrl::Rng r1(9), r2(9);
  std::vector<double> noisy_formula_parts(4);
  for (int a = 0; a < env->spec().action.size; ++a) {
    const recrl::Transition t{user, a, user, 0.0, true, false};
    REQUIRE(noisy_formulas->compute(t, r1, noisy_formula_parts) ==
            noisy_rules->compute(t, r2, rule_parts));
  }
}

TEST_CASE("the baselines' means under the expression reward are seed_rules' means",
          "[expression]") {
  const auto means = [](const std::string& reward_yaml) {
    const auto result = recrl::test::run_yaml("expression_baselines", R"(name: baselines
env: {plugin: recommendation, params: {users: {source: synthetic}, horizon: 1}}
)" + reward_yaml + R"(
algorithms: [{plugin: random}, {plugin: oracle}]
seeds: [0]
train: {timesteps: 1000}
eval: {episodes: 2000, seed: 1000003}
)");
    std::vector<double> out;
    for (const auto& run : result.runs) out.push_back(run.eval_mean);
    return out;
  };
  const recrl::config::Experiment e = recrl::config::load_experiment(kExperiment);
  std::string shipped = "reward:\n  plugin: expression\n  params:\n";
  std::istringstream lines(recrl::config::to_yaml(e.reward.params));
  for (std::string line; std::getline(lines, line);) shipped += "    " + line + "\n";
  CHECK(means(shipped) == means("reward: {plugin: seed_rules}"));
}

TEST_CASE("a formula's mistakes are reported at their line and column", "[expression]") {
  // An unknown name, with a hint.
  CHECK_THROWS_WITH(expression_from("components:\n  t: \"0.5 * discount_sensitve\"\n"),
                    Contains("reward.yaml:2:13") && Contains("unknown name 'discount_sensitve'") &&
                        Contains("discount_sensitive"));
  // A quoted text no action field has.
  CHECK_THROWS_WITH(expression_from("components:\n  t: \"(offer == 'dicount')\"\n"),
                    Contains("reward.yaml:2:17") && Contains("'dicount'") && Contains("discount"));
  // A syntax error.
  CHECK_THROWS_WITH(expression_from("components:\n  t: 0.5 * (email_opens +\n"),
                    Contains("reward.yaml:2") && Contains("does not parse"));
  // A formula that can yield NaN or infinity within the features' bounds.
  CHECK_THROWS_WITH(
      expression_from("components:\n  t: \"ln(email_opens)\"\n"),
      Contains("reward.yaml:2:7") && Contains("gives -infinity") && Contains("email_opens = 0"));
  // No components; a bad clip; a name used twice.
  CHECK_THROWS_WITH(expression_from("clip: [0, 1]\n"), Contains("one or more named formulas"));
  CHECK_THROWS_WITH(expression_from("components: {t: \"1\"}\nclip: [1, 0]\n"),
                    Contains("low <= high"));
  CHECK_THROWS_WITH(expression_from("components: {t: \"1\"}\nconstants: {offer: 2}\n"),
                    Contains("'offer' is already"));
}

TEST_CASE("clip, constants, action fields and env_reward", "[expression]") {
  const auto reward = expression_from(R"(components:
  deep: "w * value"
  index: "action + env_reward"
constants: {w: 0.1}
clip: [0, 2]
)");
  recrl::Vector user = recrl::Vector::Zero(10);
  // Action 2 of the default catalog is [discount, 15%, email]: 0.1 * 15 + 2 + 0.25 -> clipped 2.
  std::vector<double> parts(2);
  recrl::Rng rng(1);
  CHECK(reward->compute({user, 2, user, 0.25, true, false}, rng, parts) == 2.0);
  CHECK(parts[0] == Approx(1.5));
  CHECK(parts[1] == Approx(2.25));
  // Action 5 is free shipping, value 0: 0 + 5 + 0 -> clipped 2; action 0: 1 + 0 = 1.
  CHECK(*reward->expected({user, 0, user, 0.0, true, false}) == Approx(1.0));
}

TEST_CASE("the expression reward allocates nothing per step", "[expression]") {
  const auto env = recrl::test::make_environment("recommendation");
  const auto reward = shipped_expression(env->spec(), 0.1);
  recrl::Vector user(10);
  user << 15, 3, 200, 0.78f, 1, 0, 0.87f, 0.12f, 0.05f, 8;
  std::vector<double> parts(4);
  recrl::Rng rng(1);
  double sum = reward->compute({user, 0, user, 0.0, true, false}, rng, parts);
  CHECK(recrl::test::allocations_during([&] {
          for (int i = 0; i < 1000; ++i)
            sum += reward->compute({user, i % 10, user, 0.0, true, false}, rng, parts);
        }) == 0);
  CHECK(sum > 0);
}
