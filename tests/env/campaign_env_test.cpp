// The `campaign` environment against docs/environments/campaign.md, rule by rule: the
// observation's features and their starting values, the day's three draws, the purchase
// probability by hand, fatigue, unsubscribes, churn, the discount expectation, the history a
// purchase writes, the 7-day contact window, consent and budget masks, the counters, and the
// `conversion` reward pricing the environment's purchases with the environment's model.
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "plugin_fixture.hpp"
#include "recrl/toolkit/marketing_catalog.hpp"
#include "recrl/toolkit/purchase_model.hpp"
#include "recrl/toolkit/seed_users.hpp"

using Catch::Matchers::Contains;

namespace {

// Feature indices, as the page's table numbers them.
enum {
  kRecency = 0,
  kFrequency = 1,
  kMonetary = 2,
  kEngagement = 3,
  kDiscountSensitive = 4,
  kFreeShipping = 5,
  kEmailOpens = 6,
  kSmsResponse = 7,
  kLastPurchase = 9,
  kConsentEmail = 10,
  kConsentSms = 11,
  kConsentPush = 12,
  kDaysSinceContact = 13,
  kContacts7 = 14,
  kFatigueEmail = 15,
  kFatigueSms = 16,
  kExpectation = 18,
  kDaysLeft = 19,
  kBudgetLeft = 20,
};

// The default catalog's actions, by the page's numbers.
enum {
  kWait = 0,
  kReminderEmail = 1,
  kReminderSms = 2,
  kDiscount10Email = 6,
  kDiscount20Email = 7
};

double sigmoid(double z) { return 1 / (1 + std::exp(-z)); }

struct Day {
  recrl::Vector obs;
  recrl::EnvStep step;
};

// An environment with `params`, reset from seed 7; returns it and the first observation.
struct Fixture {
  explicit Fixture(const std::string& params = "")
      : env(recrl::test::make_environment("campaign", params)), rng(7) {
    obs = recrl::Vector::Zero(env->spec().observation.size);
    env->reset(rng, obs);
  }
  Day step(int action) {
    Day day{recrl::Vector::Zero(obs.size()), {}};
    day.step = env->step(action, rng, day.obs);
    obs = day.obs;
    return day;
  }
  std::vector<std::uint8_t> mask() const {
    std::vector<std::uint8_t> allowed(static_cast<std::size_t>(env->spec().action.size));
    env->allowed_actions(obs, allowed);
    return allowed;
  }
  std::vector<double> counters() const {
    std::vector<double> counts(env->counters().size());
    env->episode_counters(counts);
    return counts;
  }

  std::shared_ptr<recrl::Environment> env;
  recrl::Rng rng;
  recrl::Vector obs;
};

// Consent to every channel and certain or impossible events, so that a rule shows alone;
// `changes` ("base: 50, horizon: 5") replaces or adds parameters.
std::string quiet(const std::string& changes = "") {
  std::vector<std::pair<std::string, std::string>> params = {
      {"consent_email_rate", "1"},  {"consent_sms_rate", "1"},
      {"consent_push_rate", "1"},   {"base", "-50"},
      {"churn_base", "-50"},        {"unsubscribe_email", "-50"},
      {"unsubscribe_sms", "-50"},   {"unsubscribe_push", "-50"},
      {"unsubscribe_fatigue", "0"}, {"churn_fatigue", "0"}};
  std::string rest = changes;
  while (!rest.empty()) {
    const std::size_t comma = rest.find(',');
    const std::string item = rest.substr(0, comma);
    rest = comma == std::string::npos ? "" : rest.substr(comma + 1);
    const std::size_t colon = item.find(':');
    const auto trim = [](std::string t) {
      t.erase(0, t.find_first_not_of(' '));
      t.erase(t.find_last_not_of(' ') + 1);
      return t;
    };
    const std::string key = trim(item.substr(0, colon));
    const std::string value = trim(item.substr(colon + 1));
    auto found =
        std::find_if(params.begin(), params.end(), [&](const auto& kv) { return kv.first == key; });
    if (found != params.end()) {
      found->second = value;
    } else {
      params.emplace_back(key, value);
    }
  }
  std::string yaml = "{";
  for (const auto& [key, value] : params)
    yaml += (yaml.size() > 1 ? ", " : "") + key + ": " + value;
  return yaml + "}";
}

}  // namespace

TEST_CASE("campaign: the observation's features, in the page's order", "[campaign]") {
  const auto env = recrl::test::make_environment("campaign");
  const recrl::EnvSpec& spec = env->spec();
  const std::vector<std::string> expected = {"recency",
                                             "frequency",
                                             "monetary_value",
                                             "engagement_score",
                                             "discount_sensitive",
                                             "free_shipping_preferred",
                                             "email_opens",
                                             "sms_response",
                                             "push_response",
                                             "last_purchase_days",
                                             "consent_email",
                                             "consent_sms",
                                             "consent_push",
                                             "days_since_contact",
                                             "contacts_last_7_days",
                                             "fatigue_email",
                                             "fatigue_sms",
                                             "fatigue_push",
                                             "discount_expectation",
                                             "days_left"};
  CHECK(spec.observation.labels == expected);
  CHECK(spec.actions_affect_state);
  CHECK(env->has_action_masks());
  CHECK(spec.max_episode_steps == 30);
  CHECK(spec.action.labels[0] == "wait");
  CHECK(spec.action.labels[9] == "[bundle, discount 10% + free_shipping, email]");
  CHECK(env->counters() == std::vector<std::string>{"contacts", "unsubscribes", "churned"});
  CHECK(spec.constant("purchase.base") == -5.0);
  CHECK(spec.constant("purchase.expectation_penalty") == 1.5);

  const auto budget = recrl::test::make_environment("campaign", "{discount_budget: 25}");
  CHECK(budget->spec().observation.size == 21);
  CHECK(budget->spec().observation.labels.back() == "discount_budget_left");
}

TEST_CASE("campaign: a catalog without wait is refused", "[campaign]") {
  CHECK_THROWS_WITH(recrl::test::make_environment("campaign", "{catalog: [[reminder, 0, email]]}"),
                    Contains("env.params.catalog") && Contains("needs `wait`"));
}

TEST_CASE("campaign: reset draws the seed features, then the consents", "[campaign]") {
  Fixture f("{consent_sms_rate: 0.5}");
  recrl::Rng rng(7);
  recrl::toolkit::User user;
  recrl::toolkit::draw_synthetic_user(rng, user);
  for (int i = 0; i < 10; ++i) CHECK(f.obs[i] == user[static_cast<std::size_t>(i)]);
  CHECK(f.obs[kConsentEmail] == (rng.bernoulli(0.9) ? 1.0f : 0.0f));
  CHECK(f.obs[kConsentSms] == (rng.bernoulli(0.5) ? 1.0f : 0.0f));
  CHECK(f.obs[kConsentPush] == (rng.bernoulli(0.5) ? 1.0f : 0.0f));
  CHECK(f.obs[kDaysSinceContact] == 30);
  CHECK(f.obs[kContacts7] == 0);
  CHECK(f.obs[kFatigueEmail] == 0);
  CHECK(f.obs[kExpectation] == 0);
  CHECK(f.obs[kDaysLeft] == 30);
}

TEST_CASE("campaign: the purchase probability by hand, and its three draws", "[campaign]") {
  // A customer observed with fatigue and an expectation; its probability under the reward's
  // expected value is the environment's (the reward uses the published model).
  const auto env = recrl::test::make_environment("campaign");
  const auto reward = recrl::test::make_reward("conversion", env->spec());
  recrl::Vector x = recrl::Vector::Zero(20);
  x[kRecency] = 15;
  x[kFrequency] = 3;
  x[kMonetary] = 200;
  x[kEngagement] = 0.78f;
  x[kDiscountSensitive] = 1;
  x[kEmailOpens] = 0.87f;
  x[kSmsResponse] = 0.12f;
  x[kLastPurchase] = 8;
  x[kConsentEmail] = 1;
  x[kFatigueEmail] = 1.5f;
  x[kExpectation] = 12;
  x[kDaysLeft] = 30;
  const double own = -5 + 1.5 * double(0.78f) + 0.12 * 3 - 0.15 * 8.0 / 30.0;
  const double order = 200.0 / 3.0;
  const auto expected = [&](int action) {
    return *reward->expected({x, action, x, 0, false, false});
  };
  // wait: the expectation of 12% costs 1.5 * 12 / 10 on a full-price day.
  CHECK(expected(kWait) == Approx(sigmoid(own - 1.5 * 1.2) * order * 0.35).epsilon(1e-12));
  // An email reminder: the response 0.87 divided by 1 + 0.5 * fatigue 1.5.
  const double reminder = own - 1.5 * 1.2 + 2.0 * double(0.87f) / (1 + 0.5 * 1.5) + 0.3;
  CHECK(expected(kReminderEmail) == Approx(sigmoid(reminder) * order * 0.35 - 0.02).epsilon(1e-12));
  // A 20% email discount meets the expectation (no penalty) and lifts 0.8 per 10%.
  const double discount = own + 2.0 * double(0.87f) / (1 + 0.5 * 1.5) + 0.8 * 2;
  CHECK(expected(kDiscount20Email) ==
        Approx(sigmoid(discount) * order * (0.35 - 0.20) - 0.02).epsilon(1e-12));

  // The day's draws are u_buy, u_unsubscribe, u_churn, three uniforms whatever the action; the
  // customer buys when u_buy < p.
  int bought = 0;
  for (std::uint64_t seed = 0; seed < 200; ++seed) {
    for (const int action : {kWait, kReminderEmail}) {
      Fixture f("{base: -1, consent_email_rate: 1}");
      f.rng.seed(seed);
      recrl::Rng copy = f.rng;
      const recrl::Vector morning = f.obs;
      const auto published = recrl::toolkit::published_purchase_model(f.env->spec());
      const recrl::toolkit::PurchaseModel model(*published, f.env->spec().observation, {}, "",
                                                "test");
      const auto catalog = recrl::toolkit::parse_marketing_catalog(
          recrl::test::plugin_params(recrl::plugin::Kind::Environment, "campaign", "", "env",
                                     "env.yaml")
              .get("catalog"),
          "catalog");
      const double p = model.probability(morning, catalog[static_cast<std::size_t>(action)]);
      const double u_buy = copy.uniform();
      copy.uniform();
      copy.uniform();
      const Day day = f.step(action);
      INFO("seed " << seed << " action " << action << " p " << p << " u " << u_buy);
      CHECK((day.obs[kLastPurchase] == 0) == (u_buy < p));
      CHECK(copy.uniform() == f.rng.uniform());  // exactly three draws were taken
      bought += day.obs[kLastPurchase] == 0 ? 1 : 0;
    }
  }
  CHECK(bought > 20);  // both branches were seen
  CHECK(bought < 380);
}

TEST_CASE("campaign: a purchase updates recency, frequency and monetary value", "[campaign]") {
  Fixture f(quiet("base: 50"));  // the customer always buys
  const recrl::Vector morning = f.obs;
  const double order = std::clamp(
      double(morning[kMonetary]) / std::max(1.0, double(morning[kFrequency])), 20.0, 500.0);
  const Day day = f.step(kDiscount10Email);
  CHECK(day.obs[kLastPurchase] == 0);
  CHECK(day.obs[kRecency] == 0);
  CHECK(day.obs[kFrequency] == morning[kFrequency] + 1);
  CHECK(day.obs[kMonetary] ==
        float(std::round((double(morning[kMonetary]) + order * 0.9) * 100) / 100));

  Fixture g(quiet());  // the customer never buys
  const recrl::Vector before = g.obs;
  const Day later = g.step(kWait);
  CHECK(later.obs[kLastPurchase] == std::min(365.0f, before[kLastPurchase] + 1));
  CHECK(later.obs[kRecency] == std::min(365.0f, before[kRecency] + 1));
  CHECK(later.obs[kFrequency] == before[kFrequency]);
  CHECK(later.obs[kMonetary] == before[kMonetary]);
}

TEST_CASE("campaign: fatigue rises with a contact and decays daily", "[campaign]") {
  Fixture f(quiet());
  f.step(kReminderEmail);
  CHECK(f.obs[kFatigueEmail] == Approx(0.8));
  CHECK(f.obs[kFatigueSms] == 0);
  CHECK(f.obs[kDaysSinceContact] == 1);
  f.step(kReminderSms);
  CHECK(f.obs[kFatigueEmail] == Approx(0.64));
  CHECK(f.obs[kFatigueSms] == Approx(0.8));
  f.step(kWait);
  CHECK(f.obs[kFatigueEmail] == Approx(0.512));
  CHECK(f.obs[kDaysSinceContact] == 2);
  CHECK(f.counters() == std::vector<double>{2, 0, 0});
}

TEST_CASE("campaign: an unsubscribe clears the consent, and the mask follows", "[campaign]") {
  Fixture f(quiet("unsubscribe_email: 50"));
  CHECK(f.mask()[kReminderEmail] == 1);
  f.step(kReminderEmail);
  CHECK(f.obs[kConsentEmail] == 0);
  CHECK(f.counters() == std::vector<double>{1, 1, 0});
  const auto allowed = f.mask();
  for (std::size_t a = 0; a < allowed.size(); ++a) {
    const std::string* channel = f.env->spec().actions[a].field("channel");
    INFO(f.env->spec().action.labels[a]);
    CHECK(allowed[a] == (*channel == "email" ? 0 : 1));
  }
  // The unsubscribe hazard grows with the channel's fatigue after the contact.
  int unsubscribed = 0;
  for (std::uint64_t seed = 0; seed < 4000; ++seed) {
    Fixture h(quiet("unsubscribe_sms: -3, unsubscribe_fatigue: 1"));
    h.rng.seed(seed);
    h.step(kReminderSms);
    unsubscribed += h.obs[kConsentSms] == 0 ? 1 : 0;
  }
  // sigmoid(-3 + 1 * 1): 0.119, within 4 standard errors.
  CHECK(std::abs(unsubscribed / 4000.0 - sigmoid(-2)) < 4 * std::sqrt(0.119 * 0.881 / 4000));
}

TEST_CASE("campaign: churn ends the episode; otherwise the horizon does", "[campaign]") {
  Fixture f("{churn_base: 50}");
  const Day day = f.step(kWait);
  CHECK(day.step.terminated);
  CHECK_FALSE(day.step.truncated);
  CHECK(f.counters()[2] == 1);

  Fixture g(quiet("horizon: 5"));
  for (int d = 0; d < 4; ++d) CHECK_FALSE(g.step(kWait).step.terminated);
  const Day last = g.step(kWait);
  CHECK(last.step.terminated);
  CHECK(last.obs[kDaysLeft] == 0);
  CHECK(g.counters()[2] == 0);
}

TEST_CASE("campaign: repeated discounts raise the discount expectation", "[campaign]") {
  Fixture f(quiet());
  f.step(kDiscount20Email);
  CHECK(f.obs[kExpectation] == Approx(0.5 * 20 * 0.98));
  f.step(kWait);
  CHECK(f.obs[kExpectation] == Approx(0.5 * 20 * 0.98 * 0.98));
  const double e = f.obs[kExpectation];
  f.step(kDiscount10Email);
  CHECK(f.obs[kExpectation] == Approx((e + 0.5 * (10 - e)) * 0.98));
}

TEST_CASE("campaign: at most max_contacts_per_week messages in any 7 days", "[campaign]") {
  Fixture f(quiet());
  std::vector<int> contacted_days;
  for (int day = 0; day < 30; ++day) {
    const auto allowed = f.mask();
    CHECK(allowed[kWait] == 1);
    const bool may_contact = allowed[kReminderEmail] == 1;
    // A contact is allowed exactly when fewer than 2 of the last 7 days had one.
    int recent = 0;
    for (int d : contacted_days) recent += d >= day - 7 ? 1 : 0;
    INFO("day " << day);
    CHECK(may_contact == (recent < 2));
    CHECK(f.obs[kContacts7] == recent);
    if (may_contact) contacted_days.push_back(day);
    f.step(may_contact ? kReminderEmail : kWait);
  }
  // Days 0 and 1, then each day whose 7 days before hold fewer than two contacts.
  CHECK(contacted_days == std::vector<int>{0, 1, 8, 9, 16, 17, 24, 25});

  Fixture none(quiet("max_contacts_per_week: 0"));
  const auto allowed = none.mask();
  CHECK(std::count(allowed.begin(), allowed.end(), 1) == 1);
}

TEST_CASE("campaign: the discount budget forbids what it cannot pay", "[campaign]") {
  Fixture f(quiet("base: 50, discount_budget: 12"));
  f.obs[kMonetary] = 100;
  f.obs[kFrequency] = 1;  // an order of 100
  CHECK(f.obs[kBudgetLeft] == 12);
  auto allowed = f.mask();
  CHECK(allowed[kDiscount10Email] == 1);  // costs 10
  CHECK(allowed[kDiscount20Email] == 0);  // would cost 20
  // Set the customer the environment holds to the same order, then buy with 10% off.
  f.env->reset(f.rng, f.obs);
  const double order =
      std::clamp(double(f.obs[kMonetary]) / std::max(1.0, double(f.obs[kFrequency])), 20.0, 500.0);
  f.step(kDiscount10Email);
  CHECK(f.obs[kBudgetLeft] == Approx(std::max(0.0, 12 - order * 0.1)));
}

TEST_CASE("campaign: conversion prices the environment's purchases", "[campaign][conversion]") {
  Fixture f(quiet("base: 50"));
  const auto reward = recrl::test::make_reward("conversion", f.env->spec());
  const recrl::Vector morning = f.obs;
  const double order = std::clamp(
      double(morning[kMonetary]) / std::max(1.0, double(morning[kFrequency])), 20.0, 500.0);
  const Day day = f.step(kDiscount10Email);
  std::vector<double> parts(5);
  recrl::Rng unused(1);
  const double margin = reward->compute(
      {morning, kDiscount10Email, day.obs, 0, day.step.terminated, false}, unused, parts);
  CHECK(parts[0] == 1);
  CHECK(margin == Approx(order * (0.35 - 0.10) - 0.02));
  CHECK(unused.uniform() == recrl::Rng(1).uniform());  // the reward drew nothing

  Fixture g(quiet());
  const recrl::Vector before = g.obs;
  const Day none = g.step(kReminderEmail);
  CHECK(reward->compute({before, kReminderEmail, none.obs, 0, false, false}, unused, parts) ==
        Approx(-0.02));
  CHECK(parts[0] == 0);

  // The purchase coefficients belong to the environment: the reward refuses its own.
  CHECK_THROWS_WITH(recrl::test::make_reward("conversion", f.env->spec(), "{base: -2}"),
                    Contains("reward.params.base") && Contains("env.params"));
}

TEST_CASE("campaign: the oracle refuses it and points at myopic", "[campaign]") {
  const auto env = recrl::test::make_environment("campaign");
  const auto reward = recrl::test::make_reward("conversion", env->spec());
  CHECK_THROWS_WITH(recrl::test::make_oracle(env->spec(), *reward),
                    Contains("actions change what is observed next") && Contains("myopic"));
}
