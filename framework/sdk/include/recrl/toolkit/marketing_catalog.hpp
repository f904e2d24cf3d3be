#pragma once

#include <string>
#include <vector>

#include "recrl/core/export.hpp"
#include "recrl/core/spaces.hpp"
#include "recrl/core/value.hpp"

namespace recrl::toolkit {

// A catalog of marketing actions, as the marketing environments (recommendation, campaign)
// read it from an experiment file (docs/environments/recommendation.md, "Actions"). An entry is
//   [offer, value, channel]        offer discount | free_shipping | reminder; value a percentage
//                                  (15, 15.0 or "15%"; in (0, 100] for a discount, 0 otherwise);
//                                  channel email | sms | push
//   [discount, {values: [5, 10, 15]}, email]
//                                  a grid of discount depths: one action per value
//   [bundle, [discount, 10], [free_shipping, 0], email]
//                                  two or more offers in one message (at most one discount)
//   wait                           no contact
enum class Channel { None, Email, Sms, Push };

struct MarketingAction {
  double discount = 0;  // percent off; 0 without a discount
  bool free_shipping = false;
  bool reminder = false;
  bool bundle = false;              // more than one offer in one message
  Channel channel = Channel::None;  // None: wait (no contact)

  bool wait() const { return channel == Channel::None; }
  // discount | free_shipping | reminder | bundle | wait
  std::string offer() const;
  bool operator==(const MarketingAction&) const = default;
};

// The recommendation environment's default catalog, as the YAML list it would be written as.
RECRL_API Value default_marketing_catalog();

// Reads a catalog. Every mistake is a ConfigError at the entry's own location, named
// key_path[i] ("env.params.catalog[3]"): an unknown offer or channel, a value that is not a
// percentage, a non-discount with a value, a discount outside (0, 100], a bundle of fewer than
// two offers or with an offer twice, an entry that repeats an earlier one, a catalog of more
// than kMaxCatalogActions actions.
inline constexpr std::size_t kMaxCatalogActions = 1000;
RECRL_API std::vector<MarketingAction> parse_marketing_catalog(const Value& catalog,
                                                               const std::string& key_path);

// "[discount, 15%, email]", "[bundle, discount 10% + free_shipping, email]", "wait".
RECRL_API std::string label(const MarketingAction& action);
// The fields rewards resolve: offer, value (the discount percent, 0 without one), channel
// (email, sms, push, none), free_shipping and reminder (1 or 0: whether the message carries it).
RECRL_API ActionInfo action_info(const MarketingAction& action);
// "email", "sms", "push", "none".
RECRL_API std::string channel_name(Channel channel);

}  // namespace recrl::toolkit
