#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <string_view>

#include "recrl/core/random.hpp"

namespace recrl::toolkit {

// The seed report's 10 user features, in observation order (docs/environments/recommendation.md),
// which the recommendation and campaign environments share.
enum SeedFeature : int {
  kRecency,
  kFrequency,
  kMonetaryValue,
  kEngagementScore,
  kDiscountSensitive,
  kFreeShippingPreferred,
  kEmailOpens,
  kSmsResponse,
  kPushResponse,
  kLastPurchaseDays,
  kSeedFeatureCount
};

// How a feature's values are bounded: what CSV users are checked against, and the
// observation space's bounds.
enum class FeatureRange {
  NonNegative,   // >= 0 (counts, days, money)
  UnitInterval,  // rates and scores in [0, 1]
  Flag,          // exactly 0 or 1
};

struct FeatureInfo {
  std::string_view name;
  FeatureRange range;
  double synthetic_high;  // the largest value the synthetic generator produces
};

inline constexpr double kInf = std::numeric_limits<double>::infinity();
inline constexpr double kMaxDays = 365.0;  // recency and last_purchase_days are capped at a year

inline constexpr std::array<FeatureInfo, kSeedFeatureCount> kSeedFeatures{{
    {"recency", FeatureRange::NonNegative, kMaxDays},
    {"frequency", FeatureRange::NonNegative, kInf},
    {"monetary_value", FeatureRange::NonNegative, kInf},
    {"engagement_score", FeatureRange::UnitInterval, 1.0},
    {"discount_sensitive", FeatureRange::Flag, 1.0},
    {"free_shipping_preferred", FeatureRange::Flag, 1.0},
    {"email_opens", FeatureRange::UnitInterval, 1.0},
    {"sms_response", FeatureRange::UnitInterval, 1.0},
    {"push_response", FeatureRange::UnitInterval, 1.0},
    {"last_purchase_days", FeatureRange::NonNegative, kMaxDays},
}};

using User = std::array<float, kSeedFeatureCount>;

// One synthetic user, exactly as the spec's table says: the features are independent and are
// drawn in feature order, each from `rng` (docs/random.md states every sampler).
inline void draw_synthetic_user(Rng& rng, User& user) {
  const auto days = [&rng](double mean) {
    return std::min(kMaxDays, std::floor(rng.exponential(mean)));
  };
  user[kRecency] = static_cast<float>(days(30.0));
  user[kFrequency] = static_cast<float>(rng.poisson(4.0));
  user[kMonetaryValue] = static_cast<float>(std::round(rng.lognormal(5.0, 0.7) * 100.0) / 100.0);
  user[kEngagementScore] = static_cast<float>(rng.beta(2.0, 2.0));
  user[kDiscountSensitive] = rng.bernoulli(0.45) ? 1.0f : 0.0f;
  user[kFreeShippingPreferred] = rng.bernoulli(0.35) ? 1.0f : 0.0f;
  user[kEmailOpens] = static_cast<float>(rng.beta(3.0, 3.0));
  user[kSmsResponse] = static_cast<float>(rng.beta(2.0, 4.0));
  user[kPushResponse] = static_cast<float>(rng.beta(2.0, 5.0));
  user[kLastPurchaseDays] = static_cast<float>(days(45.0));
}

}  // namespace recrl::toolkit
