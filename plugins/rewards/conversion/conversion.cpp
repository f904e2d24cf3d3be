// The `conversion` reward (README.md beside this file): whether the customer buys after the
// message, and what the company keeps of it. The purchase model is the toolkit's
// (recrl/toolkit/purchase_model.hpp): p = sigmoid(z) of the customer's features, the offer and
// the channel's response. The reward is the margin
//   margin = converted * (order_value * (margin_rate - percent / 100) - shipping_cost [free
//            shipping]) - contact_cost[channel].
// Two ways to know `converted`:
//   - the environment only shows customers (recommendation): the reward draws it, one uniform
//     draw per step whatever the action, with this reward's own purchase coefficients;
//   - the environment draws purchases itself and publishes its purchase model (campaign): the
//     reward reads the purchase from the next observation (last_purchase_days == 0, the day of
//     the purchase) and prices it; its expected value uses the environment's coefficients.
// expected() replaces `converted` by p, which gives the oracle and the myopic baseline.
// Components: converted, revenue (order_value * (1 - percent/100) when converted),
// discount_cost (the discount and shipping given away), contact_cost and margin.
#include <charconv>
#include <optional>
#include <string>
#include <vector>

#include "recrl/plugin/export.hpp"
#include "recrl/toolkit/marketing_catalog.hpp"
#include "recrl/toolkit/purchase_model.hpp"

namespace recrl::conversion {

namespace {

class Conversion final : public RewardFunction {
 public:
  static ParamSchema schema() {
    ParamSchema s;
    toolkit::declare_purchase_parameters(s, toolkit::PurchaseCoefficients{}, false);
    s.real("margin_rate", 0.35, "share of the order's full price the company keeps").range(0, 1);
    s.real("shipping_cost", 6.0, "what free shipping costs on an order").at_least(0);
    s.real("email_cost", 0.02, "cost of one email").at_least(0);
    s.real("sms_cost", 0.08, "cost of one SMS").at_least(0);
    s.real("push_cost", 0.01, "cost of one push notification").at_least(0);
    return s;
  }

  Conversion(const Params& p, const PluginContext& ctx)
      : margin_rate_(p.get_double("margin_rate")),
        shipping_cost_(p.get_double("shipping_cost")),
        contact_cost_{0.0, p.get_double("email_cost"), p.get_double("sms_cost"),
                      p.get_double("push_cost")},
        where_(p.where()),
        key_path_(ctx.key_path.empty() ? "reward" : ctx.key_path) {
    if (ctx.env == nullptr) throw error("conversion needs the environment's spec");
    const std::optional<toolkit::PurchaseCoefficients> env_model =
        toolkit::published_purchase_model(*ctx.env);
    if (env_model) refuse_own_coefficients(p, ctx.env->name);
    model_.emplace(env_model ? *env_model : toolkit::read_purchase_parameters(p, false),
                   ctx.env->observation, where_, key_path_, "conversion");
    if (env_model) {
      // validated by the model's constructor above
      last_purchase_f_ = *ctx.env->observation.index_of("last_purchase_days");
      env_decides_ = true;
    }
    resolve_actions(*ctx.env);
  }

  const std::vector<std::string>& components() const override { return components_; }

  double compute(const Transition& t, Rng& rng, std::span<double> parts) override {
    const Outcome o = outcome(t);
    const bool converted =
        env_decides_ ? t.next_obs[last_purchase_f_] == 0 : rng.uniform() < o.probability;
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

  // converted, revenue and discount_cost weighted by the probability of the purchase.
  bool expected_components(const Transition& t, std::span<double> parts) const override {
    const Outcome o = outcome(t);
    parts[0] = o.probability;
    parts[1] = o.probability * o.revenue;
    parts[2] = o.probability * o.given_away;
    parts[3] = o.contact_cost;
    parts[4] = o.probability * o.kept - o.contact_cost;
    return true;
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
    RECRL_ASSERT(t.action >= 0 && static_cast<std::size_t>(t.action) < actions_.size(),
                 "conversion: action out of range");
    const toolkit::MarketingAction& a = actions_[static_cast<std::size_t>(t.action)];
    const double order = model_->order_value(t.obs);
    const double shipping = a.free_shipping ? shipping_cost_ : 0.0;
    Outcome o;
    o.probability = model_->probability(t.obs, a);
    o.revenue = order * (1.0 - a.discount / 100.0);
    o.given_away = order * a.discount / 100.0 + shipping;
    o.kept = order * (margin_rate_ - a.discount / 100.0) - shipping;
    o.contact_cost = contact_cost_[static_cast<std::size_t>(a.channel)];
    return o;
  }

  ConfigError error(const std::string& message) const {
    return ConfigError(where_, key_path_, message);
  }

  // With an environment that decides purchases, its purchase model is the one; a coefficient
  // written here as well would silently mean nothing, so it is refused.
  static void refuse_own_coefficients(const Params& p, const std::string& env) {
    ParamSchema purchase;
    toolkit::declare_purchase_parameters(purchase, toolkit::PurchaseCoefficients{}, false);
    for (const ParamSpec& spec : purchase.specs()) {
      const std::string& name = spec.name;
      if (p.get(name).where().line > 0)
        throw p.error(name, "environment '" + env +
                                "' decides purchases with its own purchase model; set '" + name +
                                "' in env.params, not here");
    }
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
      toolkit::MarketingAction a;
      const auto [end, failure] =
          std::from_chars(value.data(), value.data() + value.size(), a.discount);
      if (failure != std::errc() || end != value.data() + value.size() || a.discount < 0 ||
          a.discount > 100)
        throw error("conversion needs a percentage 'value' of every action; action " +
                    std::to_string(i) + " " + action.label + " has '" + value + "'");
      const std::string* fs = action.field("free_shipping");
      const std::string* reminder = action.field("reminder");
      a.free_shipping = fs ? *fs == "1" : offer == "free_shipping";
      a.reminder = reminder ? *reminder == "1" : offer == "reminder";
      a.channel = channel == "email"  ? toolkit::Channel::Email
                  : channel == "sms"  ? toolkit::Channel::Sms
                  : channel == "push" ? toolkit::Channel::Push
                                      : toolkit::Channel::None;
      if (a.channel == toolkit::Channel::None && offer != "wait")
        throw error("conversion prices email, sms and push; action " + std::to_string(i) + " " +
                    action.label + " is sent by '" + channel + "'");
      actions_.push_back(a);
    }
  }

  const std::vector<std::string> components_{"converted", "revenue", "discount_cost",
                                             "contact_cost", "margin"};
  double margin_rate_, shipping_cost_;
  double contact_cost_[4];  // by toolkit::Channel: none, email, sms, push
  SourceLocation where_;
  std::string key_path_;
  std::optional<toolkit::PurchaseModel> model_;
  bool env_decides_ = false;
  Eigen::Index last_purchase_f_ = 0;
  std::vector<toolkit::MarketingAction> actions_;  // one per catalog entry
};

}  // namespace

}  // namespace recrl::conversion

RECRL_REWARD_PLUGIN(
    recrl::conversion::Conversion, "conversion", "1.0.0",
    "margin of a logistic conversion: order value, discount, shipping, contact cost")
