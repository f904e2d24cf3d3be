#include <algorithm>

#include <catch2/catch.hpp>

#include "recrl/config/experiment.hpp"
#include "recrl/config/yaml_value.hpp"
#include "recrl/core/params.hpp"

using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;
using recrl::ConfigError;
using recrl::config::did_you_mean;
using recrl::config::load_experiment;
using recrl::config::Override;
using recrl::config::parse_override;

namespace {

std::string fixture(const std::string& name) {
  return std::string(RECRL_TEST_SOURCE_DIR) + "/config/fixtures/" + name;
}

std::vector<Override> overrides(std::initializer_list<const char*> arguments) {
  std::vector<Override> result;
  for (const char* argument : arguments) result.push_back(parse_override(argument));
  return result;
}

std::size_t line_count(const std::string& text) {
  return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')) + 1;
}

}  // namespace

TEST_CASE("a valid experiment file loads with its settings and defaults", "[config]") {
  const auto e = load_experiment(fixture("valid.yaml"));
  CHECK(e.name == "seed-baselines");
  CHECK(e.env.plugin == "recommendation");
  CHECK(e.env.label == "recommendation");
  CHECK(e.env.key_path == "env");
  CHECK(e.env.params.find("n_users")->as_int() == 500);
  CHECK(e.reward.plugin == "seed_rules");
  CHECK(e.reward.params.is_null());  // no params: written
  REQUIRE(e.algorithms.size() == 3);
  CHECK(e.algorithms[0].label == "random");
  CHECK_FALSE(e.algorithms[0].timesteps.has_value());
  CHECK(e.algorithms[1].label == "ppo-fast");
  CHECK(e.algorithms[1].key_path == "algorithms[1]");
  CHECK(e.algorithms[1].timesteps == 5000);
  CHECK(e.algorithms[1].params.find("learning_rate")->as_double() == Approx(1e-3));
  CHECK(e.algorithms[2].label == "ppo");
  CHECK(e.algorithms[2].n_envs == 4);
  CHECK(e.algorithms[2].normalize_observations == true);
  CHECK(e.algorithms[2].where.str() == fixture("valid.yaml") + ":10:5");
  CHECK(e.seeds == std::vector<std::uint64_t>{0, 1, 2});
  CHECK(e.train.timesteps == 20000);
  CHECK(e.train.n_envs == 8);
  CHECK_FALSE(e.train.normalize_observations);
  CHECK(e.eval.episodes == 500);
  CHECK(e.eval.seed == 1000003);
  CHECK(e.eval.every == 1000);
  CHECK(e.output == std::filesystem::path("results/seed-baselines"));
  REQUIRE(e.plugin_paths.size() == 2);
  CHECK(e.plugin_paths[0] ==
        std::filesystem::path(RECRL_TEST_SOURCE_DIR) / "config/fixtures/my_plugins");
  CHECK(e.plugin_paths[1] == std::filesystem::path("/opt/recrl/plugins"));
  CHECK(e.document.find("train")->find("n_envs")->as_int() == 8);
}

TEST_CASE("a minimal experiment file gets every default", "[config]") {
  const auto e = load_experiment(fixture("minimal.yaml"));
  CHECK(e.seeds == std::vector<std::uint64_t>{0});
  CHECK(e.train.timesteps == 100000);
  CHECK(e.train.n_envs == 1);
  CHECK(e.eval.episodes == 10000);
  CHECK(e.eval.every == 0);
  CHECK(e.plugin_paths.empty());
}

TEST_CASE("a syntax error is reported at yaml-cpp's position", "[config][errors]") {
  REQUIRE_THROWS_AS(load_experiment(fixture("bad_syntax.yaml")), ConfigError);
  REQUIRE_THROWS_WITH(load_experiment(fixture("bad_syntax.yaml")),
                      Contains("bad_syntax.yaml:5:11: error: invalid YAML: end of sequence flow"));
}

TEST_CASE("an unknown top-level key suggests the closest one", "[config][errors]") {
  REQUIRE_THROWS_WITH(load_experiment(fixture("unknown_top_level_key.yaml")),
                      Contains("unknown_top_level_key.yaml:5:1: error: trian: unknown key; did "
                               "you mean 'train'? (accepted: name, env, reward, algorithms,"));
}

TEST_CASE("a value of the wrong type is reported at the value", "[config][errors]") {
  REQUIRE_THROWS_WITH(load_experiment(fixture("wrong_type.yaml")),
                      Contains("wrong_type.yaml:6:14: error: train.timesteps: expected an "
                               "integer >= 1, got 'lots'"));
}

TEST_CASE("an out-of-range value names the accepted range", "[config][errors]") {
  REQUIRE_THROWS_WITH(load_experiment(fixture("out_of_range.yaml")),
                      Contains("out_of_range.yaml:7:11: error: train.n_envs: expected an integer "
                               "in [1, 4096], got 5000"));
}

TEST_CASE("a non-finite plugin parameter is rejected at its line", "[config][errors]") {
  // Structure first, then the plugin's schema, as the runner does.
  const auto e = load_experiment(fixture("non_finite.yaml"));
  recrl::ParamSchema schema;
  schema.real("learning_rate", 3e-4, "Adam step size").greater_than(0);
  const auto& ppo = e.algorithms[0];
  REQUIRE_THROWS_WITH(
      recrl::Params::validate(schema, ppo.params, ppo.key_path + ".params", ppo.where),
      Contains("non_finite.yaml:7:22: error: algorithms[0].params.learning_rate: expected a "
               "number > 0, got .nan"));
  REQUIRE_THROWS_WITH(load_experiment(fixture("minimal.yaml"), overrides({"eval.seed=.inf"})),
                      Contains("eval.seed: expected an integer >= 0, got .inf"));
}

TEST_CASE("a plugin parameter out of range is reported at its line", "[config][errors]") {
  const auto e = load_experiment(fixture("bad_clip.yaml"));
  recrl::ParamSchema schema;
  schema.real("clip_coef", 0.2, "surrogate clipping coefficient").range(0, 1);
  const auto& ppo = e.algorithms[1];
  REQUIRE_THROWS_WITH(
      recrl::Params::validate(schema, ppo.params, ppo.key_path + ".params", ppo.where),
      Contains("bad_clip.yaml:7:25: error: algorithms[1].params.clip_coef: expected a number in "
               "[0, 1], got 1.5"));
}

TEST_CASE("a missing required key points at its parent map", "[config][errors]") {
  REQUIRE_THROWS_WITH(load_experiment(fixture("missing_required_key.yaml")),
                      Contains("missing_required_key.yaml:2:1: error: env: missing required key "
                               "'plugin' (expected a string)"));
}

TEST_CASE("a duplicate algorithm label is reported at the second one", "[config][errors]") {
  REQUIRE_THROWS_WITH(load_experiment(fixture("duplicate_label.yaml")),
                      Contains("duplicate_label.yaml:7:5: error: algorithms[2].label: label 'ppo' "
                               "is already used by algorithms[0] (line 5:5)"));
}

TEST_CASE("an empty or missing experiment file is an error", "[config][errors]") {
  REQUIRE_THROWS_WITH(load_experiment(fixture("empty.yaml")),
                      Contains("empty.yaml: error: the file is empty"));
  REQUIRE_THROWS_WITH(load_experiment(fixture("does_not_exist.yaml")),
                      Contains("does_not_exist.yaml: error: cannot read the experiment file: "
                               "No such file or directory"));
}

TEST_CASE("a key written twice in the experiment is an error", "[config][errors]") {
  REQUIRE_THROWS_WITH(
      load_experiment(fixture("duplicate_map_key.yaml")),
      Contains("duplicate_map_key.yaml:8:3: error: train.timesteps: duplicate key"));
}

TEST_CASE("all structural problems are reported together one per line", "[config][errors]") {
  try {
    load_experiment(fixture("many_problems.yaml"));
    FAIL("expected a ConfigError");
  } catch (const ConfigError& e) {
    const std::string what = e.what();
    INFO(what);
    CHECK(line_count(what) == 6);
    CHECK_THAT(what, Contains("many_problems.yaml:1:7: error: name: expected a name made of"));
    CHECK_THAT(what, Contains("many_problems.yaml:2:31: error: env.lable: unknown key; did you "
                              "mean 'label'?"));
    CHECK_THAT(what, Contains("many_problems.yaml:3:9: error: reward: expected a map such as "
                              "{plugin: seed_rules}"));
    CHECK_THAT(what, Contains("many_problems.yaml:4:13: error: algorithms: expected a non-empty "
                              "list"));
    CHECK_THAT(what, Contains("many_problems.yaml:5:15: error: seeds[2]: seed 1 is already listed "
                              "as seeds[0]"));
    CHECK_THAT(what, Contains("many_problems.yaml:6:18: error: eval.episodes: expected an integer "
                              ">= 1, got 0"));
    CHECK(e.where().line == 1);
  }
}

TEST_CASE("overrides from --set replace values and lists and create keys", "[config][overrides]") {
  const auto e =
      load_experiment(fixture("valid.yaml"),
                      overrides({"train.timesteps=5000", "algorithms.1.params.learning_rate=1e-2",
                                 "seeds=[3, 4]", "reward.params.scale=2", "name=renamed"}));
  CHECK(e.train.timesteps == 5000);
  CHECK(e.algorithms[1].params.find("learning_rate")->as_double() == Approx(1e-2));
  CHECK(e.seeds == std::vector<std::uint64_t>{3, 4});
  CHECK(e.reward.params.find("scale")->as_int() == 2);
  CHECK(e.name == "renamed");
  CHECK(e.output == std::filesystem::path("results/renamed"));
  CHECK(e.document.find("train")->find("timesteps")->where().str() == "--set train.timesteps");
}

TEST_CASE("an overridden value is judged like a written one and names the override",
          "[config][overrides]") {
  REQUIRE_THROWS_WITH(load_experiment(fixture("valid.yaml"), overrides({"train.timesteps=0"})),
                      "--set train.timesteps: error: train.timesteps: expected an integer >= 1, "
                      "got 0");
  REQUIRE_THROWS_WITH(load_experiment(fixture("valid.yaml"), overrides({"trian.timesteps=1"})),
                      Contains("--set trian.timesteps: error: trian: unknown key; did you mean "
                               "'train'?"));
}

TEST_CASE("a malformed --set is a ConfigError", "[config][overrides]") {
  REQUIRE_THROWS_WITH(parse_override("train.timesteps"),
                      "error: --set 'train.timesteps': expected PATH=VALUE, e.g. --set "
                      "train.timesteps=5000");
  REQUIRE_THROWS_WITH(parse_override("=5"), Contains("the path before '=' is empty"));
  REQUIRE_THROWS_WITH(parse_override("train..timesteps=5"), Contains("has an empty key"));
  const Override parsed = parse_override(" train.n_envs = 4 ");
  CHECK(parsed.path == "train.n_envs");
  CHECK(parsed.value == "4");
  CHECK(parse_override("output=a=b").value == "a=b");
}

TEST_CASE("a --set that cannot be applied names the override", "[config][overrides]") {
  const auto load_with = [](const char* argument) {
    return load_experiment(fixture("valid.yaml"), overrides({argument}));
  };
  REQUIRE_THROWS_WITH(load_with("algorithms.3.label=x"),
                      "--set algorithms.3.label: error: index 3 is past the end of "
                      "'algorithms', which has 3 entries");
  REQUIRE_THROWS_WITH(load_with("algorithms.first.label=x"),
                      Contains("'algorithms' has no entry labelled 'first'; name an entry by its "
                               "index (0 to 2) or its label (random, ppo-fast, ppo)"));
  REQUIRE_THROWS_WITH(load_with("name.part=x"),
                      Contains("cannot set a key inside 'name', which is a string"));
  REQUIRE_THROWS_WITH(load_with("seeds=[0,"), Contains("--set seeds: error: cannot read '[0,' as "
                                                       "a YAML value"));
}

TEST_CASE("did_you_mean offers the closest names within two edits", "[unit][config]") {
  const std::vector<std::string> names{"timesteps", "n_envs", "normalize_observations"};
  CHECK(did_you_mean("timestep", names) == "did you mean 'timesteps'?");
  CHECK(did_you_mean("n_env", names) == "did you mean 'n_envs'?");
  CHECK(did_you_mean("learning_rate", names).empty());
  CHECK(did_you_mean("lr", {"l", "r", "gamma"}) == "did you mean 'l' or 'r'?");
  CHECK(did_you_mean("x", {"y"}).empty());  // replacing every letter is no resemblance
}

TEST_CASE("the loaded document writes out and reads back unchanged", "[config]") {
  const auto e = load_experiment(fixture("valid.yaml"), overrides({"seeds=[5]"}));
  const auto back = recrl::config::parse_yaml(recrl::config::to_yaml(e.document), "resolved.yaml");
  CHECK(back.same_as(e.document));
}

TEST_CASE("an override names a list entry by its label", "[config][overrides]") {
  const auto experiment = load_experiment(
      fixture("valid.yaml"), overrides({"algorithms.ppo-fast.params.learning_rate=0.5"}));
  CHECK(experiment.algorithms[1].params.find("learning_rate")->as_double() == 0.5);
}
