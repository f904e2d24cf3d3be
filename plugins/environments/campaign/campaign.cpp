// The `campaign` environment: one customer per episode over a horizon of days; each day the
// policy sends one message from the catalog or waits, and the customer may buy, tire of a
// channel, unsubscribe from it, come to expect discounts, or leave. Exactly
// docs/environments/campaign.md, which states every formula and default; the comments here say
// only where each piece is.
#include <algorithm>
#include <array>
#include <cmath>
#include <istream>
#include <ostream>
#include <string>
#include <vector>

#include <spdlog/logger.h>

#include "recrl/plugin/export.hpp"
#include "recrl/toolkit/binary_io.hpp"
#include "recrl/toolkit/marketing_catalog.hpp"
#include "recrl/toolkit/purchase_model.hpp"
#include "recrl/toolkit/seed_users.hpp"
#include "recrl/toolkit/user_source.hpp"

namespace recrl::campaign {

namespace {

constexpr char kStateTag[] = "recrl.campaign.state.1";
constexpr int kChannels = 3;  // email, sms, push: toolkit::Channel minus None
constexpr double kMaxDaysSinceContact = 30.0;
constexpr int kWeek = 7;

// The features after the seed's ten, in observation order.
enum CampaignFeature : int {
  kConsentEmail = toolkit::kSeedFeatureCount,
  kConsentSms,
  kConsentPush,
  kDaysSinceContact,
  kContactsLast7Days,
  kFatigueEmail,
  kFatigueSms,
  kFatiguePush,
  kDiscountExpectation,
  kDaysLeft,
  kBudgetLeft,  // only with a discount budget
};

// The purchase model's defaults for a customer's day (the conversion reward's are for one
// message): a lower base, since most days bring no contact, and the campaign's two terms.
toolkit::PurchaseCoefficients default_purchase_model() {
  toolkit::PurchaseCoefficients c;
  c.base = -5.0;
  c.discount_lift = 0.8;
  c.fatigue_response = 0.5;
  c.expectation_penalty = 1.5;
  return c;
}

Value default_catalog() {
  const auto text = [](const char* s) { return Value::string(s); };
  const auto entry = [&](const char* offer, std::int64_t value, const char* channel) {
    return Value::list({text(offer), Value::integer(value), text(channel)});
  };
  return Value::list({
      text("wait"),
      entry("reminder", 0, "email"),
      entry("reminder", 0, "sms"),
      entry("reminder", 0, "push"),
      entry("free_shipping", 0, "email"),
      entry("free_shipping", 0, "push"),
      entry("discount", 10, "email"),
      entry("discount", 20, "email"),
      entry("discount", 10, "sms"),
      Value::list({text("bundle"), Value::list({text("discount"), Value::integer(10)}),
                   Value::list({text("free_shipping"), Value::integer(0)}), text("email")}),
  });
}

double sigmoid(double z) { return 1.0 / (1.0 + std::exp(-z)); }

int channel_index(toolkit::Channel channel) {
  return static_cast<int>(channel) - static_cast<int>(toolkit::Channel::Email);
}

class CampaignEnv final : public Environment {
 public:
  static ParamSchema schema() {
    ParamSchema s;
    s.node("catalog", default_catalog(),
           "the actions, as the recommendation environment reads them, and `wait` (required): "
           "[offer, value, channel], a discount grid {values: [..]}, [bundle, ...]");
    s.node("users", toolkit::UserSource::default_config(),
           "where customers' ten seed features come from: {source: synthetic} or {source: csv, "
           "path: FILE}");
    s.integer("horizon", 30, "days per episode").range(1, 3650);
    s.real("consent_email_rate", 0.9, "share of customers who consent to email").range(0, 1);
    s.real("consent_sms_rate", 0.6, "share of customers who consent to SMS").range(0, 1);
    s.real("consent_push_rate", 0.5, "share of customers who consent to push").range(0, 1);
    toolkit::declare_purchase_parameters(s, default_purchase_model(), true);
    s.real("fatigue_per_contact", 1.0, "fatigue a contact adds to its channel").at_least(0);
    s.real("fatigue_decay", 0.8, "share of each channel's fatigue left the next day").range(0, 1);
    s.real("unsubscribe_email", -6.0, "logit of unsubscribing after an email at fatigue 0");
    s.real("unsubscribe_sms", -5.0, "logit of unsubscribing after an SMS at fatigue 0");
    s.real("unsubscribe_push", -5.5, "logit of unsubscribing after a push at fatigue 0");
    s.real("unsubscribe_fatigue", 1.0, "unsubscribe logit per unit of the channel's fatigue")
        .at_least(0);
    s.real("churn_base", -7.5, "daily logit of leaving for good at fatigue 0");
    s.real("churn_fatigue", 2.0, "churn logit per unit of fatigue summed over channels")
        .at_least(0);
    s.real("expectation_learning", 0.5,
           "share of the gap to a discount's depth that the discount expectation closes")
        .range(0, 1);
    s.real("expectation_decay", 0.02, "share of the discount expectation forgotten per day")
        .range(0, 1);
    s.integer("max_contacts_per_week", 2, "contacts allowed in any 7 days (a mask)").range(0, 7);
    s.real("discount_budget", 0.0,
           "money an episode may give away in discounts (a mask); 0: no budget")
        .at_least(0);
    return s;
  }

  CampaignEnv(const Params& params, const PluginContext& ctx)
      : catalog_(
            toolkit::parse_marketing_catalog(params.get("catalog"), params.key_path("catalog"))),
        users_(params.get("users"), params.key_path("users"), ctx.logger),
        horizon_(static_cast<int>(params.get_int("horizon"))),
        consent_rate_{params.get_double("consent_email_rate"),
                      params.get_double("consent_sms_rate"),
                      params.get_double("consent_push_rate")},
        fatigue_per_contact_(params.get_double("fatigue_per_contact")),
        fatigue_decay_(params.get_double("fatigue_decay")),
        unsubscribe_base_{params.get_double("unsubscribe_email"),
                          params.get_double("unsubscribe_sms"),
                          params.get_double("unsubscribe_push")},
        unsubscribe_fatigue_(params.get_double("unsubscribe_fatigue")),
        churn_base_(params.get_double("churn_base")),
        churn_fatigue_(params.get_double("churn_fatigue")),
        expectation_learning_(params.get_double("expectation_learning")),
        expectation_decay_(params.get_double("expectation_decay")),
        max_contacts_(static_cast<int>(params.get_int("max_contacts_per_week"))),
        budget_(params.get_double("discount_budget")) {
    if (std::none_of(catalog_.begin(), catalog_.end(),
                     [](const toolkit::MarketingAction& a) { return a.wait(); }))
      throw params.error("catalog",
                         "the campaign environment needs `wait` in its catalog: the day without "
                         "a contact, which contact rules always allow");
    const toolkit::PurchaseCoefficients purchase = toolkit::read_purchase_parameters(params, true);
    spec_ = make_spec(purchase);
    purchase_.emplace(purchase, spec_.observation, params.where(), params.key_path("catalog"),
                      "campaign");
    state_ = Vector::Zero(spec_.observation.size);
  }

  const EnvSpec& spec() const override { return spec_; }

  void reset(Rng& rng, VectorRef obs) override {
    toolkit::User user;
    users_.draw(rng, user);
    state_.setZero();
    for (int f = 0; f < toolkit::kSeedFeatureCount; ++f) state_[f] = user[f];
    for (int c = 0; c < kChannels; ++c)
      state_[kConsentEmail + c] = rng.bernoulli(consent_rate_[c]) ? 1.0f : 0.0f;
    state_[kDaysSinceContact] = static_cast<Scalar>(kMaxDaysSinceContact);
    state_[kDaysLeft] = static_cast<Scalar>(horizon_);
    if (budget_ > 0) state_[kBudgetLeft] = static_cast<Scalar>(budget_);
    contacted_.fill(0);
    day_ = 0;
    counts_.fill(0.0);
    obs = state_;
  }

  EnvStep step(int action, Rng& rng, VectorRef next_obs) override {
    RECRL_ASSERT(action >= 0 && action < spec_.action.size, "campaign: action out of range");
    const toolkit::MarketingAction& a = catalog_[static_cast<std::size_t>(action)];
    // Three draws a day whatever the action, so that a policy's choices never shift the
    // stream: purchase, unsubscribe, churn.
    const double u_purchase = rng.uniform();
    const double u_unsubscribe = rng.uniform();
    const double u_churn = rng.uniform();

    // Everything the day's chances depend on is read from the morning's state.
    const bool bought = u_purchase < purchase_->probability(state_, a);
    const double order = purchase_->order_value(state_);

    std::array<double, kChannels> fatigue{};
    for (int c = 0; c < kChannels; ++c) fatigue[c] = state_[kFatigueEmail + c];
    bool unsubscribed = false;
    if (!a.wait()) {
      const int c = channel_index(a.channel);
      fatigue[c] += fatigue_per_contact_;
      unsubscribed =
          u_unsubscribe < sigmoid(unsubscribe_base_[c] + unsubscribe_fatigue_ * fatigue[c]);
      counts_[kContacts] += 1;
    }
    const double total_fatigue = fatigue[0] + fatigue[1] + fatigue[2];
    const bool churned = u_churn < sigmoid(churn_base_ + churn_fatigue_ * total_fatigue);

    write_tomorrow(a, bought, order, fatigue, unsubscribed);
    if (unsubscribed) counts_[kUnsubscribes] += 1;
    if (churned) counts_[kChurned] = 1;
    ++day_;
    next_obs = state_;
    return EnvStep{0.0, churned || day_ >= horizon_, false};
  }

  // A contact is allowed on a consented channel, while the last 7 days hold fewer than
  // max_contacts_per_week contacts and, with a budget, while the discount's cost on the
  // customer's order fits in what is left. `wait` is always allowed.
  bool has_action_masks() const override { return true; }
  void allowed_actions(ConstVectorRef obs, std::span<std::uint8_t> allowed) const override {
    const bool may_contact = obs[kContactsLast7Days] < static_cast<Scalar>(max_contacts_);
    const double order = purchase_->order_value(obs);
    for (std::size_t i = 0; i < catalog_.size(); ++i) {
      const toolkit::MarketingAction& a = catalog_[i];
      bool ok = true;
      if (!a.wait()) {
        ok = may_contact && obs[kConsentEmail + channel_index(a.channel)] > 0.5f;
        if (ok && budget_ > 0 && a.discount > 0)
          ok = order * a.discount / 100.0 <= static_cast<double>(obs[kBudgetLeft]);
      }
      allowed[i] = ok ? 1 : 0;
    }
  }

  const std::vector<std::string>& counters() const override { return counter_names_; }
  void episode_counters(std::span<double> counts) const override {
    std::copy(counts_.begin(), counts_.end(), counts.begin());
  }

  bool supports_checkpoints() const override { return true; }
  void save_state(std::ostream& out) const override {
    toolkit::write_tag(out, kStateTag);
    toolkit::write_values(out, state_.data(), static_cast<std::size_t>(state_.size()));
    toolkit::write_values(out, contacted_.data(), contacted_.size());
    toolkit::write_pod<std::int32_t>(out, day_);
    toolkit::write_values(out, counts_.data(), counts_.size());
  }
  void load_state(std::istream& in) override {
    toolkit::expect_tag(in, kStateTag);
    Vector state(state_.size());
    toolkit::read_values(in, state.data(), static_cast<std::size_t>(state.size()), kStateTag);
    std::array<std::uint8_t, kWeek> contacted{};
    toolkit::read_values(in, contacted.data(), contacted.size(), kStateTag);
    const auto day = toolkit::read_pod<std::int32_t>(in, kStateTag);
    std::array<double, 3> counts{};
    toolkit::read_values(in, counts.data(), counts.size(), kStateTag);
    if (day < 0 || day > horizon_) {
      throw DataError(SourceLocation{}, std::string(kStateTag) + ": day " + std::to_string(day) +
                                            " outside the horizon " + std::to_string(horizon_));
    }
    state_ = state;
    contacted_ = contacted;
    day_ = day;
    counts_ = counts;
  }

 private:
  enum Counter { kContacts, kUnsubscribes, kChurned };

  // The evening: the day's contact, purchase, unsubscribe and the night's decay, written into
  // state_ as tomorrow's observation.
  void write_tomorrow(const toolkit::MarketingAction& a, bool bought, double order,
                      const std::array<double, kChannels>& fatigue, bool unsubscribed) {
    // Contacts in the last 7 days: a ring of the last 7 days' contacts, today's in slot day % 7.
    contacted_[static_cast<std::size_t>(day_ % kWeek)] = a.wait() ? 0 : 1;
    int contacts = 0;
    for (std::uint8_t c : contacted_) contacts += c;
    state_[kContactsLast7Days] = static_cast<Scalar>(contacts);
    state_[kDaysSinceContact] = static_cast<Scalar>(
        a.wait() ? std::min(kMaxDaysSinceContact, state_[kDaysSinceContact] + 1.0) : 1.0);
    for (int c = 0; c < kChannels; ++c)
      state_[kFatigueEmail + c] = static_cast<Scalar>(fatigue[c] * fatigue_decay_);
    if (unsubscribed) state_[kConsentEmail + channel_index(a.channel)] = 0.0f;

    double expectation = state_[kDiscountExpectation];
    if (a.discount > 0) expectation += expectation_learning_ * (a.discount - expectation);
    state_[kDiscountExpectation] = static_cast<Scalar>(expectation * (1.0 - expectation_decay_));

    using toolkit::kFrequency, toolkit::kLastPurchaseDays, toolkit::kMonetaryValue,
        toolkit::kRecency;
    if (bought) {
      const double paid = order * (1.0 - a.discount / 100.0);
      state_[kMonetaryValue] =
          static_cast<Scalar>(std::round((state_[kMonetaryValue] + paid) * 100.0) / 100.0);
      state_[kFrequency] += 1.0f;
      state_[kLastPurchaseDays] = 0.0f;
      state_[kRecency] = 0.0f;
      if (budget_ > 0)
        state_[kBudgetLeft] =
            static_cast<Scalar>(std::max(0.0, state_[kBudgetLeft] - order * a.discount / 100.0));
    } else {
      state_[kLastPurchaseDays] =
          static_cast<Scalar>(std::min(toolkit::kMaxDays, state_[kLastPurchaseDays] + 1.0));
      state_[kRecency] = static_cast<Scalar>(std::min(toolkit::kMaxDays, state_[kRecency] + 1.0));
    }
    state_[kDaysLeft] -= 1.0f;
  }

  EnvSpec make_spec(const toolkit::PurchaseCoefficients& purchase) const {
    EnvSpec spec;
    spec.name = "campaign";
    Space& o = spec.observation;
    o.kind = Space::Kind::Box;
    const auto add = [&o](std::string name, double high, bool flag) {
      o.labels.push_back(std::move(name));
      o.low.push_back(0.0);
      o.high.push_back(high);
      o.binary.push_back(flag);
    };
    for (const toolkit::FeatureInfo& feature : toolkit::kSeedFeatures)
      add(std::string(feature.name),
          feature.range == toolkit::FeatureRange::NonNegative ? toolkit::kInf : 1.0,
          feature.range == toolkit::FeatureRange::Flag);
    for (const char* name : {"consent_email", "consent_sms", "consent_push"}) add(name, 1.0, true);
    add("days_since_contact", kMaxDaysSinceContact, false);
    add("contacts_last_7_days", kWeek, false);
    for (const char* name : {"fatigue_email", "fatigue_sms", "fatigue_push"})
      add(name, toolkit::kInf, false);
    add("discount_expectation", 100.0, false);
    add("days_left", horizon_, false);
    if (budget_ > 0) add("discount_budget_left", budget_, false);
    o.size = static_cast<int>(o.labels.size());

    spec.action.kind = Space::Kind::Discrete;
    spec.action.size = static_cast<int>(catalog_.size());
    for (const toolkit::MarketingAction& action : catalog_) {
      spec.action.labels.push_back(toolkit::label(action));
      spec.actions.push_back(toolkit::action_info(action));
    }
    spec.max_episode_steps = horizon_;
    spec.actions_affect_state = true;
    toolkit::publish_purchase_model(purchase, spec);
    return spec;
  }

  std::vector<toolkit::MarketingAction> catalog_;
  toolkit::UserSource users_;
  int horizon_;
  double consent_rate_[kChannels];
  double fatigue_per_contact_, fatigue_decay_;
  double unsubscribe_base_[kChannels];
  double unsubscribe_fatigue_, churn_base_, churn_fatigue_;
  double expectation_learning_, expectation_decay_;
  int max_contacts_;
  double budget_;
  EnvSpec spec_;
  std::optional<toolkit::PurchaseModel> purchase_;
  const std::vector<std::string> counter_names_{"contacts", "unsubscribes", "churned"};

  Vector state_;  // today's observation
  std::array<std::uint8_t, kWeek> contacted_{};
  int day_ = 0;
  std::array<double, 3> counts_{};
};

}  // namespace

}  // namespace recrl::campaign

RECRL_ENVIRONMENT_PLUGIN(recrl::campaign::CampaignEnv, "campaign", "1.0.0",
                         "a customer over a month of days: fatigue, unsubscribes, churn, "
                         "discount expectations, contact rules as masks")
