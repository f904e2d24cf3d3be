#include "recrl/toolkit/purchase_model.hpp"

#include <algorithm>
#include <cmath>
#include <utility>
#include <vector>

#include "recrl/toolkit/spaces_check.hpp"

namespace recrl::toolkit {

namespace {

// Each coefficient's name, place and meaning, in the order the parameters are declared.
struct CoefficientInfo {
  const char* name;
  double PurchaseCoefficients::*field;
  const char* doc;
  double at_least;  // -inf: unbounded
  bool campaign;
};

constexpr double kUnbounded = -1e308;

const std::vector<CoefficientInfo>& coefficient_infos() {
  using C = PurchaseCoefficients;
  static const std::vector<CoefficientInfo> infos = {
      {"base", &C::base, "logit of buying with every term at 0", kUnbounded, false},
      {"engagement", &C::engagement, "logit per unit of engagement_score", kUnbounded, false},
      {"frequency", &C::frequency, "logit per purchase in the last year (up to 12)", kUnbounded,
       false},
      {"recency", &C::recency, "logit lost per 30 days since the last purchase (up to 365)",
       kUnbounded, false},
      {"response", &C::response, "logit per unit of the contacting channel's response rate",
       kUnbounded, false},
      {"discount_lift", &C::discount_lift,
       "logit per 10 percent of discount for a discount-sensitive customer", kUnbounded, false},
      {"free_shipping_lift", &C::free_shipping_lift,
       "logit of free shipping for a customer who prefers it", kUnbounded, false},
      {"reminder_lift", &C::reminder_lift, "logit of a reminder", kUnbounded, false},
      {"insensitive_share", &C::insensitive_share,
       "share of the discount or free-shipping lift for a customer not sensitive to it", 0.0,
       false},
      {"min_order", &C::min_order, "smallest order value", 0.0, false},
      {"max_order", &C::max_order, "largest order value", 0.0, false},
      {"fatigue_response", &C::fatigue_response,
       "the channel's response rate is divided by 1 + this * the channel's fatigue", 0.0, true},
      {"expectation_penalty", &C::expectation_penalty,
       "logit lost per 10 points of discount expectation above the discount offered", 0.0, true},
  };
  return infos;
}

constexpr const char* kConstantPrefix = "purchase.";

double sigmoid(double z) { return 1.0 / (1.0 + std::exp(-z)); }

}  // namespace

void declare_purchase_parameters(ParamSchema& schema, const PurchaseCoefficients& defaults,
                                 bool campaign_terms) {
  for (const CoefficientInfo& info : coefficient_infos()) {
    if (info.campaign && !campaign_terms) continue;
    ParamSpec& spec = schema.real(info.name, defaults.*info.field, info.doc);
    if (info.at_least > kUnbounded) spec.at_least(info.at_least);
    if (info.field == &PurchaseCoefficients::insensitive_share) spec.range(0, 1);
  }
}

PurchaseCoefficients read_purchase_parameters(const Params& params, bool campaign_terms) {
  PurchaseCoefficients c;
  for (const CoefficientInfo& info : coefficient_infos()) {
    if (info.campaign && !campaign_terms) continue;
    c.*info.field = params.get_double(info.name);
  }
  if (c.min_order > c.max_order) throw params.error("max_order", "must be >= min_order");
  return c;
}

void publish_purchase_model(const PurchaseCoefficients& coefficients, EnvSpec& spec) {
  for (const CoefficientInfo& info : coefficient_infos())
    spec.constants.emplace_back(std::string(kConstantPrefix) + info.name, coefficients.*info.field);
}

std::optional<PurchaseCoefficients> published_purchase_model(const EnvSpec& spec) {
  PurchaseCoefficients c;
  for (const CoefficientInfo& info : coefficient_infos()) {
    const std::optional<double> value = spec.constant(std::string(kConstantPrefix) + info.name);
    if (!value) return std::nullopt;
    c.*info.field = *value;
  }
  return c;
}

PurchaseModel::PurchaseModel(const PurchaseCoefficients& coefficients, const Space& observation,
                             const SourceLocation& where, const std::string& key_path,
                             const std::string& plugin)
    : c_(coefficients) {
  const auto f =
      require_features(observation, where, key_path, plugin,
                       {"frequency", "monetary_value", "engagement_score", "last_purchase_days",
                        "discount_sensitive", "free_shipping_preferred", "email_opens",
                        "sms_response", "push_response"});
  frequency_ = f[0];
  monetary_ = f[1];
  engagement_ = f[2];
  last_purchase_ = f[3];
  discount_sensitive_ = f[4];
  free_shipping_ = f[5];
  for (int c = 0; c < 3; ++c) rate_[c] = f[6 + static_cast<std::size_t>(c)];
  const char* fatigue_names[3] = {"fatigue_email", "fatigue_sms", "fatigue_push"};
  for (int c = 0; c < 3; ++c) fatigue_[c] = observation.index_of(fatigue_names[c]).value_or(-1);
  expectation_ = observation.index_of("discount_expectation").value_or(-1);
}

double PurchaseModel::probability(ConstVectorRef x, const MarketingAction& a) const {
  const double frequency = std::max(0.0, static_cast<double>(x[frequency_]));
  double z = c_.base + c_.engagement * x[engagement_] + c_.frequency * std::min(frequency, 12.0) -
             c_.recency * std::min(static_cast<double>(x[last_purchase_]), 365.0) / 30.0;
  if (expectation_ >= 0)
    z -= c_.expectation_penalty * std::max(0.0, x[expectation_] - a.discount) / 10.0;
  if (!a.wait()) {
    const int channel = static_cast<int>(a.channel) - static_cast<int>(Channel::Email);
    double rate = x[rate_[channel]];
    if (fatigue_[channel] >= 0) rate /= 1.0 + c_.fatigue_response * x[fatigue_[channel]];
    z += c_.response * rate;
    const double discount_share = x[discount_sensitive_] > 0.5f ? 1.0 : c_.insensitive_share;
    const double shipping_share = x[free_shipping_] > 0.5f ? 1.0 : c_.insensitive_share;
    z += c_.discount_lift * a.discount / 10.0 * discount_share;
    if (a.free_shipping) z += c_.free_shipping_lift * shipping_share;
    if (a.reminder) z += c_.reminder_lift;
  }
  return sigmoid(z);
}

double PurchaseModel::order_value(ConstVectorRef x) const {
  const double frequency = std::max(0.0, static_cast<double>(x[frequency_]));
  return std::clamp(static_cast<double>(x[monetary_]) / std::max(frequency, 1.0), c_.min_order,
                    c_.max_order);
}

}  // namespace recrl::toolkit
