#include <cmath>
#include <limits>

#include <catch2/catch.hpp>

#include "recrl/config/yaml_value.hpp"

using Catch::Matchers::Contains;
using recrl::ConfigError;
using recrl::Value;
using recrl::config::parse_yaml;
using recrl::config::to_yaml;

namespace {

const std::string kFixtures = std::string(RECRL_TEST_SOURCE_DIR) + "/config/fixtures/";

Value scalar(const std::string& text) {
  return parse_yaml("x: " + text, "t.yaml").entries()[0].second;
}

}  // namespace

TEST_CASE("plain scalars become null booleans integers doubles or strings", "[unit][config]") {
  CHECK(scalar("~").is_null());
  CHECK(scalar("null").is_null());
  CHECK(scalar("").is_null());
  CHECK(scalar("true").as_bool());
  CHECK_FALSE(scalar("False").as_bool());
  CHECK(scalar("yes").as_string() == "yes");  // YAML 1.2: not a boolean
  CHECK(scalar("42").as_int() == 42);
  CHECK(scalar("-7").as_int() == -7);
  CHECK(scalar("0x1F").as_int() == 31);
  CHECK(scalar("0o17").as_int() == 15);
  CHECK(scalar("1.5").kind() == Value::Kind::Double);
  CHECK(scalar("1.0e-3").as_double() == Approx(1e-3));
  CHECK(scalar("1e5").kind() == Value::Kind::Double);
  CHECK(scalar(".5").as_double() == Approx(0.5));
  CHECK(std::isinf(scalar(".inf").as_double()));
  CHECK(scalar("-.inf").as_double() < 0);
  CHECK(std::isnan(scalar(".nan").as_double()));
  CHECK(scalar("99999999999999999999").kind() == Value::Kind::Double);  // beyond int64
  CHECK(scalar("1_000").as_string() == "1_000");
  CHECK(scalar("1.2.3").as_string() == "1.2.3");
  CHECK(scalar("ppo-fast").as_string() == "ppo-fast");
}

TEST_CASE("quoted scalars stay strings", "[unit][config]") {
  CHECK(scalar("\"1.5\"").as_string() == "1.5");
  CHECK(scalar("'true'").as_string() == "true");
  CHECK(scalar("\"~\"").as_string() == "~");
  CHECK(scalar("!!str 12").as_string() == "12");
}

TEST_CASE("every node carries its 1-based file line and column", "[unit][config]") {
  const Value doc =
      parse_yaml("name: a\ntrain:\n  timesteps: 5\nseeds: [0, 1]\nempty:\n", "e.yaml");
  CHECK(doc.where().str() == "e.yaml:1:1");
  CHECK(doc.find("name")->where().str() == "e.yaml:1:7");
  CHECK(doc.find("name")->key_where().str() == "e.yaml:1:1");
  CHECK(doc.find("train")->find("timesteps")->where().str() == "e.yaml:3:14");
  CHECK(doc.find("train")->find("timesteps")->key_where().str() == "e.yaml:3:3");
  CHECK(doc.find("seeds")->items()[1].where().str() == "e.yaml:4:12");
  // An empty value is placed at its key, not wherever the next token happens to be.
  CHECK(doc.find("empty")->is_null());
  CHECK(doc.find("empty")->where().str() == "e.yaml:5:1");
}

TEST_CASE("a syntax error names the file and yaml-cpp's position", "[unit][config]") {
  REQUIRE_THROWS_AS(parse_yaml("a: [1, 2\nb: 3\n", "s.yaml"), ConfigError);
  REQUIRE_THROWS_WITH(parse_yaml("a: [1, 2\nb: 3\n", "s.yaml"),
                      Contains("s.yaml:2:2: error: invalid YAML: end of sequence flow not found"));
  REQUIRE_THROWS_WITH(recrl::config::load_yaml_file(kFixtures + "bad_syntax.yaml"),
                      Contains("bad_syntax.yaml:5:11: error: invalid YAML"));
}

TEST_CASE("an empty or missing file is an error", "[unit][config]") {
  REQUIRE_THROWS_WITH(recrl::config::load_yaml_file(kFixtures + "empty.yaml"),
                      Contains("empty.yaml: error: the file is empty"));
  REQUIRE_THROWS_WITH(recrl::config::load_yaml_file(kFixtures + "comments_only.yaml"),
                      Contains("comments_only.yaml: error: the file is empty"));
  REQUIRE_THROWS_WITH(recrl::config::load_yaml_file(kFixtures + "no_such_file.yaml"),
                      Contains("no_such_file.yaml: error: cannot read the YAML file: "
                               "No such file or directory"));
  REQUIRE_THROWS_WITH(recrl::config::load_yaml_file(kFixtures), Contains("it is a folder"));
}

TEST_CASE("a key written twice in one map is an error at the second one", "[unit][config]") {
  REQUIRE_THROWS_WITH(recrl::config::load_yaml_file(kFixtures + "duplicate_map_key.yaml"),
                      Contains("duplicate_map_key.yaml:8:3: error: train.timesteps: duplicate "
                               "key; it is already set at line 6:3"));
}

TEST_CASE("a second document in one file is an error", "[unit][config]") {
  REQUIRE_THROWS_WITH(parse_yaml("a: 1\n---\nb: 2\n", "m.yaml"),
                      Contains("m.yaml:2:1: error: a second YAML document"));
}

// yaml-cpp's LoadAll loops for ever on these (found by tests/fuzz/fuzz_experiment).
TEST_CASE("a stray ',' where a document starts is an error, not a hang", "[unit][config]") {
  REQUIRE_THROWS_WITH(parse_yaml(",", "m.yaml"),
                      Contains("m.yaml:1:1: error: invalid YAML: ',' cannot start a value here"));
  REQUIRE_THROWS_WITH(parse_yaml("--- ,\n", "m.yaml"),
                      Contains("m.yaml:1:5: error: invalid YAML: ',' cannot start a value here"));
  REQUIRE_THROWS_WITH(parse_yaml("{a: 1}\n,", "m.yaml"),
                      Contains("m.yaml:2:1: error: invalid YAML: ',' cannot start a value here"));
}

TEST_CASE("to_yaml writes block style that reads back to the same value", "[unit][config]") {
  const Value original = Value::map({
      {"name", Value::string("seed-baselines")},
      {"looks_like_number", Value::string("1.5")},
      {"looks_like_bool", Value::string("true")},
      {"looks_like_null", Value::string("~")},
      {"empty_text", Value::string("")},
      {"spaced", Value::string("a: b # c")},
      {"tenth", Value::real(0.1)},
      {"third", Value::real(1.0 / 3.0)},
      {"tiny", Value::real(1e-300)},
      {"whole", Value::real(3.0)},
      {"negative_zero", Value::real(-0.0)},
      {"infinite", Value::real(-std::numeric_limits<double>::infinity())},
      {"not_a_number", Value::real(std::nan(""))},
      {"count", Value::integer(std::numeric_limits<std::int64_t>::min())},
      {"flag", Value::boolean(false)},
      {"nothing", Value::null()},
      {"empty_list", Value::list()},
      {"empty_map", Value::map()},
      {"nested", Value::list({Value::map({{"plugin", Value::string("ppo")}}),
                              Value::list({Value::integer(1), Value::real(2.5)})})},
  });
  const std::string text = to_yaml(original);
  const Value back = parse_yaml(text, "round.yaml");
  INFO(text);
  CHECK(back.same_as(original));
  CHECK(back.find("third")->as_double() == 1.0 / 3.0);  // exact, not Approx: bit for bit
  CHECK(back.find("tiny")->as_double() == 1e-300);
  CHECK(text.find("name: seed-baselines\n") == 0);  // block style, plain where safe
  CHECK(text.find("whole: 3.0\n") != std::string::npos);
}
