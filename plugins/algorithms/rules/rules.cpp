// rules: what a marketing team writes without a model (README.md beside this file). Contact a
// customer at most once every `days_between_contacts` days, on the consented channel with the
// best response rate; offer a discount only to discount-sensitive customers, free shipping to
// those who prefer it, a reminder to everyone else; otherwise wait. Learns nothing.
#include <algorithm>
#include <array>
#include <cmath>
#include <charconv>
#include <istream>
#include <optional>
#include <ostream>
#include <string>

#include "recrl/plugin/export.hpp"
#include "recrl/toolkit/action_mask.hpp"
#include "recrl/toolkit/spaces_check.hpp"

namespace {

using Eigen::Index;

constexpr int kChannels = 3;  // email, sms, push
constexpr std::array<const char*, kChannels> kChannelNames = {"email", "sms", "push"};

enum Offer { kDiscount, kFreeShipping, kReminder, kOffers };

class Rules final : public recrl::Algorithm {
 public:
  static recrl::ParamSchema schema() {
    recrl::ParamSchema s;
    s.integer("days_between_contacts", 7,
              "contact only when days_since_contact is at least this (where the environment "
              "observes it)")
        .range(1, 365);
    s.real("discount", 10.0,
           "the discount (percent) offered to discount-sensitive customers; the catalog's "
           "closest discount on the channel when it has not this one")
        .range(0, 100);
    return s;
  }

  Rules(const recrl::Params& p, const recrl::PluginContext& ctx)
      : n_actions_(ctx.env->action.size),
        days_between_(static_cast<double>(p.get_int("days_between_contacts"))) {
    recrl::toolkit::require_discrete_actions(ctx, "rules");
    const recrl::Space& o = ctx.env->observation;
    const auto f =
        recrl::toolkit::require_features(o, ctx.where, ctx.key_path, "rules",
                                         {"email_opens", "sms_response", "push_response",
                                          "discount_sensitive", "free_shipping_preferred"});
    for (int c = 0; c < kChannels; ++c) {
      rate_[c] = f[static_cast<std::size_t>(c)];
      consent_[c] = o.index_of(std::string("consent_") + kChannelNames[c]).value_or(-1);
    }
    discount_sensitive_ = f[3];
    free_shipping_preferred_ = f[4];
    days_since_contact_ = o.index_of("days_since_contact").value_or(-1);
    resolve_actions(*ctx.env, p.get_double("discount"), ctx);
  }

  void act(const recrl::ObsBatch& obs, recrl::ActMode, recrl::Rng&,
           std::span<int> actions) override {
    for (Index j = 0; j < obs.raw.cols(); ++j)
      actions[static_cast<std::size_t>(j)] = choose(obs.raw.col(j), allowed(obs, j));
  }
  bool observe(const recrl::StepBatch&) override { return false; }
  void update(recrl::Rng&, recrl::Metrics&) override {}
  void save(std::ostream&) const override {}
  void load(std::istream&) override {}
  bool supports_checkpoints() const override { return true; }

  bool action_probabilities(const recrl::ObsBatch& obs, recrl::ActMode,
                            recrl::Matrix& probs) const override {
    probs = recrl::Matrix::Zero(n_actions_, obs.raw.cols());
    for (Index j = 0; j < obs.raw.cols(); ++j)
      probs(choose(obs.raw.col(j), allowed(obs, j)), j) = 1;
    return true;
  }

 private:
  recrl::toolkit::AllowedActions allowed(const recrl::ObsBatch& obs, Index j) const {
    return {obs.allowed, n_actions_, j};
  }

  // The rule, for one customer: wait when contacted recently; else the best-responding
  // consented channel on which the customer's offer (or, failing it, any offer) is allowed.
  int choose(recrl::ConstVectorRef x, const recrl::toolkit::AllowedActions& ok) const {
    const bool rested = days_since_contact_ < 0 || x[days_since_contact_] >= days_between_;
    if (rested) {
      const Offer preferred = x[discount_sensitive_] > 0.5f        ? kDiscount
                              : x[free_shipping_preferred_] > 0.5f ? kFreeShipping
                                                                   : kReminder;
      std::array<int, kChannels> order = {0, 1, 2};
      std::stable_sort(order.begin(), order.end(),
                       [&](int a, int b) { return x[rate_[a]] > x[rate_[b]]; });
      for (int c : order) {
        if (consent_[c] >= 0 && x[consent_[c]] < 0.5f) continue;
        if (x[rate_[c]] <= 0) continue;
        for (Offer offer : {preferred, kReminder, kFreeShipping, kDiscount}) {
          const int action = actions_[c][offer];
          if (action >= 0 && ok(action)) return action;
        }
      }
    }
    if (wait_ >= 0 && ok(wait_)) return wait_;
    return ok.nth(0);  // no wait in the catalog: the first allowed action
  }

  void resolve_actions(const recrl::EnvSpec& env, double discount,
                       const recrl::PluginContext& ctx) {
    if (env.actions.size() != static_cast<std::size_t>(env.action.size))
      throw recrl::ConfigError(ctx.where, ctx.key_path,
                               "rules needs a catalog of actions with the fields offer, value "
                               "and channel; environment '" +
                                   env.name + "' has none");
    for (auto& row : actions_) row.fill(-1);
    std::array<double, kChannels> best_gap;
    best_gap.fill(1e9);
    for (int a = 0; a < env.action.size; ++a) {
      const recrl::ActionInfo& info = env.actions[static_cast<std::size_t>(a)];
      const std::string* offer = info.field("offer");
      const std::string* channel = info.field("channel");
      const std::string* value = info.field("value");
      if (offer == nullptr || channel == nullptr || value == nullptr)
        throw recrl::ConfigError(ctx.where, ctx.key_path,
                                 "rules needs the fields offer, value and channel of every "
                                 "action; action " +
                                     info.label + " lacks one");
      if (*offer == "wait") {
        if (wait_ < 0) wait_ = a;
        continue;
      }
      int c = 0;
      while (c < kChannels && *channel != kChannelNames[static_cast<std::size_t>(c)]) ++c;
      if (c == kChannels) continue;
      if (*offer == "reminder" && actions_[c][kReminder] < 0) actions_[c][kReminder] = a;
      if (*offer == "free_shipping" && actions_[c][kFreeShipping] < 0)
        actions_[c][kFreeShipping] = a;
      if (*offer == "discount") {
        double percent = 0;
        std::from_chars(value->data(), value->data() + value->size(), percent);
        const double gap = std::abs(percent - discount);
        if (gap < best_gap[c]) {
          best_gap[c] = gap;
          actions_[c][kDiscount] = a;
        }
      }
    }
  }

  int n_actions_;
  double days_between_;
  std::array<Index, kChannels> rate_{};
  std::array<Index, kChannels> consent_{};  // -1: the environment has no consent flags
  Index discount_sensitive_ = 0, free_shipping_preferred_ = 0;
  Index days_since_contact_ = -1;                              // -1: contact whenever allowed
  std::array<std::array<int, kOffers>, kChannels> actions_{};  // -1: not in the catalog
  int wait_ = -1;
};

}  // namespace

RECRL_ALGORITHM_PLUGIN(Rules, "rules", "1.0.0",
                       "business rules: best consented channel at most once a week, discounts "
                       "only for discount-sensitive customers")
