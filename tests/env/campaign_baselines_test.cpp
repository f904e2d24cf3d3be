// The campaign's baselines: `myopic` plays the allowed action with the best expected margin of
// the day (and is the oracle where actions change nothing); `rules` follows its documented
// rules: the best consented channel at most once a week, the customer's offer.
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "plugin_fixture.hpp"
#include "recrl/toolkit/action_mask.hpp"

using Catch::Matchers::Contains;

namespace {

// The campaign's features by the page's numbers.
enum {
  kDiscountSensitive = 4,
  kFreeShipping = 5,
  kEmailOpens = 6,
  kSmsResponse = 7,
  kPushResponse = 8,
  kConsentEmail = 10,
  kConsentSms = 11,
  kConsentPush = 12,
  kDaysSinceContact = 13,
};

// The default catalog's actions.
enum {
  kWait = 0,
  kReminderEmail = 1,
  kReminderSms = 2,
  kReminderPush = 3,
  kFreeShippingEmail = 4,
  kFreeShippingPush = 5,
  kDiscount10Email = 6,
  kDiscount10Sms = 8,
};

recrl::Vector customer() {
  recrl::Vector x = recrl::Vector::Zero(20);
  x << 15, 3, 200, 0.78f, 0, 0, 0.5f, 0.3f, 0.2f, 8,  // the seed's ten
      1, 1, 1, 30, 0, 0, 0, 0, 0, 30;
  return x;
}

int act(recrl::Algorithm& algorithm, const recrl::Vector& x, std::vector<std::uint8_t> mask = {}) {
  recrl::Matrix obs = x;
  std::vector<int> action(1);
  recrl::Rng rng(1);
  algorithm.act(recrl::ObsBatch{obs, obs, mask}, recrl::ActMode::Greedy, rng, action);
  return action[0];
}

}  // namespace

TEST_CASE("myopic: the allowed action with the best expected margin of the day",
          "[campaign][myopic]") {
  const auto env = recrl::test::make_environment("campaign");
  const auto reward = recrl::test::make_reward("conversion", env->spec());
  const auto myopic = recrl::test::make_algorithm("myopic", env->spec(), *reward);
  recrl::Rng rng(3);
  recrl::Vector x(20);
  std::vector<std::uint8_t> mask(10);
  for (int i = 0; i < 500; ++i) {
    env->reset(rng, x);
    env->allowed_actions(x, mask);
    int best = -1;
    double best_value = 0;
    for (int a = 0; a < 10; ++a) {
      if (mask[static_cast<std::size_t>(a)] == 0) continue;
      const double value = *reward->expected({x, a, x, 0, false, false});
      if (best < 0 || value > best_value) {
        best = a;
        best_value = value;
      }
    }
    REQUIRE(act(*myopic, x, mask) == best);
  }
  // Forbid its choice and it takes the next best allowed one.
  env->allowed_actions(x, mask);
  const int first = act(*myopic, x, mask);
  mask[static_cast<std::size_t>(first)] = 0;
  const int second = act(*myopic, x, mask);
  CHECK(second != first);
  CHECK(mask[static_cast<std::size_t>(second)] == 1);
}

TEST_CASE("myopic is the oracle where actions change nothing", "[campaign][myopic]") {
  const auto env = recrl::test::make_environment("recommendation");
  const auto reward = recrl::test::make_reward("seed_rules", env->spec());
  const auto myopic = recrl::test::make_algorithm("myopic", env->spec(), *reward);
  const auto oracle = recrl::test::make_oracle(env->spec(), *reward);
  recrl::Rng rng(5);
  recrl::Vector x(10);
  for (int i = 0; i < 500; ++i) {
    env->reset(rng, x);
    REQUIRE(act(*myopic, x) == act(*oracle, x));
  }
  // A reward without an expected value is refused by name.
  const auto cartpole = recrl::test::make_environment("cartpole");
  const auto env_reward = recrl::test::make_reward("env_reward", cartpole->spec());
  CHECK_THROWS_WITH(recrl::test::make_algorithm("myopic", cartpole->spec(), *env_reward),
                    Contains("myopic needs a reward that gives its noiseless expected value"));
}

TEST_CASE("rules: best consented channel, the customer's offer, once a week", "[campaign][rules]") {
  const auto env = recrl::test::make_environment("campaign");
  const auto reward = recrl::test::make_reward("conversion", env->spec());
  const auto rules = recrl::test::make_algorithm("rules", env->spec(), *reward);

  recrl::Vector x = customer();
  CHECK(act(*rules, x) == kReminderEmail);  // email 0.5 is the best rate; no sensitivity
  x[kFreeShipping] = 1;
  CHECK(act(*rules, x) == kFreeShippingEmail);
  x[kDiscountSensitive] = 1;  // a discount goes first
  CHECK(act(*rules, x) == kDiscount10Email);
  x[kConsentEmail] = 0;  // next best: SMS, which has a 10% discount
  CHECK(act(*rules, x) == kDiscount10Sms);
  x[kSmsResponse] = 0.1f;  // now push is better than SMS; it has no discount: a reminder
  x[kDiscountSensitive] = 0;
  x[kFreeShipping] = 0;
  CHECK(act(*rules, x) == kReminderPush);
  x[kConsentPush] = 0;
  x[kConsentSms] = 0;  // no consent at all
  CHECK(act(*rules, x) == kWait);

  x = customer();
  x[kDaysSinceContact] = 6;  // contacted 6 days ago: not yet
  CHECK(act(*rules, x) == kWait);
  x[kDaysSinceContact] = 7;
  CHECK(act(*rules, x) == kReminderEmail);

  // A mask that forbids email (the weekly cap, say) moves it to the next channel's offer.
  std::vector<std::uint8_t> mask(10, 1);
  mask[kReminderEmail] = mask[kFreeShippingEmail] = mask[kDiscount10Email] = 0;
  mask[7] = mask[9] = 0;
  CHECK(act(*rules, customer(), mask) == kReminderSms);

  // Its parameters: every 3 days, and a 20% discount when the catalog has it.
  const auto often = recrl::test::make_algorithm("rules", env->spec(), *reward,
                                                 "{days_between_contacts: 3, discount: 20}");
  x = customer();
  x[kDaysSinceContact] = 3;
  x[kDiscountSensitive] = 1;
  CHECK(act(*often, x) == 7);  // [discount, 20%, email]
}
