#pragma once

#include <optional>
#include <string>

#include <Eigen/Core>

#include "recrl/core/errors.hpp"
#include "recrl/core/export.hpp"
#include "recrl/core/params.hpp"
#include "recrl/core/spaces.hpp"
#include "recrl/core/types.hpp"
#include "recrl/toolkit/marketing_catalog.hpp"

namespace recrl::toolkit {

// The logistic purchase model that the `conversion` reward (one message) and the `campaign`
// environment (a customer's day) share, written once so that both say the same thing:
//   p = sigmoid(z),  z = base + engagement * engagement_score + frequency * min(frequency, 12)
//                        - recency * min(last_purchase_days, 365) / 30
//                        - expectation_penalty * max(0, discount_expectation - percent) / 10
//     and, when the action contacts the customer,
//                        + response * rate / (1 + fatigue_response * fatigue of the channel)
//                        + discount_lift * percent / 10 * s_d + free_shipping_lift * s_f [free
//                        shipping] + reminder_lift [reminder]
// (s_d, s_f: 1 for a customer sensitive to the offer, insensitive_share otherwise). The order is
// worth clamp(monetary_value / max(frequency, 1), min_order, max_order).
// plugins/rewards/conversion/README.md and docs/environments/campaign.md state it for users.
struct PurchaseCoefficients {
  double base = -3.0;
  double engagement = 1.5;
  double frequency = 0.12;
  double recency = 0.15;
  double response = 2.0;
  double discount_lift = 0.4;
  double free_shipping_lift = 0.8;
  double reminder_lift = 0.3;
  double insensitive_share = 0.25;
  double min_order = 20.0;
  double max_order = 500.0;
  // The campaign's terms, read only where the observation has the features they act on
  // (fatigue_email/_sms/_push, discount_expectation); 0 leaves them out.
  double fatigue_response = 0.0;
  double expectation_penalty = 0.0;
};

// Declares the coefficients as parameters, `defaults` as their defaults; with campaign_terms
// the last two as well.
RECRL_API void declare_purchase_parameters(ParamSchema& schema,
                                           const PurchaseCoefficients& defaults,
                                           bool campaign_terms);
// Reads what declare_purchase_parameters declared (min_order > max_order is a ConfigError).
RECRL_API PurchaseCoefficients read_purchase_parameters(const Params& params, bool campaign_terms);
// The coefficients as EnvSpec constants "purchase.<name>" (an environment that draws purchases
// itself publishes its model this way), and back: nullopt when the spec has none.
RECRL_API void publish_purchase_model(const PurchaseCoefficients& coefficients, EnvSpec& spec);
RECRL_API std::optional<PurchaseCoefficients> published_purchase_model(const EnvSpec& spec);

// The model bound to an observation's features. Neither call allocates.
class RECRL_API PurchaseModel {
 public:
  // Resolves the features the model reads in `observation`; a missing one is a ConfigError at
  // `where` (key_path) naming `plugin`.
  PurchaseModel(const PurchaseCoefficients& coefficients, const Space& observation,
                const SourceLocation& where, const std::string& key_path,
                const std::string& plugin);

  // The probability that the customer observed as `customer` buys after `action`.
  double probability(ConstVectorRef customer, const MarketingAction& action) const;
  // What the customer's order is worth at full price.
  double order_value(ConstVectorRef customer) const;
  const PurchaseCoefficients& coefficients() const { return c_; }

 private:
  PurchaseCoefficients c_;
  Eigen::Index frequency_ = 0, monetary_ = 0, engagement_ = 0, last_purchase_ = 0;
  Eigen::Index discount_sensitive_ = 0, free_shipping_ = 0;
  Eigen::Index rate_[3] = {0, 0, 0};        // email, sms, push
  Eigen::Index fatigue_[3] = {-1, -1, -1};  // -1: the observation has no fatigue
  Eigen::Index expectation_ = -1;           // -1: no discount expectation
};

}  // namespace recrl::toolkit
