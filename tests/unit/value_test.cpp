#include <cmath>

#include <catch2/catch.hpp>

#include "recrl/core/value.hpp"

using Catch::Matchers::Contains;
using recrl::ConfigError;
using recrl::InternalError;
using recrl::SourceLocation;
using recrl::Value;

TEST_CASE("a value reports its kind and the text it was written as", "[unit][config]") {
  CHECK(Value::null().is_null());
  CHECK(Value::boolean(true).text() == "true");
  CHECK(Value::integer(-42).text() == "-42");
  CHECK(Value::real(1.5).text() == "1.5");
  CHECK(Value::real(3).text() == "3.0");  // still recognisable as a double
  CHECK(Value::real(1e-3).text() == "0.001");
  CHECK(Value::string("abc").text() == "abc");
  CHECK(Value::list().text() == "[...]");
  CHECK(Value::map().kind_name() == "a map");
  CHECK(Value::integer(1).is_number());
  CHECK(Value::real(1).is_number());
  CHECK_FALSE(Value::string("1").is_number());
  CHECK(Value::list().is_list());
  CHECK_FALSE(Value::map().is_scalar());
}

TEST_CASE("typed access converts what fits and names the location otherwise", "[unit][config]") {
  const SourceLocation where{"exp.yaml", 3, 12};
  CHECK(Value::integer(7).as_double() == Approx(7.0));
  CHECK(Value::real(1e5).as_int() == 100000);  // 1e5 is a usual way to write a step count
  CHECK(Value::boolean(false, where).as_bool() == false);
  CHECK(Value::string("x").as_string() == "x");

  REQUIRE_THROWS_AS(Value::real(1.5, where).as_int("train.timesteps"), ConfigError);
  REQUIRE_THROWS_WITH(Value::real(1.5, where).as_int("train.timesteps"),
                      "exp.yaml:3:12: error: train.timesteps: expected an integer, got 1.5");
  REQUIRE_THROWS_WITH(Value::string("lots", where).as_double("lr"),
                      "exp.yaml:3:12: error: lr: expected a number, got 'lots'");
  REQUIRE_THROWS_WITH(Value::list({}, where).as_string("name"),
                      "exp.yaml:3:12: error: name: expected a string, got a list");
  REQUIRE_THROWS_WITH(Value::integer(1, where).as_bool("flag"), Contains("expected true or false"));
  CHECK_THROWS_AS(Value::real(1e300).as_int(), ConfigError);
}

TEST_CASE("maps keep their order and support find set and erase", "[unit][config]") {
  Value map = Value::map({{"b", Value::integer(1)}, {"a", Value::integer(2)}});
  REQUIRE(map.find("a") != nullptr);
  CHECK(map.find("a")->as_int() == 2);
  CHECK(map.find("missing") == nullptr);
  map.set("b", Value::string("replaced"));
  map.set("c", Value::boolean(true));
  REQUIRE(map.entries().size() == 3);
  CHECK(map.entries()[0].first == "b");
  CHECK(map.entries()[0].second.as_string() == "replaced");
  CHECK(map.entries()[2].first == "c");
  CHECK(map.erase("a"));
  CHECK_FALSE(map.erase("a"));
  CHECK(map.entries().size() == 2);
  CHECK(Value::integer(1).find("a") == nullptr);  // a scalar has no keys
}

TEST_CASE("asking a value for the wrong container is an internal error", "[unit][config]") {
  Value scalar = Value::integer(1);
  CHECK_THROWS_AS(scalar.items(), InternalError);
  CHECK_THROWS_AS(scalar.entries(), InternalError);
  CHECK_THROWS_AS(scalar.set("a", Value::null()), InternalError);
}

TEST_CASE("same_as compares contents and ignores locations", "[unit][config]") {
  const Value a = Value::map({{"x", Value::list({Value::real(0.5, {"a.yaml", 1, 1})})}});
  const Value b = Value::map({{"x", Value::list({Value::real(0.5, {"b.yaml", 9, 9})})}});
  CHECK(a.same_as(b));
  CHECK_FALSE(a.same_as(Value::map({{"x", Value::list({Value::real(0.25)})}})));
  CHECK_FALSE(a.same_as(Value::map({{"y", Value::list({Value::real(0.5)})}})));
  CHECK_FALSE(Value::integer(3).same_as(Value::real(3)));  // kinds differ
  CHECK(Value::real(std::nan("")).same_as(Value::real(std::nan(""))));
}

TEST_CASE("a value remembers where its key was written", "[unit][config]") {
  Value v = Value::integer(1, {"exp.yaml", 4, 14});
  CHECK(v.key_where().str() == "exp.yaml:4:14");  // falls back to the value's own location
  v.set_key_where({"exp.yaml", 4, 3});
  CHECK(v.key_where().str() == "exp.yaml:4:3");
  CHECK(v.where().str() == "exp.yaml:4:14");
}
