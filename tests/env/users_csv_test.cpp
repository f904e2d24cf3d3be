// The recommendation environment's CSV user source and every error it reports.
#include <cmath>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "../support/plugin_fixture.hpp"

using Catch::Matchers::Contains;
using Catch::Matchers::EndsWith;

namespace {

// Relative paths in these parameters resolve against the fixtures folder, as a path in an
// experiment file resolves against the file's folder.
const std::string kExperiment = RECRL_TEST_SOURCE_DIR "/env/fixtures/experiment.yaml";

std::shared_ptr<recrl::Environment> csv_env(const std::string& file) {
  return recrl::test::make_environment("recommendation", "users: {source: csv, path: " + file + "}",
                                       kExperiment);
}

}  // namespace

TEST_CASE("recommendation samples CSV users uniformly with replacement",
          "[env][recommendation][csv]") {
  auto env = csv_env("users_good.csv");
  recrl::Rng rng(4);
  recrl::Vector obs(10);
  std::multiset<float> recencies;
  for (int i = 0; i < 3000; ++i) {
    env->reset(rng, obs);
    recencies.insert(obs[0]);
  }
  // Three rows, recency 15, 400 and 0: each about a third of the time.
  CHECK(recencies.count(15.0f) == Approx(1000).margin(100));
  CHECK(recencies.count(400.0f) == Approx(1000).margin(100));
  CHECK(recencies.count(0.0f) == Approx(1000).margin(100));
  CHECK(recencies.size() == 3000);
}

TEST_CASE("recommendation reads CSV columns by name in any order", "[env][recommendation][csv]") {
  auto env = csv_env("users_good.csv");
  recrl::Rng rng(1);
  recrl::Vector obs(10);
  recrl::Vector sample(10);
  sample << 15, 3, 200, 0.78f, 1, 0, 0.87f, 0.12f, 0.05f, 8;
  bool seen = false;
  for (int i = 0; i < 50 && !seen; ++i) {
    env->reset(rng, obs);
    seen = obs == sample;
  }
  CHECK(seen);
  // Counts and days from a CSV are only bounded below.
  CHECK(std::isinf(env->spec().observation.high[0]));
  CHECK(env->spec().observation.high[3] == 1.0);
}

TEST_CASE("recommendation CSV users are the same for the same seed", "[env][recommendation][csv]") {
  auto env = csv_env("users_good.csv");
  const auto draw = [&](std::uint64_t seed) {
    recrl::Rng rng(seed);
    recrl::Vector obs(10);
    std::vector<float> firsts;
    for (int i = 0; i < 40; ++i) {
      env->reset(rng, obs);
      firsts.push_back(obs[2]);
    }
    return firsts;
  };
  CHECK(draw(8) == draw(8));
  CHECK(draw(8) != draw(9));
}

TEST_CASE("recommendation CSV errors name the file row and column", "[env][recommendation][csv]") {
  CHECK_THROWS_WITH(csv_env("users_negative_value.csv"),
                    EndsWith("users_negative_value.csv:5:3: error: column 'monetary_value': "
                             "expected a number >= 0, got '-3'"));
  CHECK_THROWS_AS(csv_env("users_negative_value.csv"), recrl::DataError);
  CHECK_THROWS_WITH(csv_env("users_missing_column.csv"),
                    Contains("users_missing_column.csv:1:1: error: missing column "
                             "'push_response'"));
  CHECK_THROWS_WITH(csv_env("users_non_numeric.csv"),
                    Contains("users_non_numeric.csv:3:3: error: column 'monetary_value': "
                             "expected a number >= 0, got 'lots'"));
  CHECK_THROWS_WITH(csv_env("users_non_finite.csv"),
                    Contains("users_non_finite.csv:2:10: error: column 'last_purchase_days'"));
  CHECK_THROWS_WITH(csv_env("users_too_large.csv"),
                    Contains("users_too_large.csv:2:3: error: column 'monetary_value': expected a "
                             "number of magnitude at most 3.4e38 (features are 32-bit floats), "
                             "got '3.5e38'"));
  CHECK_THROWS_WITH(csv_env("users_rate_out_of_range.csv"),
                    Contains("users_rate_out_of_range.csv:3:8: error: column 'sms_response': "
                             "expected a number in [0, 1], got '1.5'"));
  CHECK_THROWS_WITH(csv_env("users_bad_flag.csv"),
                    Contains("users_bad_flag.csv:2:5: error: column 'discount_sensitive': "
                             "expected a flag, 0 or 1, got '0.5'"));
  CHECK_THROWS_WITH(csv_env("users_wrong_field_count.csv"),
                    Contains("users_wrong_field_count.csv:3:10: error: the row has 9 fields but "
                             "the header has 10"));
  CHECK_THROWS_WITH(csv_env("users_empty.csv"),
                    Contains("users_empty.csv: error: the CSV file is empty"));
  CHECK_THROWS_WITH(csv_env("users_header_only.csv"),
                    Contains("users_header_only.csv: error: the CSV file has a header but no data "
                             "rows"));
}
