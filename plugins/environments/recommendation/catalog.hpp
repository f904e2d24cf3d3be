#pragma once

#include <string>
#include <vector>

#include "recrl/core/spaces.hpp"
#include "recrl/core/value.hpp"

namespace recrl::recommendation {

enum class Offer { Discount, FreeShipping, Reminder };
enum class Channel { Email, Sms, Push };

// One action: send `offer` (a discount of `value` percent, or a value-less offer) by `channel`.
struct CatalogEntry {
  Offer offer;
  double value;  // percent; 0 for offers other than discount
  Channel channel;
};

// The spec's default catalog, as the YAML list it would be written as.
Value default_catalog();

// Reads `catalog` (a list of [offer, value, channel] entries, value written 15, 15.0 or
// "15%"). Every mistake is a ConfigError at the entry's own location, named
// key_path[i] (e.g. "env.params.catalog[3]"): not a list, unknown offer or channel, a value
// that is not a percentage, a non-discount with a value, a discount outside (0, 100], or an
// entry that repeats an earlier one.
std::vector<CatalogEntry> parse_catalog(const Value& catalog, const std::string& key_path);

// "[discount, 15%, email]"
std::string label(const CatalogEntry& entry);
// {offer: discount, value: 15, channel: email}, for rewards to resolve.
ActionInfo action_info(const CatalogEntry& entry);

}  // namespace recrl::recommendation
