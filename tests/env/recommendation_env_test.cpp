// The recommendation environment: spec, synthetic users, determinism, horizon and catalog.
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "../support/plugin_fixture.hpp"

using Catch::Matchers::Contains;
using Catch::Matchers::Equals;

namespace {

const std::vector<std::string> kFeatureNames{
    "recency",           "frequency",          "monetary_value",
    "engagement_score",  "discount_sensitive", "free_shipping_preferred",
    "email_opens",       "sms_response",       "push_response",
    "last_purchase_days"};

std::vector<recrl::Vector> draw_users(recrl::Environment& env, std::uint64_t seed, int n) {
  recrl::Rng rng(seed);
  std::vector<recrl::Vector> users(static_cast<std::size_t>(n), recrl::Vector(10));
  for (auto& user : users) env.reset(rng, user);
  return users;
}

// The spec's generator, written out again from docs/environments/recommendation.md.
recrl::Vector spec_user(recrl::Rng& rng) {
  recrl::Vector u(10);
  u[0] = static_cast<float>(std::min(365.0, std::floor(rng.exponential(30.0))));
  u[1] = static_cast<float>(rng.poisson(4.0));
  u[2] = static_cast<float>(std::round(rng.lognormal(5.0, 0.7) * 100.0) / 100.0);
  u[3] = static_cast<float>(rng.beta(2.0, 2.0));
  u[4] = rng.uniform() < 0.45 ? 1.0f : 0.0f;
  u[5] = rng.uniform() < 0.35 ? 1.0f : 0.0f;
  u[6] = static_cast<float>(rng.beta(3.0, 3.0));
  u[7] = static_cast<float>(rng.beta(2.0, 4.0));
  u[8] = static_cast<float>(rng.beta(2.0, 5.0));
  u[9] = static_cast<float>(std::min(365.0, std::floor(rng.exponential(45.0))));
  return u;
}

// E[min(365, floor(X))] for X ~ Exponential(mean): the sum over k = 1..365 of P(X >= k).
double capped_days_mean(double mean) {
  const double q = std::exp(-1.0 / mean);
  return q * (1.0 - std::pow(q, 365.0)) / (1.0 - q);
}

}  // namespace

TEST_CASE("recommendation spec has the 10 features and the default catalog",
          "[env][recommendation]") {
  auto env = recrl::test::make_environment("recommendation");
  const recrl::EnvSpec& spec = env->spec();
  CHECK(spec.name == "recommendation");
  CHECK(spec.observation.kind == recrl::Space::Kind::Box);
  CHECK(spec.observation.size == 10);
  CHECK(spec.observation.labels == kFeatureNames);
  CHECK(spec.observation.low == std::vector<double>(10, 0.0));
  const double inf = std::numeric_limits<double>::infinity();
  // What a user may be, whatever the source: days and counts open-ended, flags 0 or 1.
  CHECK(spec.observation.high == std::vector<double>{inf, inf, inf, 1, 1, 1, 1, 1, 1, inf});
  CHECK(spec.observation.binary ==
        std::vector<bool>{false, false, false, false, true, true, false, false, false, false});

  CHECK(spec.action.kind == recrl::Space::Kind::Discrete);
  CHECK(spec.action.size == 10);
  CHECK(spec.action.labels ==
        std::vector<std::string>{"[discount, 10%, email]", "[discount, 10%, sms]",
                                 "[discount, 15%, email]", "[discount, 15%, sms]",
                                 "[discount, 15%, push]", "[free_shipping, 0%, email]",
                                 "[free_shipping, 0%, sms]", "[free_shipping, 0%, push]",
                                 "[reminder, 0%, email]", "[reminder, 0%, push]"});
  REQUIRE(spec.actions.size() == 10);
  CHECK(spec.actions[2].label == "[discount, 15%, email]");
  CHECK(*spec.actions[2].field("offer") == "discount");
  CHECK(*spec.actions[2].field("value") == "15");
  CHECK(*spec.actions[2].field("channel") == "email");
  CHECK(*spec.actions[7].field("value") == "0");
  CHECK(spec.actions[7].field("colour") == nullptr);
  CHECK(spec.max_episode_steps == 1);
  CHECK_FALSE(spec.actions_affect_state);
}

TEST_CASE("recommendation draws synthetic users exactly as the spec's table says",
          "[env][recommendation]") {
  auto env = recrl::test::make_environment("recommendation");
  recrl::Rng env_rng(2024);
  recrl::Rng spec_rng(2024);
  recrl::Vector obs(10);
  for (int i = 0; i < 1000; ++i) {
    env->reset(env_rng, obs);
    const recrl::Vector expected = spec_user(spec_rng);
    REQUIRE(obs == expected);
  }
}

TEST_CASE("recommendation synthetic users have the spec's distributions", "[env][recommendation]") {
  auto env = recrl::test::make_environment("recommendation");
  constexpr int kUsers = 100000;
  const auto users = draw_users(*env, 7, kUsers);

  std::vector<double> sum(10, 0.0);
  std::vector<double> sum_sq(10, 0.0);
  const auto& spec = env->spec().observation;
  for (const auto& u : users) {
    for (int f = 0; f < 10; ++f) {
      REQUIRE(u[f] >= spec.low[f]);
      REQUIRE(u[f] <= spec.high[f]);
      sum[f] += u[f];
      sum_sq[f] += double{u[f]} * u[f];
    }
    REQUIRE(u[0] <= 365);  // the generator caps days at a year
    REQUIRE(u[9] <= 365);
    REQUIRE(u[0] == std::floor(u[0]));  // whole days and counts
    REQUIRE(u[1] == std::floor(u[1]));
    REQUIRE(u[9] == std::floor(u[9]));
    REQUIRE((u[4] == 0.0f || u[4] == 1.0f));
    REQUIRE((u[5] == 0.0f || u[5] == 1.0f));
    const double cents = double{u[2]} * 100.0;
    REQUIRE(std::abs(cents - std::round(cents)) < 0.05);
  }
  const std::vector<double> analytic{capped_days_mean(30.0),
                                     4.0,
                                     std::exp(5.0 + 0.7 * 0.7 / 2.0),
                                     0.5,
                                     0.45,
                                     0.35,
                                     0.5,
                                     2.0 / 6.0,
                                     2.0 / 7.0,
                                     capped_days_mean(45.0)};
  for (int f = 0; f < 10; ++f) {
    INFO("feature " << kFeatureNames[f]);
    const double mean = sum[f] / kUsers;
    const double sd = std::sqrt(sum_sq[f] / kUsers - mean * mean);
    CHECK(mean == Approx(analytic[f]).margin(5.0 * sd / std::sqrt(double{kUsers})));
  }
}

TEST_CASE("recommendation gives the same users for the same seed and others for another",
          "[env][recommendation]") {
  auto env = recrl::test::make_environment("recommendation");
  auto other = recrl::test::make_environment("recommendation");
  CHECK(draw_users(*env, 3, 50) == draw_users(*other, 3, 50));
  CHECK(draw_users(*env, 3, 50) != draw_users(*env, 4, 50));
}

TEST_CASE("recommendation keeps the user for horizon steps and ends at the last",
          "[env][recommendation]") {
  auto env = recrl::test::make_environment("recommendation", "{horizon: 3}");
  CHECK(env->spec().max_episode_steps == 3);
  CHECK_FALSE(env->spec().actions_affect_state);
  recrl::Rng rng(9);
  recrl::Vector obs(10);
  recrl::Vector next(10);
  for (int episode = 0; episode < 2; ++episode) {
    env->reset(rng, obs);
    for (int t = 1; t <= 3; ++t) {
      const recrl::Rng before = rng;
      const recrl::EnvStep step = env->step(t % 10, rng, next);
      CHECK(next == obs);
      CHECK(step.reward == 0.0);
      CHECK(step.terminated == (t == 3));
      CHECK_FALSE(step.truncated);
      CHECK(rng.engine() == before.engine());  // a step draws nothing
    }
  }
}

TEST_CASE("recommendation with the default horizon ends every episode after one step",
          "[env][recommendation]") {
  auto env = recrl::test::make_environment("recommendation");
  recrl::Rng rng(1);
  recrl::Vector obs(10);
  env->reset(rng, obs);
  CHECK(env->step(2, rng, obs).terminated);
  CHECK_THROWS_AS(recrl::test::make_environment("recommendation", "{horizon: 0}"),
                  recrl::ConfigError);
}

TEST_CASE("recommendation reads a catalog from the experiment file", "[env][recommendation]") {
  auto env = recrl::test::make_environment("recommendation",
                                           "catalog:\n"
                                           "  - [discount, 15%, email]\n"
                                           "  - [discount, 20, sms]\n"
                                           "  - [discount, 12.5, push]\n"
                                           "  - [discount, \"30%\", push]\n"
                                           "  - [free_shipping, 0%, sms]\n"
                                           "  - [reminder, 0, push]\n");
  const recrl::EnvSpec& spec = env->spec();
  CHECK(spec.action.size == 6);
  CHECK(spec.action.labels ==
        std::vector<std::string>{"[discount, 15%, email]", "[discount, 20%, sms]",
                                 "[discount, 12.5%, push]", "[discount, 30%, push]",
                                 "[free_shipping, 0%, sms]", "[reminder, 0%, push]"});
  CHECK(*spec.actions[2].field("value") == "12.5");
}

TEST_CASE("recommendation catalog mistakes point at the entry", "[env][recommendation]") {
  const auto build = [](const std::string& entry) {
    recrl::test::make_environment("recommendation",
                                  "catalog:\n  - [discount, 15%, email]\n  - " + entry + "\n");
  };
  CHECK_THROWS_WITH(build("[coupon, 0, email]"),
                    Equals("env.yaml:3:6: error: env.params.catalog[1]: unknown offer 'coupon' "
                           "(accepted: discount, free_shipping, reminder, bundle, wait)"));
  CHECK_THROWS_WITH(build("[reminder, 0, fax]"),
                    Equals("env.yaml:3:19: error: env.params.catalog[1]: unknown channel 'fax' "
                           "(accepted: email, sms, push)"));
  CHECK_THROWS_WITH(build("[discount, 15, email]"),
                    Contains("env.yaml:3:5: error: env.params.catalog[1]: duplicate action "
                             "[discount, 15%, email]: the same as env.params.catalog[0] (line 2)"));
  CHECK_THROWS_WITH(build("[free_shipping, 5%, sms]"),
                    Contains("env.yaml:3:21: error: env.params.catalog[1]: a free_shipping offer "
                             "carries no value"));
  CHECK_THROWS_WITH(build("[discount, 0, sms]"), Contains("(0, 100]"));
  CHECK_THROWS_WITH(build("[discount, 120%, sms]"), Contains("(0, 100]"));
  CHECK_THROWS_WITH(build("[discount, lots, sms]"),
                    Contains("env.yaml:3:16: error: env.params.catalog[1]: expected a percentage"));
  CHECK_THROWS_WITH(build("[discount, 15%]"),
                    Contains("env.yaml:3:5: error: env.params.catalog[1]: expected an action "
                             "[offer, value, channel]"));
  CHECK_THROWS_AS(build("{offer: discount}"), recrl::ConfigError);
  CHECK_THROWS_WITH(recrl::test::make_environment("recommendation", "catalog: []"),
                    Contains("env.params.catalog: expected a non-empty list"));
}

TEST_CASE("recommendation users parameter mistakes point at the key", "[env][recommendation]") {
  CHECK_THROWS_WITH(recrl::test::make_environment("recommendation", "users: {source: survey}"),
                    Contains("env.params.users.source: unknown user source 'survey' "
                             "(accepted: synthetic, csv)"));
  CHECK_THROWS_WITH(
      recrl::test::make_environment("recommendation", "users: {source: synthetic, path: a.csv}"),
      Contains("env.params.users.path: unknown key 'path' for source synthetic"));
  CHECK_THROWS_WITH(
      recrl::test::make_environment("recommendation", "users: {source: csv, file: a.csv}"),
      Contains("env.params.users.file: unknown key 'file' for source csv (accepted: source, "
               "path)"));
  CHECK_THROWS_WITH(recrl::test::make_environment("recommendation", "users: synthetic"),
                    Contains("env.yaml:1:8: error: env.params.users: expected a map such as "
                             "{source: synthetic}"));
  CHECK_THROWS_WITH(recrl::test::make_environment("recommendation", "users: {path: a.csv}"),
                    Contains("env.params.users: missing key 'source' (accepted: synthetic, csv)"));
  CHECK_THROWS_WITH(recrl::test::make_environment("recommendation", "users: {source: csv}"),
                    Contains("env.params.users: source csv needs 'path: FILE.csv'"));
  CHECK_THROWS_WITH(
      recrl::test::make_environment("recommendation", "users: {source: csv, path: nowhere.csv}"),
      Contains("env.yaml:1:28: error: env.params.users.path: no CSV file at 'nowhere.csv'"));
}

TEST_CASE("a catalog of bundles, discount grids and wait", "[env][recommendation][catalog]") {
  auto env = recrl::test::make_environment("recommendation",
                                           "catalog:\n"
                                           "  - [discount, {values: [5, 10, 25]}, email]\n"
                                           "  - [bundle, [discount, 10], [free_shipping, 0], sms]\n"
                                           "  - [bundle, [reminder, 0], [free_shipping, 0], push]\n"
                                           "  - wait\n");
  const recrl::EnvSpec& spec = env->spec();
  CHECK(spec.action.labels ==
        std::vector<std::string>{"[discount, 5%, email]", "[discount, 10%, email]",
                                 "[discount, 25%, email]",
                                 "[bundle, discount 10% + free_shipping, sms]",
                                 "[bundle, free_shipping + reminder, push]", "wait"});
  CHECK(*spec.actions[3].field("offer") == "bundle");
  CHECK(*spec.actions[3].field("value") == "10");
  CHECK(*spec.actions[3].field("free_shipping") == "1");
  CHECK(*spec.actions[3].field("reminder") == "0");
  CHECK(*spec.actions[4].field("reminder") == "1");
  CHECK(*spec.actions[5].field("offer") == "wait");
  CHECK(*spec.actions[5].field("channel") == "none");

  // seed_rules prices them: a bundle is no single offer that fits, wait earns nothing.
  const auto reward = recrl::test::make_reward("seed_rules", spec);
  recrl::Vector user(10);
  user << 15, 3, 200, 0.78f, 1, 0, 0.87f, 0.12f, 0.05f, 8;
  CHECK(*reward->expected({user, 5, user, 0.0, true, false}) == 0.0);
  CHECK(*reward->expected({user, 1, user, 0.0, true, false}) == Approx(0.8));

  // The mistakes of the new forms point at the entry.
  const auto build = [](const std::string& entry) {
    recrl::test::make_environment("recommendation", "catalog:\n  - " + entry + "\n");
  };
  CHECK_THROWS_WITH(build("[bundle, [discount, 10], email]"), Contains("two or more offers"));
  CHECK_THROWS_WITH(build("[bundle, [discount, 10], [discount, 5], email]"),
                    Contains("discount is there twice"));
  CHECK_THROWS_WITH(build("[bundle, [wait, 0], [discount, 5], email]"), Contains("not wait"));
  CHECK_THROWS_WITH(build("[reminder, {values: [5]}, email]"),
                    Contains("env.yaml:2:16") && Contains("for a discount only"));
  CHECK_THROWS_WITH(build("[discount, {values: [5, 5]}, email]"), Contains("duplicate action"));
  CHECK_THROWS_WITH(build("[discount, {values: [5, 120]}, email]"), Contains("(0, 100]"));
  CHECK_THROWS_WITH(build("[wait, 0, email]"), Contains("wait takes nothing else"));
}
