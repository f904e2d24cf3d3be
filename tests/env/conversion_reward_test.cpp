// The `conversion` reward: its expected margin against a hand computation of the documented
// model for the specification's sample user; its draws average to that expectation; its
// components agree with each other; wait costs nothing and carries no offer; an environment
// without the features it needs is refused at start-up.
#include <cmath>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "plugin_fixture.hpp"

using Catch::Matchers::Contains;

namespace {

const char* const kCatalog =
    "catalog:\n"
    "  - [discount, 10, email]\n"
    "  - [free_shipping, 0, sms]\n"
    "  - [bundle, [discount, 20], [free_shipping, 0], push]\n"
    "  - [reminder, 0, email]\n"
    "  - wait\n";

recrl::Vector sample_user() {
  recrl::Vector user(10);
  // recency, frequency, monetary_value, engagement_score, discount_sensitive,
  // free_shipping_preferred, email_opens, sms_response, push_response, last_purchase_days
  user << 15, 3, 200, 0.78f, 1, 0, 0.87f, 0.12f, 0.05f, 8;
  return user;
}

double sigmoid(double z) { return 1 / (1 + std::exp(-z)); }

}  // namespace

TEST_CASE("conversion: the expected margin by hand", "[conversion]") {
  const auto env = recrl::test::make_environment("recommendation", kCatalog);
  const auto reward = recrl::test::make_reward("conversion", env->spec());
  const recrl::Vector user = sample_user();
  const auto expected = [&](int action) {
    return *reward->expected({user, action, user, 0.0, true, false});
  };
  // The customer's own logit with the defaults: -3 + 1.5 * 0.78 + 0.12 * 3 - 0.15 * 8 / 30.
  const double own = -3 + 1.5 * double(0.78f) + 0.12 * 3 - 0.15 * 8.0 / 30.0;
  const double order = 200.0 / 3.0;  // monetary_value / frequency, within [20, 500]

  // [discount, 10%, email] to a discount-sensitive customer: full lift 0.4, email 0.87.
  const double p0 = sigmoid(own + 2.0 * double(0.87f) + 0.4);
  CHECK(expected(0) == Approx(p0 * order * (0.35 - 0.10) - 0.02).epsilon(1e-12));
  // [free_shipping, sms] to a customer who does not prefer it: a quarter of the lift 0.8.
  const double p1 = sigmoid(own + 2.0 * double(0.12f) + 0.25 * 0.8);
  CHECK(expected(1) == Approx(p1 * (order * 0.35 - 6.0) - 0.08).epsilon(1e-12));
  // The bundle: both lifts, both costs, by push.
  const double p2 = sigmoid(own + 2.0 * double(0.05f) + 0.4 * 2 + 0.25 * 0.8);
  CHECK(expected(2) == Approx(p2 * (order * (0.35 - 0.20) - 6.0) - 0.01).epsilon(1e-12));
  // A reminder by email.
  const double p3 = sigmoid(own + 2.0 * double(0.87f) + 0.3);
  CHECK(expected(3) == Approx(p3 * order * 0.35 - 0.02).epsilon(1e-12));
  // wait: the customer's own chance, no contact cost.
  CHECK(expected(4) == Approx(sigmoid(own) * order * 0.35).epsilon(1e-12));

  // The components' expected values: converted is the probability, the margin the expectation.
  std::vector<double> means(5);
  REQUIRE(reward->expected_components({user, 0, user, 0.0, true, false}, means));
  CHECK(means[0] == Approx(p0).epsilon(1e-12));
  CHECK(means[1] == Approx(p0 * order * 0.9).epsilon(1e-12));
  CHECK(means[2] == Approx(p0 * order * 0.1).epsilon(1e-12));
  CHECK(means[3] == 0.02);
  CHECK(means[4] == Approx(expected(0)).epsilon(1e-12));

  // The draws average to the expectation, and the components agree.
  std::vector<double> parts(5);
  recrl::Rng rng(4);
  for (int action = 0; action < 5; ++action) {
    const int n = 100000;
    double sum = 0, converted = 0;
    for (int i = 0; i < n; ++i) {
      const double r = reward->compute({user, action, user, 0.0, true, false}, rng, parts);
      REQUIRE(r == parts[4]);
      REQUIRE((parts[0] == 0.0 || parts[0] == 1.0));
      if (parts[0] == 0.0) REQUIRE(parts[4] == -parts[3]);
      sum += r;
      converted += parts[0];
    }
    INFO("action " << action);
    // Margins lie within [-0.08, 0.35 * 66.7]: 4 standard errors of a Bernoulli mean of that
    // spread.
    CHECK(std::abs(sum / n - expected(action)) < 4 * 23.4 * 0.5 / std::sqrt(double(n)));
    CHECK(converted / n > 0.05);
  }
}

TEST_CASE("conversion: the oracle and a run on the recommendation environment", "[conversion]") {
  const auto env = recrl::test::make_environment("recommendation", kCatalog);
  const auto reward = recrl::test::make_reward("conversion", env->spec());
  const auto oracle = recrl::test::make_oracle(env->spec(), *reward);
  const recrl::Vector user = sample_user();
  const recrl::Matrix users = user;
  std::vector<int> action(1);
  recrl::Rng rng(1);
  oracle->act(recrl::ObsBatch{users, users}, recrl::ActMode::Greedy, rng, action);
  double best = -1e9;
  for (int a = 0; a < 5; ++a)
    best = std::max(best, *reward->expected({user, a, user, 0.0, true, false}));
  CHECK(*reward->expected({user, action[0], user, 0.0, true, false}) == best);
}

TEST_CASE("conversion: what it needs is checked at start-up", "[conversion]") {
  const auto cartpole = recrl::test::make_environment("cartpole");
  CHECK_THROWS_WITH(recrl::test::make_reward("conversion", cartpole->spec()),
                    Contains("conversion needs the observation features frequency"));
  const auto env = recrl::test::make_environment("recommendation");
  CHECK_THROWS_WITH(
      recrl::test::make_reward("conversion", env->spec(), "{min_order: 50, max_order: 10}"),
      Contains("max_order") && Contains("must be >= min_order"));
}
