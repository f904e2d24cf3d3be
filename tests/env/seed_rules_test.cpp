// The seed_rules reward, rule by rule, built as a run builds it: the recommendation
// environment's spec, then the reward plugin with that spec in its context.
#include <algorithm>
#include <array>
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "../support/plugin_fixture.hpp"

using Catch::Matchers::Contains;

namespace {

// Feature order of the recommendation environment.
struct UserFeatures {
  float recency = 15, frequency = 3, monetary_value = 200, engagement_score = 0.78f;
  float discount_sensitive = 1, free_shipping_preferred = 0;
  float email_opens = 0.87f, sms_response = 0.12f, push_response = 0.05f;
  float last_purchase_days = 8;

  recrl::Vector vector() const {
    recrl::Vector v(10);
    v << recency, frequency, monetary_value, engagement_score, discount_sensitive,
        free_shipping_preferred, email_opens, sms_response, push_response, last_purchase_days;
    return v;
  }
};

// The default catalog's action numbers.
enum Action {
  kDiscount10Email,
  kDiscount10Sms,
  kDiscount15Email,
  kDiscount15Sms,
  kDiscount15Push,
  kFreeShippingEmail,
  kFreeShippingSms,
  kFreeShippingPush,
  kReminderEmail,
  kReminderPush
};

class SeedRulesFixture {
 public:
  explicit SeedRulesFixture(const std::string& reward_yaml = "")
      : env_(recrl::test::make_environment("recommendation")),
        reward_(recrl::test::make_reward("seed_rules", env_->spec(), reward_yaml)) {}

  recrl::RewardFunction& reward() { return *reward_; }

  // The reward and its parts for `user` under `action`, with no noise drawn from rng.
  double reward_of(const UserFeatures& user, int action) {
    const recrl::Vector obs = user.vector();
    const recrl::Transition t{obs, action, obs, 0.0, true, false};
    recrl::Rng rng(1);
    const double r = reward_->compute(t, rng, parts_);
    const auto e = reward_->expected(t);
    REQUIRE(e.has_value());
    CHECK(*e == Approx(r).margin(1e-12));  // noiseless: compute and expected agree
    return r;
  }
  const std::array<double, 4>& parts() const { return parts_; }

 private:
  std::shared_ptr<recrl::Environment> env_;
  std::shared_ptr<recrl::RewardFunction> reward_;
  std::array<double, 4> parts_{};
};

}  // namespace

TEST_CASE("seed_rules reproduces the seed report's sample user", "[env][seed_rules]") {
  SeedRulesFixture f;
  CHECK(f.reward_of(UserFeatures{}, kDiscount15Email) == Approx(0.9).margin(1e-9));
  CHECK(f.parts()[0] == Approx(0.5));
  CHECK(f.parts()[1] == Approx(0.3));
  CHECK(f.parts()[2] == Approx(0.1));
  CHECK(f.parts()[3] == 0.0);
  CHECK(f.reward_of(UserFeatures{}, kDiscount10Email) == Approx(0.8).margin(1e-9));
}

TEST_CASE("seed_rules names its components", "[env][seed_rules]") {
  SeedRulesFixture f;
  CHECK(f.reward().components() ==
        std::vector<std::string>{"targeting", "channel", "value_fit", "noise"});
}

TEST_CASE("seed_rules targeting fits each offer to its users", "[env][seed_rules]") {
  SeedRulesFixture f;
  UserFeatures user;
  user.email_opens = 0.0f;  // make push the best channel, so only targeting and value count
  user.push_response = 0.9f;
  user.monetary_value = 100;

  SECTION("discount for a discount-sensitive user") {
    user.discount_sensitive = 1;
    user.free_shipping_preferred = 0;
    CHECK(f.reward_of(user, kDiscount10Sms) == Approx(0.5 + 0.1));
    CHECK(f.reward_of(user, kFreeShippingSms) == Approx(0.0));
    CHECK(f.reward_of(user, kReminderEmail) == Approx(0.0));
  }
  SECTION("free_shipping for a free-shipping-preferred user") {
    user.discount_sensitive = 0;
    user.free_shipping_preferred = 1;
    CHECK(f.reward_of(user, kFreeShippingSms) == Approx(0.5));
    CHECK(f.reward_of(user, kDiscount10Sms) == Approx(0.0));
    CHECK(f.reward_of(user, kReminderEmail) == Approx(0.0));
  }
  SECTION("reminder for a user who is neither") {
    user.discount_sensitive = 0;
    user.free_shipping_preferred = 0;
    CHECK(f.reward_of(user, kReminderEmail) == Approx(0.5));
    CHECK(f.reward_of(user, kDiscount10Sms) == Approx(0.0));
    CHECK(f.reward_of(user, kFreeShippingSms) == Approx(0.0));
  }
  SECTION("both discount and free_shipping for a user who is both, reminder not") {
    user.discount_sensitive = 1;
    user.free_shipping_preferred = 1;
    CHECK(f.reward_of(user, kDiscount10Sms) == Approx(0.6));
    CHECK(f.reward_of(user, kFreeShippingSms) == Approx(0.5));
    CHECK(f.reward_of(user, kReminderEmail) == Approx(0.0));
  }
}

TEST_CASE("seed_rules channel term goes to the best channel with ties to the earlier",
          "[env][seed_rules]") {
  SeedRulesFixture f;
  UserFeatures user;
  user.discount_sensitive = 0;  // a reminder user: reminders show targeting + channel
  user.free_shipping_preferred = 0;

  SECTION("email best") {
    CHECK(f.reward_of(user, kReminderEmail) == Approx(0.8));
    CHECK(f.reward_of(user, kReminderPush) == Approx(0.5));
  }
  SECTION("push best") {
    user.push_response = 0.95f;
    CHECK(f.reward_of(user, kReminderPush) == Approx(0.8));
    CHECK(f.reward_of(user, kReminderEmail) == Approx(0.5));
  }
  SECTION("sms best, earning the channel term even without targeting") {
    user.sms_response = 0.99f;
    CHECK(f.reward_of(user, kDiscount10Sms) == Approx(0.3));
    CHECK(f.parts()[1] == Approx(0.3));
  }
  SECTION("a tie between email and sms goes to email") {
    user.email_opens = user.sms_response = 0.5f;
    CHECK(f.reward_of(user, kReminderEmail) == Approx(0.8));
    CHECK(f.reward_of(user, kFreeShippingSms) == Approx(0.0));
  }
  SECTION("a tie between sms and push goes to sms") {
    user.email_opens = 0.1f;
    user.sms_response = user.push_response = 0.5f;
    CHECK(f.reward_of(user, kFreeShippingSms) == Approx(0.3));
    CHECK(f.reward_of(user, kReminderPush) == Approx(0.5));
  }
}

TEST_CASE("seed_rules value fit rewards a discount depth that fits the value tier",
          "[env][seed_rules]") {
  SeedRulesFixture f;
  UserFeatures user;  // discount-sensitive, email best

  SECTION("a high-value customer fits 15% and not 10%") {
    user.monetary_value = 150;  // the threshold itself is high-value
    CHECK(f.reward_of(user, kDiscount15Email) == Approx(0.9));
    CHECK(f.reward_of(user, kDiscount10Email) == Approx(0.8));
  }
  SECTION("a low-value customer fits 10% and not 15%") {
    user.monetary_value = 149.99f;
    CHECK(f.reward_of(user, kDiscount10Email) == Approx(0.9));
    CHECK(f.parts()[2] == Approx(0.1));
    CHECK(f.reward_of(user, kDiscount15Email) == Approx(0.8));
    CHECK(f.parts()[2] == 0.0);
  }
  SECTION("only when the targeting term was earned") {
    user.discount_sensitive = 0;
    user.monetary_value = 40;
    CHECK(f.reward_of(user, kDiscount10Email) == Approx(0.3));
    CHECK(f.parts()[2] == 0.0);
  }
  SECTION("never for other offers") {
    user.discount_sensitive = 0;
    user.free_shipping_preferred = 1;
    user.monetary_value = 40;
    CHECK(f.reward_of(user, kFreeShippingEmail) == Approx(0.8));
    CHECK(f.parts()[2] == 0.0);
  }
}

TEST_CASE("seed_rules weights threshold and depth are parameters", "[env][seed_rules]") {
  SeedRulesFixture f(
      "{targeting: 0.2, channel: 0.1, value_fit: 0.05, value_threshold: 250, "
      "value_depth: 10}");
  UserFeatures user;  // monetary 200: low-value under a 250 threshold; 10% is now deep
  CHECK(f.reward_of(user, kDiscount10Email) == Approx(0.3));
  CHECK(f.parts()[0] == Approx(0.2));
  CHECK(f.parts()[1] == Approx(0.1));
  CHECK(f.parts()[2] == 0.0);
  user.monetary_value = 260;
  CHECK(f.reward_of(user, kDiscount10Email) == Approx(0.35));
}

TEST_CASE("seed_rules clips the total to zero to one", "[env][seed_rules]") {
  SeedRulesFixture f("{targeting: 2, channel: 3}");
  CHECK(f.reward_of(UserFeatures{}, kDiscount15Email) == Approx(1.0));
  CHECK(f.parts()[0] == Approx(2.0));  // parts are the unclipped terms
  CHECK(f.parts()[1] == Approx(3.0));
}

TEST_CASE("seed_rules draws noise only when noise_std is positive", "[env][seed_rules]") {
  const recrl::Vector obs = UserFeatures{}.vector();
  const recrl::Transition t{obs, kReminderPush, obs, 0.0, true, false};  // earns 0: room for noise
  std::array<double, 4> parts{};

  SECTION("noise_std 0 consumes no randomness") {
    SeedRulesFixture f;
    recrl::Rng rng(5);
    recrl::Rng untouched(5);
    f.reward().compute(t, rng, parts);
    CHECK(rng.next_u64() == untouched.next_u64());
  }
  SECTION("noise_std > 0 adds Normal(0, noise_std) and expected() stays noiseless") {
    SeedRulesFixture f("{noise_std: 0.1}");
    recrl::Rng rng(5);
    double sum = 0.0;
    double sum_sq = 0.0;
    constexpr int kDraws = 20000;
    for (int i = 0; i < kDraws; ++i) {
      const double r = f.reward().compute(t, rng, parts);
      CHECK(r == Approx(std::clamp(parts[3], 0.0, 1.0)));
      sum += parts[3];
      sum_sq += parts[3] * parts[3];
    }
    CHECK(sum / kDraws == Approx(0.0).margin(0.004));
    CHECK(std::sqrt(sum_sq / kDraws) == Approx(0.1).epsilon(0.03));
    CHECK(*f.reward().expected(t) == 0.0);
    std::vector<double> means(4, 1.0);
    REQUIRE(f.reward().expected_components(t, means));
    CHECK(means[3] == 0.0);  // the noise's mean
  }
}

TEST_CASE("seed_rules reports missing features at the reward's location", "[env][seed_rules]") {
  auto env = recrl::test::make_environment("recommendation");
  recrl::EnvSpec spec = env->spec();
  spec.observation.labels[4] = "deal_seeker";  // no discount_sensitive any more
  spec.observation.labels[7] = "texts";
  CHECK_THROWS_AS(recrl::test::make_reward("seed_rules", spec, "{channel: 0.3}"),
                  recrl::ConfigError);
  CHECK_THROWS_WITH(recrl::test::make_reward("seed_rules", spec, "{channel: 0.3}"),
                    Contains("reward.yaml:1:1: error: reward: ") &&
                        Contains("discount_sensitive, sms_response") && Contains("deal_seeker"));
}

TEST_CASE("seed_rules reports actions without the catalog fields it needs", "[env][seed_rules]") {
  auto env = recrl::test::make_environment("recommendation");
  recrl::EnvSpec spec = env->spec();
  spec.actions[3].fields.erase(spec.actions[3].fields.begin() + 2);  // drop "channel"
  CHECK_THROWS_WITH(recrl::test::make_reward("seed_rules", spec),
                    Contains("error: reward: ") && Contains("field 'channel'") &&
                        Contains("[discount, 15%, sms]"));
  spec.actions.clear();
  CHECK_THROWS_WITH(recrl::test::make_reward("seed_rules", spec),
                    Contains("discrete action catalog"));
}

TEST_CASE("seed_rules refuses out-of-range weights", "[env][seed_rules]") {
  auto env = recrl::test::make_environment("recommendation");
  CHECK_THROWS_AS(recrl::test::make_reward("seed_rules", env->spec(), "{targeting: 11}"),
                  recrl::ConfigError);
  CHECK_THROWS_AS(recrl::test::make_reward("seed_rules", env->spec(), "{noise_std: -0.1}"),
                  recrl::ConfigError);
}
