// The `seed_rules` reward: the seed report's hand-written rules, exactly as
// docs/environments/recommendation.md states them (defaults shown):
//   targeting +0.5  the offer fits the user: discount for a discount-sensitive user,
//                   free_shipping for a free-shipping-preferred one, reminder for a user who is
//                   neither;
//   channel   +0.3  the channel is the user's best: the largest of email_opens, sms_response,
//                   push_response, ties going to the earlier of email, sms, push;
//   value_fit +0.1  a discount earned targeting and its depth fits the customer's value tier:
//                   >= 15% when monetary_value >= 150, < 15% below;
//   noise           Normal(0, noise_std), drawn only when noise_std > 0, so that a noiseless
//                   run consumes no randomness;
//   the total is clipped to [0, 1]. expected() is the clipped noiseless sum.
// Everything the rules need (feature indices, each action's offer, depth and channel) is
// resolved once, in the constructor, so compute() is a few comparisons and never allocates.
#include <algorithm>
#include <charconv>
#include <string>
#include <vector>

#include "recrl/plugin/export.hpp"
#include "recrl/toolkit/spaces_check.hpp"

namespace recrl::seed_rules {

namespace {

enum class Offer { Discount, FreeShipping, Reminder, Other };
enum class Channel { Email, Sms, Push, Other };

// What compute() needs to know about one catalog entry.
struct ActionRule {
  Offer offer;
  Channel channel;
  bool deep;  // a discount of at least value_depth percent
};

// A flag feature counts as set above 0.5 (environments give exactly 0 or 1).
bool is_set(float flag) { return flag > 0.5f; }

class SeedRules final : public RewardFunction {
 public:
  static ParamSchema schema() {
    ParamSchema s;
    s.real("targeting", 0.5, "weight of the term for an offer that fits the user").range(0, 10);
    s.real("channel", 0.3, "weight of the term for the user's best channel").range(0, 10);
    s.real("value_fit", 0.1, "weight of the term for a discount depth that fits the value tier")
        .range(0, 10);
    s.real("value_threshold", 150.0, "monetary_value from which a customer is high-value")
        .at_least(0);
    s.real("value_depth", 15.0, "discount percent from which a discount is deep (high-value fit)")
        .greater_than(0)
        .at_most(100);
    s.real("noise_std", 0.0, "standard deviation of Normal noise added to each reward").at_least(0);
    return s;
  }

  SeedRules(const Params& params, const PluginContext& ctx)
      : targeting_weight_(params.get_double("targeting")),
        channel_weight_(params.get_double("channel")),
        value_fit_weight_(params.get_double("value_fit")),
        value_threshold_(params.get_double("value_threshold")),
        value_depth_(params.get_double("value_depth")),
        noise_std_(params.get_double("noise_std")),
        where_(params.where()),
        key_path_(ctx.key_path.empty() ? "reward" : ctx.key_path) {
    if (ctx.env == nullptr) throw error("seed_rules needs the environment's spec");
    resolve_features(ctx.env->observation);
    resolve_actions(*ctx.env);
  }

  const std::vector<std::string>& components() const override { return components_; }

  double compute(const Transition& t, Rng& rng, std::span<double> parts) override {
    RECRL_ASSERT(parts.size() == components_.size(), "seed_rules: parts has the wrong size");
    const Terms terms = evaluate(t);
    parts[0] = terms.targeting;
    parts[1] = terms.channel;
    parts[2] = terms.value_fit;
    parts[3] = noise_std_ > 0.0 ? rng.normal(0.0, noise_std_) : 0.0;
    return std::clamp(terms.sum() + parts[3], 0.0, 1.0);
  }

  std::optional<double> expected(const Transition& t) const override {
    return std::clamp(evaluate(t).sum(), 0.0, 1.0);
  }

  bool expected_components(const Transition& t, std::span<double> parts) const override {
    const Terms terms = evaluate(t);
    parts[0] = terms.targeting;
    parts[1] = terms.channel;
    parts[2] = terms.value_fit;
    parts[3] = 0.0;  // the noise's mean
    return true;
  }

 private:
  struct Terms {
    double targeting;
    double channel;
    double value_fit;
    double sum() const { return targeting + channel + value_fit; }
  };

  Terms evaluate(const Transition& t) const {
    RECRL_ASSERT(t.action >= 0 && static_cast<std::size_t>(t.action) < rules_.size(),
                 "seed_rules: action out of range");
    const ActionRule& rule = rules_[static_cast<std::size_t>(t.action)];
    const auto& user = t.obs;

    const bool discount_sensitive = is_set(user[discount_sensitive_]);
    const bool free_shipping_preferred = is_set(user[free_shipping_preferred_]);
    const bool targeted =
        (rule.offer == Offer::Discount && discount_sensitive) ||
        (rule.offer == Offer::FreeShipping && free_shipping_preferred) ||
        (rule.offer == Offer::Reminder && !discount_sensitive && !free_shipping_preferred);

    // Strict comparisons keep ties with the earlier channel.
    Channel best = Channel::Email;
    float best_rate = user[email_opens_];
    if (user[sms_response_] > best_rate) {
      best = Channel::Sms;
      best_rate = user[sms_response_];
    }
    if (user[push_response_] > best_rate) best = Channel::Push;

    const bool high_value = user[monetary_value_] >= value_threshold_;
    const bool value_fits = rule.offer == Offer::Discount && targeted && rule.deep == high_value;

    return Terms{targeted ? targeting_weight_ : 0.0, rule.channel == best ? channel_weight_ : 0.0,
                 value_fits ? value_fit_weight_ : 0.0};
  }

  ConfigError error(const std::string& message) const {
    return ConfigError(where_, key_path_, message);
  }

  void resolve_features(const Space& observation) {
    const auto f = toolkit::require_features(
        observation, where_, key_path_, "seed_rules",
        {"discount_sensitive", "free_shipping_preferred", "monetary_value", "email_opens",
         "sms_response", "push_response"});
    discount_sensitive_ = f[0];
    free_shipping_preferred_ = f[1];
    monetary_value_ = f[2];
    email_opens_ = f[3];
    sms_response_ = f[4];
    push_response_ = f[5];
  }

  void resolve_actions(const EnvSpec& env) {
    if (env.action.kind != Space::Kind::Discrete ||
        env.actions.size() != static_cast<std::size_t>(env.action.size)) {
      throw error(
          "seed_rules needs a discrete action catalog whose entries have the fields "
          "offer, value and channel; environment '" +
          env.name + "' has none");
    }
    for (std::size_t a = 0; a < env.actions.size(); ++a) {
      const ActionInfo& action = env.actions[a];
      const auto field = [&](const char* name) -> const std::string& {
        if (const std::string* value = action.field(name)) return *value;
        throw error("seed_rules needs field '" + std::string(name) + "' of every action; action " +
                    std::to_string(a) + " " + action.label + " has none");
      };
      const std::string& offer = field("offer");
      const std::string& channel = field("channel");

      // Offers and channels the rules do not name (another environment's "bundle" or
      // "in_app") are legal: they simply never fit a user.
      ActionRule rule{};
      rule.offer = offer == "discount"        ? Offer::Discount
                   : offer == "free_shipping" ? Offer::FreeShipping
                   : offer == "reminder"      ? Offer::Reminder
                                              : Offer::Other;
      rule.channel = channel == "email"  ? Channel::Email
                     : channel == "sms"  ? Channel::Sms
                     : channel == "push" ? Channel::Push
                                         : Channel::Other;
      if (rule.offer == Offer::Discount) {
        const std::string& value = field("value");
        double percent = 0.0;
        const auto [end, failure] =
            std::from_chars(value.data(), value.data() + value.size(), percent);
        if (failure != std::errc() || end != value.data() + value.size()) {
          throw error(
              "seed_rules needs a numeric 'value' (a percentage) of every discount; "
              "action " +
              std::to_string(a) + " " + action.label + " has '" + value + "'");
        }
        rule.deep = percent >= value_depth_;
      }
      rules_.push_back(rule);
    }
  }

  const std::vector<std::string> components_{"targeting", "channel", "value_fit", "noise"};
  double targeting_weight_;
  double channel_weight_;
  double value_fit_weight_;
  double value_threshold_;
  double value_depth_;
  double noise_std_;
  SourceLocation where_;
  std::string key_path_;

  Eigen::Index discount_sensitive_ = 0;
  Eigen::Index free_shipping_preferred_ = 0;
  Eigen::Index monetary_value_ = 0;
  Eigen::Index email_opens_ = 0;
  Eigen::Index sms_response_ = 0;
  Eigen::Index push_response_ = 0;
  std::vector<ActionRule> rules_;  // one per catalog entry
};

}  // namespace

}  // namespace recrl::seed_rules

RECRL_REWARD_PLUGIN(recrl::seed_rules::SeedRules, "seed_rules", "1.0.0",
                    "the seed report's rules: targeting, channel, value fit, optional noise")
