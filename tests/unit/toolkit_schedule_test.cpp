// Schedules: constants, rl-zoo's lin_<value>, SB3's progress_remaining, and config errors that
// point at the value.
#include <string>

#include <catch2/catch.hpp>

#include "recrl/core/errors.hpp"
#include "recrl/core/params.hpp"
#include "recrl/core/value.hpp"
#include "recrl/toolkit/schedule.hpp"

namespace {

using recrl::SourceLocation;
using recrl::Value;
using recrl::toolkit::Schedule;

const SourceLocation kWhere{"exp.yaml", 7, 16};

}  // namespace

TEST_CASE("a number is a constant schedule", "[unit][toolkit]") {
  const Schedule s =
      Schedule::parse(Value::real(3e-4, kWhere), "algorithms[0].params.learning_rate");
  CHECK(s.is_constant());
  CHECK(s.value(1.0) == 3e-4);
  CHECK(s.value(0.0) == 3e-4);
  CHECK(s.describe() == "0.0003");
  CHECK(Schedule::parse(Value::integer(2, kWhere), "x").value(0.3) == 2.0);
}

TEST_CASE("lin_0.001 decays linearly from the value to zero", "[unit][toolkit]") {
  const Schedule s = Schedule::parse(Value::string("lin_0.001", kWhere), "learning_rate");
  CHECK_FALSE(s.is_constant());
  CHECK(s.initial() == 0.001);
  CHECK(s.value(1.0) == 0.001);
  CHECK(s.value(0.5) == Approx(0.0005).epsilon(1e-15));
  CHECK(s.value(0.0) == 0.0);
  CHECK(s.describe() == "lin_0.001");
  // rl-zoo's linear_schedule returns progress_remaining * initial_value.
  CHECK(s.value(0.37) == 0.37 * 0.001);
}

TEST_CASE("a numeric string is a constant schedule", "[unit][toolkit]") {
  CHECK(Schedule::parse(Value::string("1e-3", kWhere), "learning_rate").value(0.2) == 1e-3);
}

TEST_CASE("progress remaining goes from one to zero over training", "[unit][toolkit]") {
  CHECK(recrl::toolkit::progress_remaining(0, 1000) == 1.0);
  CHECK(recrl::toolkit::progress_remaining(250, 1000) == 0.75);
  CHECK(recrl::toolkit::progress_remaining(1000, 1000) == 0.0);
}

TEST_CASE("a bad schedule string is a config error at its location", "[unit][toolkit]") {
  for (const char* text : {"lin_abc", "exp_0.1", "lin_", "fast", "lin_-0.1", "lin_nan"}) {
    INFO(text);
    CHECK_THROWS_WITH(
        Schedule::parse(Value::string(text, kWhere), "algorithms[0].params.learning_rate"),
        Catch::Contains("exp.yaml:7:16") && Catch::Contains("algorithms[0].params.learning_rate") &&
            Catch::Contains("lin_"));
  }
  CHECK_THROWS_AS(Schedule::parse(Value::real(0.0, kWhere), "clip_range"), recrl::ConfigError);
  CHECK_THROWS_AS(Schedule::parse(Value::list({}, kWhere), "clip_range"), recrl::ConfigError);
  CHECK_THROWS_AS(Schedule::parse(Value::boolean(true, kWhere), "clip_range"), recrl::ConfigError);
  CHECK(Schedule::parse(Value::real(-1.0, kWhere), "offset", false).value(1.0) == -1.0);
}

TEST_CASE("a schedule parameter reports errors through params", "[unit][toolkit]") {
  recrl::ParamSchema schema;
  schema.node("learning_rate", Value::real(3e-4), "learning rate or lin_<value>");
  const Value given =
      Value::map({{"learning_rate", Value::string("lin_x", kWhere)}}, {"exp.yaml", 6, 5});
  const recrl::Params params =
      recrl::Params::validate(schema, given, "algorithms[0].params", {"exp.yaml", 6, 5});
  CHECK_THROWS_WITH(
      Schedule::parse(params, "learning_rate"),
      Catch::Contains("exp.yaml:7:16") && Catch::Contains("algorithms[0].params.learning_rate"));

  const recrl::Params defaults =
      recrl::Params::validate(schema, Value::null(), "algorithms[0].params", {"exp.yaml", 6, 5});
  CHECK(Schedule::parse(defaults, "learning_rate").value(0.5) == 3e-4);
}

TEST_CASE("linear fn follows sb3 get_linear_fn for the exploration rate", "[unit][toolkit]") {
  using recrl::toolkit::linear_fn;
  // start 1.0, end 0.05, end_fraction 0.1: 1.0 - 0.95 * progress / 0.1 until 10 % of training.
  CHECK(linear_fn(1.0, 0.05, 0.1, 1.0) == 1.0);
  CHECK(linear_fn(1.0, 0.05, 0.1, 0.95) == Approx(1.0 - 0.95 * 0.05 / 0.1).epsilon(1e-12));
  CHECK(linear_fn(1.0, 0.05, 0.1, 0.9) == Approx(0.05).epsilon(1e-12));
  CHECK(linear_fn(1.0, 0.05, 0.1, 0.5) == 0.05);
  CHECK(linear_fn(1.0, 0.05, 0.1, 0.0) == 0.05);
}
