// The `conversion` reward (README.md beside this file): whether the customer buys after the
// message, and what the company keeps of it. A customer converts with probability
//   p = sigmoid(z),  z = base + engagement * engagement_score
//                        + frequency * min(frequency, 12) - recency * min(last_purchase_days, 365)
//                        / 30
//                        + response * (the channel's rate: email_opens, sms_response or
//                        push_response)
//                        + discount_lift * percent / 10 * (1 if discount_sensitive else
//                        insensitive_share)
//                        + free_shipping_lift * (1 if free_shipping_preferred else
//                        insensitive_share)
//                        + reminder_lift
// (a `wait` has no channel, offer or contact: the customer's own chance of buying). The order is
// worth order_value = clamp(monetary_value / max(frequency, 1), min_order, max_order), and the
// reward is the margin
//   margin = converted * (order_value * (margin_rate - percent / 100) - shipping_cost [free
//            shipping]) - contact_cost[channel],
// converted drawn Bernoulli(p) in training (one uniform draw per step, whatever the action), p in
// expected(), which gives the oracle. Components: converted, revenue (order_value * (1 -
// percent/100) when converted), discount_cost (the discount and shipping given away),
// contact_cost and margin.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <string>
#include <vector>

#include "recrl/plugin/export.hpp"
#include "recrl/toolkit/spaces_check.hpp"

namespace recrl::conversion {

namespace {

enum class Channel { Email, Sms, Push, None };

struct Pricing {
  double percent = 0;  // discount
  bool free_shipping = false;
  bool reminder = false;
  Channel channel = Channel::None;
};

double sigmoid(double z) { return 1.0 / (1.0 + std::exp(-z)); }

class Conversion final : public RewardFunction {
 public:
  static ParamSchema schema() {
    ParamSchema s;
    s.real("base", -3.0, "logit of buying for a customer with every term at 0");
    s.real("engagement", 1.5, "logit per unit of engagement_score");
    s.real("frequency", 0.12, "logit per purchase in the last year (up to 12)");
    s.real("recency", 0.15, "logit lost per 30 days since the last purchase (up to 365)");
    s.real("response", 2.0, "logit per unit of the channel's response rate");
    s.real("discount_lift", 0.4,
           "logit per 10 percent of discount for a discount-sensitive customer");
    s.real("free_shipping_lift", 0.8, "logit of free shipping for a customer who prefers it");
    s.real("reminder_lift", 0.3, "logit of a reminder");
    s.real("insensitive_share", 0.25,
           "share of the discount or free-shipping lift for a customer not sensitive to it")
        .range(0, 1);
    s.real("margin_rate", 0.35, "share of the order's full price the company keeps").range(0, 1);
    s.real("min_order", 20.0, "smallest order value").at_least(0);
    s.real("max_order", 500.0, "largest order value").at_least(0);
    s.real("shipping_cost", 6.0, "what free shipping costs on an order").at_least(0);
    s.real("email_cost", 0.02, "cost of one email").at_least(0);
    s.real("sms_cost", 0.08, "cost of one SMS").at_least(0);
    s.real("push_cost", 0.01, "cost of one push notification").at_least(0);
    return s;
  }

  Conversion(const Params& p, const PluginContext& ctx)
      : base_(p.get_double("base")),
        engagement_(p.get_double("engagement")),
        frequency_(p.get_double("frequency")),
        recency_(p.get_double("recency")),
        response_(p.get_double("response")),
        discount_lift_(p.get_double("discount_lift")),
        free_shipping_lift_(p.get_double("free_shipping_lift")),
        reminder_lift_(p.get_double("reminder_lift")),
        insensitive_(p.get_double("insensitive_share")),
        margin_rate_(p.get_double("margin_rate")),
        min_order_(p.get_double("min_order")),
        max_order_(p.get_double("max_order")),
        shipping_cost_(p.get_double("shipping_cost")),
        contact_cost_{p.get_double("email_cost"), p.get_double("sms_cost"),
                      p.get_double("push_cost"), 0.0},
        where_(p.where()),
        key_path_(ctx.key_path.empty() ? "reward" : ctx.key_path) {
    if (min_order_ > max_order_) throw p.error("max_order", "must be >= min_order");
    if (ctx.env == nullptr) throw error("conversion needs the environment's spec");
    resolve_features(ctx.env->observation);
    resolve_actions(*ctx.env);
  }

  const std::vector<std::string>& components() const override { return components_; }

  double compute(const Transition& t, Rng& rng, std::span<double> parts) override {
    const Outcome o = outcome(t);
    const bool converted = rng.uniform() < o.probability;
    const double c = converted ? 1.0 : 0.0;
    parts[0] = c;
    parts[1] = c * o.revenue;
    parts[2] = c * o.given_away;
    parts[3] = o.contact_cost;
    parts[4] = c * o.kept - o.contact_cost;
    return parts[4];
  }

  std::optional<double> expected(const Transition& t) const override {
    const Outcome o = outcome(t);
    return o.probability * o.kept - o.contact_cost;
  }

 private:
  struct Outcome {
    double probability;
    double revenue;     // what the customer pays
    double given_away;  // the discount and the shipping paid for them
    double kept;        // margin on the order after what was given away
    double contact_cost;
  };

  Outcome outcome(const Transition& t) const {
    RECRL_ASSERT(t.action >= 0 && static_cast<std::size_t>(t.action) < pricing_.size(),
                 "conversion: action out of range");
    const Pricing& a = pricing_[static_cast<std::size_t>(t.action)];
    const auto& x = t.obs;
    const double frequency = std::max(0.0, static_cast<double>(x[frequency_f_]));
    double z = base_ + engagement_ * x[engagement_f_] + frequency_ * std::min(frequency, 12.0) -
               recency_ * std::min(static_cast<double>(x[last_purchase_f_]), 365.0) / 30.0;
    if (a.channel != Channel::None) {
      const Eigen::Index rate = a.channel == Channel::Email ? email_f_
                                : a.channel == Channel::Sms ? sms_f_
                                                            : push_f_;
      z += response_ * x[rate];
      const double discount_share = x[discount_sensitive_f_] > 0.5f ? 1.0 : insensitive_;
      const double shipping_share = x[free_shipping_f_] > 0.5f ? 1.0 : insensitive_;
      z += discount_lift_ * a.percent / 10.0 * discount_share;
      if (a.free_shipping) z += free_shipping_lift_ * shipping_share;
      if (a.reminder) z += reminder_lift_;
    }
    const double order =
        std::clamp(x[monetary_f_] / std::max(frequency, 1.0), min_order_, max_order_);
    const double shipping = a.free_shipping ? shipping_cost_ : 0.0;
    Outcome o;
    o.probability = sigmoid(z);
    o.revenue = order * (1.0 - a.percent / 100.0);
    o.given_away = order * a.percent / 100.0 + shipping;
    o.kept = order * (margin_rate_ - a.percent / 100.0) - shipping;
    o.contact_cost = contact_cost_[static_cast<std::size_t>(a.channel)];
    return o;
  }

  ConfigError error(const std::string& message) const {
    return ConfigError(where_, key_path_, message);
  }

  void resolve_features(const Space& observation) {
    const auto f = toolkit::require_features(
        observation, where_, key_path_, "conversion",
        {"frequency", "monetary_value", "engagement_score", "last_purchase_days",
         "discount_sensitive", "free_shipping_preferred", "email_opens", "sms_response",
         "push_response"});
    frequency_f_ = f[0];
    monetary_f_ = f[1];
    engagement_f_ = f[2];
    last_purchase_f_ = f[3];
    discount_sensitive_f_ = f[4];
    free_shipping_f_ = f[5];
    email_f_ = f[6];
    sms_f_ = f[7];
    push_f_ = f[8];
  }

  void resolve_actions(const EnvSpec& env) {
    if (env.action.kind != Space::Kind::Discrete ||
        env.actions.size() != static_cast<std::size_t>(env.action.size)) {
      throw error(
          "conversion needs a catalog of actions with the fields offer, value and "
          "channel; environment '" +
          env.name + "' has none");
    }
    for (std::size_t i = 0; i < env.actions.size(); ++i) {
      const ActionInfo& action = env.actions[i];
      const auto field = [&](const char* name) -> std::string {
        const std::string* value = action.field(name);
        if (value == nullptr)
          throw error("conversion needs field '" + std::string(name) +
                      "' of every action; action " + std::to_string(i) + " " + action.label +
                      " has none");
        return *value;
      };
      const std::string offer = field("offer");
      const std::string channel = field("channel");
      const std::string value = field("value");
      Pricing p;
      const auto [end, failure] =
          std::from_chars(value.data(), value.data() + value.size(), p.percent);
      if (failure != std::errc() || end != value.data() + value.size() || p.percent < 0 ||
          p.percent > 100)
        throw error("conversion needs a percentage 'value' of every action; action " +
                    std::to_string(i) + " " + action.label + " has '" + value + "'");
      const std::string* fs = action.field("free_shipping");
      const std::string* reminder = action.field("reminder");
      p.free_shipping = fs ? *fs == "1" : offer == "free_shipping";
      p.reminder = reminder ? *reminder == "1" : offer == "reminder";
      p.channel = channel == "email"  ? Channel::Email
                  : channel == "sms"  ? Channel::Sms
                  : channel == "push" ? Channel::Push
                                      : Channel::None;
      if (p.channel == Channel::None && offer != "wait")
        throw error("conversion prices email, sms and push; action " + std::to_string(i) + " " +
                    action.label + " is sent by '" + channel + "'");
      pricing_.push_back(p);
    }
  }

  const std::vector<std::string> components_{"converted", "revenue", "discount_cost",
                                             "contact_cost", "margin"};
  double base_, engagement_, frequency_, recency_, response_;
  double discount_lift_, free_shipping_lift_, reminder_lift_, insensitive_;
  double margin_rate_, min_order_, max_order_, shipping_cost_;
  double contact_cost_[4];
  SourceLocation where_;
  std::string key_path_;
  Eigen::Index frequency_f_ = 0, monetary_f_ = 0, engagement_f_ = 0, last_purchase_f_ = 0;
  Eigen::Index discount_sensitive_f_ = 0, free_shipping_f_ = 0;
  Eigen::Index email_f_ = 0, sms_f_ = 0, push_f_ = 0;
  std::vector<Pricing> pricing_;  // one per catalog entry
};

}  // namespace

}  // namespace recrl::conversion

RECRL_REWARD_PLUGIN(
    recrl::conversion::Conversion, "conversion", "1.0.0",
    "margin of a logistic conversion: order value, discount, shipping, contact cost")
