#include <catch2/catch.hpp>

#include "recrl/config/yaml_value.hpp"
#include "recrl/core/params.hpp"

using Catch::Matchers::Contains;
using recrl::ConfigError;
using recrl::InternalError;
using recrl::Params;
using recrl::ParamSchema;
using recrl::ParamType;
using recrl::SourceLocation;
using recrl::Value;

namespace {

// The schema of a PPO-like plugin, one parameter of each kind.
ParamSchema sample_schema() {
  ParamSchema schema;
  schema.real("learning_rate", 3e-4, "Adam step size").greater_than(0);
  schema.real("clip_coef", 0.2, "surrogate clipping coefficient").range(0, 1);
  schema.integer("n_epochs", 10, "passes over each rollout").at_least(1);
  schema.boolean("normalize_advantages", true, "per-minibatch advantage normalisation");
  schema.text("note", "", "free text");
  schema.choice("activation", "tanh", {"tanh", "relu"}, "hidden-layer activation");
  schema.integer_list("hidden_sizes", {64, 64}, "hidden layer widths").at_least(1);
  schema.real_list("weights", {}, "mixing weights").range(0, 1);
  schema.text_list("features", {"age"}, "observation features");
  schema.node("catalog", Value::list(), "action catalog, checked by the plugin");
  return schema;
}

// The `params:` map of a small in-memory experiment, with real locations in "exp.yaml".
Value params_from(const std::string& yaml) {
  return recrl::config::parse_yaml("params:\n" + yaml, "exp.yaml").entries()[0].second;
}

Params validate(const std::string& yaml) {
  const Value given = params_from(yaml);
  return Params::validate(sample_schema(), given, "algorithms[1].params", given.key_where());
}

}  // namespace

TEST_CASE("a parameter spec describes what it accepts", "[unit][params]") {
  const ParamSchema schema = sample_schema();
  CHECK(schema.find("learning_rate")->accepted() == "a number > 0");
  CHECK(schema.find("clip_coef")->accepted() == "a number in [0, 1]");
  CHECK(schema.find("n_epochs")->accepted() == "an integer >= 1");
  CHECK(schema.find("normalize_advantages")->accepted() == "true or false");
  CHECK(schema.find("activation")->accepted() == "one of tanh, relu");
  CHECK(schema.find("hidden_sizes")->accepted() == "a list of integers >= 1");
  CHECK(schema.find("weights")->accepted() == "a list of numbers in [0, 1]");
  CHECK(schema.find("features")->accepted() == "a list of strings");
  CHECK(schema.find("missing") == nullptr);
  CHECK(ParamSchema{}.real("gamma", 0.99, "").greater_than(0).at_most(1).accepted() ==
        "a number in (0, 1]");
  CHECK(ParamSchema{}.integer("depth", 2, "").at_most(8).accepted() == "an integer <= 8");
  CHECK(std::string(recrl::to_string(ParamType::IntList)) == "int list");
  CHECK(std::string(recrl::to_string(ParamType::Choice)) == "choice");
}

TEST_CASE("declaring a parameter twice is a plugin bug", "[unit][params]") {
  ParamSchema schema;
  schema.real("lr", 0.1, "");
  CHECK_THROWS_AS(schema.integer("lr", 1, ""), InternalError);
  CHECK_THROWS_AS(schema.choice("act", "sigmoid", {"tanh"}, ""), InternalError);
}

TEST_CASE("validation fills in defaults and keeps given values with their locations",
          "[unit][params]") {
  const Params p = validate("  clip_coef: 0.1\n  n_epochs: 4\n  activation: relu\n");
  CHECK(p.get_double("clip_coef") == Approx(0.1));
  CHECK(p.get_double("learning_rate") == Approx(3e-4));
  CHECK(p.get_int("n_epochs") == 4);
  CHECK(p.get_bool("normalize_advantages"));
  CHECK(p.get_string("activation") == "relu");
  CHECK(p.get_string("note").empty());
  CHECK(p.get_int_list("hidden_sizes") == std::vector<std::int64_t>{64, 64});
  CHECK(p.get_double_list("weights").empty());
  CHECK(p.get_string_list("features") == std::vector<std::string>{"age"});
  CHECK(p.get("clip_coef").where().str() == "exp.yaml:2:14");
  // Every declared parameter is present, in declaration order.
  REQUIRE(p.values().entries().size() == 10);
  CHECK(p.values().entries()[0].first == "learning_rate");
}

TEST_CASE("an absent params map means all defaults", "[unit][params]") {
  const Params p = Params::validate(sample_schema(), Value::null(), "env.params", {});
  CHECK(p.get_int("n_epochs") == 10);
}

TEST_CASE("an unknown parameter is an error with a hint and the accepted names", "[unit][params]") {
  REQUIRE_THROWS_WITH(validate("  clip_coeff: 0.1\n"),
                      Contains("exp.yaml:2:3: error: algorithms[1].params.clip_coeff: unknown "
                               "parameter; did you mean 'clip_coef'?") &&
                          Contains("(accepted: learning_rate, clip_coef, n_epochs,"));
  REQUIRE_THROWS_WITH(validate("  zzz: 1\n"), !Contains("did you mean"));
}

TEST_CASE("an out-of-range number names file line column and key path", "[unit][params]") {
  REQUIRE_THROWS_WITH(validate("  clip_coef: 1.5\n"),
                      "exp.yaml:2:14: error: algorithms[1].params.clip_coef: expected a number "
                      "in [0, 1], got 1.5");
  REQUIRE_THROWS_WITH(validate("  learning_rate: 0\n"), Contains("expected a number > 0, got 0"));
}

TEST_CASE("non-finite numbers are rejected", "[unit][params]") {
  REQUIRE_THROWS_WITH(validate("  learning_rate: .nan\n"),
                      Contains("exp.yaml:2:18: error: algorithms[1].params.learning_rate") &&
                          Contains("got .nan (not a finite number)"));
  REQUIRE_THROWS_WITH(validate("  weights: [0.5, .inf]\n"),
                      Contains("exp.yaml:2:18: error: algorithms[1].params.weights[1]"));
}

TEST_CASE("integers and doubles follow their declared type", "[unit][params]") {
  REQUIRE_THROWS_WITH(validate("  n_epochs: 1.5\n"),
                      Contains("n_epochs: expected an integer >= 1, got 1.5"));
  // A double parameter takes an integer, stored as a double.
  const Params p = validate("  clip_coef: 1\n");
  CHECK(p.get("clip_coef").kind() == Value::Kind::Double);
  CHECK(p.get_double("clip_coef") == Approx(1.0));
  // A whole number written as a double is still an integer (1e5 steps).
  CHECK(validate("  n_epochs: 2.0\n").get_int("n_epochs") == 2);
}

TEST_CASE("wrong types are reported with what was given", "[unit][params]") {
  REQUIRE_THROWS_WITH(validate("  normalize_advantages: yes\n"),
                      Contains("normalize_advantages: expected true or false, got 'yes'"));
  REQUIRE_THROWS_WITH(validate("  note: 12\n"),
                      Contains("note: expected a string, got 12 (quote it to pass it as text)"));
  REQUIRE_THROWS_WITH(validate("  hidden_sizes: 64\n"),
                      Contains("hidden_sizes: expected a list of integers >= 1, got 64"));
  REQUIRE_THROWS_WITH(validate("  clip_coef: [1]\n"), Contains("got a list"));
  const Value not_a_map = Value::integer(3, {"exp.yaml", 5, 13});
  REQUIRE_THROWS_WITH(Params::validate(sample_schema(), not_a_map, "env.params", {}),
                      "exp.yaml:5:13: error: env.params: expected a map of parameters, got 3");
}

TEST_CASE("a choice must be one of the choices", "[unit][params]") {
  REQUIRE_THROWS_WITH(validate("  activation: rleu\n"),
                      "exp.yaml:2:15: error: algorithms[1].params.activation: expected one of "
                      "tanh, relu, got 'rleu'; did you mean 'relu'?");
}

TEST_CASE("list elements are checked one by one at their own locations", "[unit][params]") {
  REQUIRE_THROWS_WITH(validate("  hidden_sizes:\n    - 64\n    - 0\n"),
                      "exp.yaml:4:7: error: algorithms[1].params.hidden_sizes[1]: expected an "
                      "integer >= 1, got 0");
  REQUIRE_THROWS_WITH(validate("  features: [age, 3]\n"),
                      Contains("exp.yaml:2:19: error: algorithms[1].params.features[1]"));
  CHECK(validate("  weights: [0, 1]\n").get_double_list("weights") ==
        std::vector<double>{0.0, 1.0});
}

TEST_CASE("node parameters pass through unchecked", "[unit][params]") {
  const Params p = validate("  catalog:\n    - [email, 5, {x: y}]\n");
  const Value& catalog = p.get("catalog");
  REQUIRE(catalog.is_list());
  CHECK(catalog.items()[0].items()[0].as_string() == "email");
  CHECK(catalog.items()[0].items()[0].where().str() == "exp.yaml:3:8");
}

TEST_CASE("a missing required parameter points at the map", "[unit][params]") {
  ParamSchema schema;
  schema.text("path", "", "users CSV").required();
  const SourceLocation where{"exp.yaml", 7, 3};
  REQUIRE_THROWS_WITH(Params::validate(schema, Value::map(), "env.params", where),
                      "exp.yaml:7:3: error: env.params: missing required parameter 'path' "
                      "(expected a string)");
}

TEST_CASE("all problems in one map are reported together one per line", "[unit][params]") {
  try {
    validate("  clip_coef: 2\n  n_epochs: 0\n");
    FAIL("expected a ConfigError");
  } catch (const ConfigError& e) {
    CHECK(std::string(e.what()) ==
          "exp.yaml:2:14: error: algorithms[1].params.clip_coef: expected a number in [0, 1], "
          "got 2\n"
          "exp.yaml:3:13: error: algorithms[1].params.n_epochs: expected an integer >= 1, got 0");
    CHECK(e.where().str() == "exp.yaml:2:14");
  }
}

TEST_CASE("getters treat an undeclared name or a wrong type as a plugin bug", "[unit][params]") {
  const Params p = validate("");
  CHECK_THROWS_AS(p.get_double("undeclared"), InternalError);
  CHECK_THROWS_AS(p.get_int("clip_coef"), InternalError);
  CHECK_THROWS_AS(p.get_string("n_epochs"), InternalError);
  CHECK_THROWS_AS(p.get_bool("activation"), InternalError);
  CHECK_THROWS_AS(p.get_double_list("features"), InternalError);
  CHECK_THROWS_WITH(p.get_double("undeclared"), Contains("not declared"));
}

TEST_CASE("a plugin's own error points at the parameter or at the map", "[unit][params]") {
  const Value given = params_from("  n_epochs: 3\n");
  const Params p = Params::validate(sample_schema(), given, "algorithms[1].params",
                                    SourceLocation{"exp.yaml", 1, 1});
  CHECK(p.key_path("n_epochs") == "algorithms[1].params.n_epochs");
  CHECK(std::string(p.error("n_epochs", "must divide batch_size").what()) ==
        "exp.yaml:2:13: error: algorithms[1].params.n_epochs: must divide batch_size");
  // clip_coef was defaulted: the error points at the params map.
  CHECK(p.error("clip_coef", "too small").where().str() == "exp.yaml:1:1");
  CHECK_THROWS_AS(p.error("undeclared", "x"), InternalError);
}
