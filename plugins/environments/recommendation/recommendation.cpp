// The `recommendation` environment: one user per episode, one marketing decision per step, a
// contextual bandit in Gym form. Exactly docs/environments/recommendation.md:
//   - reset() draws a user (the synthetic generator of features.hpp, or a CSV row uniformly
//     with replacement) and returns its 10 features;
//   - step() keeps the same user; the episode terminates at step `horizon` (default 1);
//   - the environment's own reward is 0: what an action earns is the reward plugin's business
//     (seed_rules for the seed report's rules).
// Actions never change what is observed, so the spec says actions_affect_state = false and
// recrl may derive the oracle as the per-step argmax of the reward's expected value.
#include <algorithm>
#include <istream>
#include <ostream>
#include <string>
#include <vector>

#include <spdlog/logger.h>

#include "recrl/toolkit/seed_users.hpp"
#include "recrl/plugin/export.hpp"
#include "recrl/toolkit/marketing_catalog.hpp"
#include "recrl/toolkit/binary_io.hpp"
#include "recrl/toolkit/user_source.hpp"

namespace recrl::recommendation {

namespace {

constexpr char kStateTag[] = "recrl.recommendation.state.1";

class RecommendationEnv final : public Environment {
 public:
  static ParamSchema schema() {
    ParamSchema s;
    s.node("catalog", toolkit::default_marketing_catalog(),
           "the actions, each [offer, value, channel]: offer discount|free_shipping|reminder, "
           "value a percentage (15 or 15%; 0 unless a discount) or a grid {values: [5, 10]}, "
           "channel email|sms|push; or [bundle, [offer, value]..., channel]; or wait");
    s.node("users", toolkit::UserSource::default_config(),
           "where users come from: {source: synthetic} or {source: csv, path: FILE} (relative "
           "to the experiment file's folder)");
    s.integer("horizon", 1, "decisions per user; only the last one ends the episode")
        .range(1, 1000000);
    s.boolean("mask_unreachable_channels", false,
              "forbid the actions by a channel whose response rate is 0 for the customer (no "
              "consent, no address); docs/masks.md");
    return s;
  }

  RecommendationEnv(const Params& params, const PluginContext& ctx)
      : catalog_(
            toolkit::parse_marketing_catalog(params.get("catalog"), params.key_path("catalog"))),
        users_(params.get("users"), params.key_path("users"), ctx.logger),
        horizon_(static_cast<int>(params.get_int("horizon"))),
        mask_unreachable_(params.get_bool("mask_unreachable_channels")) {
    spec_ = make_spec();
  }

  const EnvSpec& spec() const override { return spec_; }

  void reset(Rng& rng, VectorRef obs) override {
    RECRL_ASSERT(obs.size() == toolkit::kSeedFeatureCount,
                 "recommendation: reset() needs a 10-feature buffer");
    users_.draw(rng, user_);
    steps_taken_ = 0;
    write_user(obs);
  }

  EnvStep step(int action, Rng& rng, VectorRef next_obs) override {
    static_cast<void>(rng);  // the user does not react: nothing random happens in a step
    RECRL_ASSERT(action >= 0 && action < spec_.action.size, "recommendation: action out of range");
    RECRL_ASSERT(next_obs.size() == toolkit::kSeedFeatureCount,
                 "recommendation: step() needs a 10-feature buffer");
    ++steps_taken_;
    write_user(next_obs);
    return EnvStep{0.0, steps_taken_ >= horizon_, false};
  }

  // The current user and the step within the episode (the catalog and the user source are
  // parameters; a CSV source is read again from its file by the constructor).
  // With mask_unreachable_channels: an action by a channel whose response rate is 0 is
  // forbidden; `wait` is always allowed. A customer whom no action of a catalog without `wait`
  // can reach is left every action (a mask must allow one).
  bool has_action_masks() const override { return mask_unreachable_; }
  void allowed_actions(ConstVectorRef obs, std::span<std::uint8_t> allowed) const override {
    bool any = false;
    for (std::size_t a = 0; a < catalog_.size(); ++a) {
      allowed[a] = reachable(catalog_[a], obs) ? 1 : 0;
      any |= allowed[a] != 0;
    }
    if (!any) std::fill(allowed.begin(), allowed.end(), std::uint8_t{1});
  }

  bool supports_checkpoints() const override { return true; }
  void save_state(std::ostream& out) const override {
    toolkit::write_tag(out, kStateTag);
    toolkit::write_pod(out, user_);
    toolkit::write_pod<std::int32_t>(out, steps_taken_);
  }
  void load_state(std::istream& in) override {
    toolkit::expect_tag(in, kStateTag);
    const toolkit::User user = toolkit::read_pod<toolkit::User>(in, kStateTag);
    const auto steps = toolkit::read_pod<std::int32_t>(in, kStateTag);
    if (steps < 0 || steps > horizon_) {
      throw DataError(SourceLocation{}, std::string(kStateTag) + ": step " + std::to_string(steps) +
                                            " outside the horizon " + std::to_string(horizon_));
    }
    user_ = user;
    steps_taken_ = steps;
  }

 private:
  EnvSpec make_spec() const {
    EnvSpec spec;
    spec.name = "recommendation";

    spec.observation.kind = Space::Kind::Box;
    spec.observation.size = toolkit::kSeedFeatureCount;
    // The bounds are what a user may be, the same for synthetic users, CSV users and a user
    // given to `recommend`: counts and days >= 0 (the generator caps days at 365, a customer's
    // history does not), rates and scores in [0, 1], flags 0 or 1.
    for (const toolkit::FeatureInfo& feature : toolkit::kSeedFeatures) {
      spec.observation.labels.emplace_back(feature.name);
      spec.observation.low.push_back(0.0);
      spec.observation.high.push_back(
          feature.range == toolkit::FeatureRange::NonNegative ? toolkit::kInf : 1.0);
      spec.observation.binary.push_back(feature.range == toolkit::FeatureRange::Flag);
    }

    spec.action.kind = Space::Kind::Discrete;
    spec.action.size = static_cast<int>(catalog_.size());
    for (const toolkit::MarketingAction& action : catalog_) {
      spec.action.labels.push_back(toolkit::label(action));
      spec.actions.push_back(toolkit::action_info(action));
    }
    spec.max_episode_steps = horizon_;
    spec.actions_affect_state = false;
    return spec;
  }

  static bool reachable(const toolkit::MarketingAction& action, ConstVectorRef obs) {
    switch (action.channel) {
      case toolkit::Channel::Email:
        return obs[toolkit::kEmailOpens] > 0;
      case toolkit::Channel::Sms:
        return obs[toolkit::kSmsResponse] > 0;
      case toolkit::Channel::Push:
        return obs[toolkit::kPushResponse] > 0;
      case toolkit::Channel::None:
        break;
    }
    return true;  // wait: contacts no one
  }

  void write_user(VectorRef out) const {
    for (int f = 0; f < toolkit::kSeedFeatureCount; ++f) out[f] = user_[f];
  }

  std::vector<toolkit::MarketingAction> catalog_;
  toolkit::UserSource users_;
  int horizon_;
  bool mask_unreachable_;
  EnvSpec spec_;
  toolkit::User user_{};
  int steps_taken_ = 0;
};

}  // namespace

}  // namespace recrl::recommendation

RECRL_ENVIRONMENT_PLUGIN(recrl::recommendation::RecommendationEnv, "recommendation", "1.0.0",
                         "the seed report's users and marketing actions (contextual bandit)")
