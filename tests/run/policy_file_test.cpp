#include <fstream>

#include <catch2/catch.hpp>

#include "cli.hpp"
#include "recrl/core/errors.hpp"
#include "recrl/run/policy_file.hpp"

TEST_CASE("a policy file round-trips its record exactly", "[unit][run]") {
  const auto dir = recrl::test::scratch_dir("policy_roundtrip");
  recrl::PolicyRecord record;
  record.experiment = "demo";
  record.label = "fast";
  record.seed = 3;
  record.env_steps = 12345;
  record.algorithm = {"ppo", "1.0.0",
                      recrl::Value::map({{"learning_rate", recrl::Value::real(3e-4)}})};
  record.env = {"recommendation", "1.0.0",
                recrl::Value::map({{"horizon", recrl::Value::integer(1)}})};
  record.reward = {"seed_rules", "1.0.0", recrl::Value::map()};
  record.normalize_observations = true;
  record.normalizer = recrl::ObservationNormalizer(2);
  record.normalizer.set_state(Eigen::Vector2d(0.1, 1.0 / 3.0), Eigen::Vector2d(2.5, 1e-7), 42.5);
  record.algorithm_state = std::string("\0\x01binary\xff", 9);
  recrl::write_policy_file(dir / "p.recrl", record);

  const auto back = recrl::read_policy_file(dir / "p.recrl");
  CHECK(back.label == "fast");
  CHECK(back.seed == 3);
  CHECK(back.env_steps == 12345);
  CHECK(back.algorithm.params.same_as(record.algorithm.params));
  CHECK(back.env.plugin == "recommendation");
  CHECK(back.normalizer.mean() == record.normalizer.mean());
  CHECK(back.normalizer.var() == record.normalizer.var());
  CHECK(back.normalizer.count() == 42.5);
  CHECK(back.algorithm_state == record.algorithm_state);
  CHECK_FALSE(std::filesystem::exists(dir / "p.recrl.partial"));
}

TEST_CASE("a truncated or foreign policy file is a clear data error", "[unit][run]") {
  const auto dir = recrl::test::scratch_dir("policy_bad");
  recrl::PolicyRecord record;
  record.algorithm_state = "0123456789";
  recrl::write_policy_file(dir / "p.recrl", record);
  const std::string whole = recrl::test::read_text(dir / "p.recrl");
  std::ofstream(dir / "cut.recrl") << whole.substr(0, whole.size() - 3);
  REQUIRE_THROWS_AS(recrl::read_policy_file(dir / "cut.recrl"), recrl::DataError);
  REQUIRE_THROWS_WITH(recrl::read_policy_file(dir / "cut.recrl"),
                      Catch::Contains("cut.recrl") && Catch::Contains("truncated"));
  std::ofstream(dir / "text.recrl") << "hello\n";
  REQUIRE_THROWS_WITH(
      recrl::read_policy_file(dir / "text.recrl"),
      Catch::Contains("text.recrl:1:1") && Catch::Contains("not a recrl policy file"));
  REQUIRE_THROWS_WITH(recrl::read_policy_file(dir / "missing.recrl"),
                      Catch::Contains("missing.recrl") && Catch::Contains("cannot read the policy file: No such file or directory"));
}
