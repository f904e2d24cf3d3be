// `channel_bonus`: an example reward plugin built out of tree against the installed recrl SDK.
// It pays `weight` when the chosen action goes out on the user's best channel: the largest of
// the observation features email_opens, sms_response and push_response (ties go to the earlier
// of email, sms, push), read from the action's `channel` catalog field. It is noiseless, so
// expected() equals compute() and recrl can derive the oracle from it.
// Everything it needs is resolved in the constructor, so a wrong environment fails at start-up.
#include <array>
#include <span>
#include <string>
#include <vector>

#include "recrl/plugin/export.hpp"

namespace {

constexpr std::array<const char*, 3> kChannels{"email", "sms", "push"};
constexpr std::array<const char*, 3> kChannelFeatures{"email_opens", "sms_response",
                                                      "push_response"};

class ChannelBonus final : public recrl::RewardFunction {
 public:
  static recrl::ParamSchema schema() {
    recrl::ParamSchema s;
    s.real("weight", 1.0, "paid when the action's channel is the user's best").range(0, 10);
    return s;
  }

  ChannelBonus(const recrl::Params& params, const recrl::PluginContext& ctx)
      : weight_(params.get_double("weight")),
        where_(params.values().where()),
        key_path_(ctx.key_path.empty() ? "reward" : ctx.key_path) {
    if (ctx.env == nullptr) throw error("channel_bonus needs the environment's spec");
    resolve_features(ctx.env->observation);
    resolve_channels(*ctx.env);
  }

  const std::vector<std::string>& components() const override { return components_; }

  double compute(const recrl::Transition& t, recrl::Rng& rng, std::span<double> parts) override {
    static_cast<void>(rng);
    RECRL_ASSERT(parts.size() == components_.size(), "channel_bonus: parts has the wrong size");
    parts[0] = pay(t);
    return parts[0];
  }

  std::optional<double> expected(const recrl::Transition& t) const override { return pay(t); }

 private:
  double pay(const recrl::Transition& t) const {
    RECRL_ASSERT(t.action >= 0 && static_cast<std::size_t>(t.action) < action_channel_.size(),
                 "channel_bonus: action out of range");
    // Strict comparisons keep ties with the earlier channel.
    std::size_t best = 0;
    for (std::size_t c = 1; c < kChannels.size(); ++c) {
      if (t.obs[feature_[c]] > t.obs[feature_[best]]) best = c;
    }
    return action_channel_[static_cast<std::size_t>(t.action)] == best ? weight_ : 0.0;
  }

  recrl::ConfigError error(const std::string& message) const {
    return recrl::ConfigError(where_, key_path_, message);
  }

  void resolve_features(const recrl::Space& observation) {
    for (std::size_t c = 0; c < kChannels.size(); ++c) {
      const auto index = observation.index_of(kChannelFeatures[c]);
      if (!index) {
        throw error(std::string("channel_bonus needs the observation feature ") +
                    kChannelFeatures[c] + ", which the environment does not have");
      }
      feature_[c] = *index;
    }
  }

  void resolve_channels(const recrl::EnvSpec& env) {
    if (env.actions.empty()) {
      throw error(
          "channel_bonus needs an action catalog with a 'channel' field, and environment '" +
          env.name + "' has none");
    }
    for (const auto& action : env.actions) {
      const std::string* channel = action.field("channel");
      if (channel == nullptr) {
        throw error("channel_bonus needs a 'channel' field, which action " + action.label +
                    " lacks");
      }
      std::size_t index = 0;
      while (index < kChannels.size() && *channel != kChannels[index]) ++index;
      if (index == kChannels.size()) {
        throw error("action " + action.label + " has channel '" + *channel +
                    "'; channel_bonus knows email, sms, push");
      }
      action_channel_.push_back(index);
    }
  }

  double weight_;
  recrl::SourceLocation where_;
  std::string key_path_;
  std::array<Eigen::Index, 3> feature_{};    // observation index of each channel's rate
  std::vector<std::size_t> action_channel_;  // index into kChannels, per catalog action
  std::vector<std::string> components_{"channel"};
};

}  // namespace

RECRL_REWARD_PLUGIN(ChannelBonus, "channel_bonus", "1.0.0",
                    "pays a bonus when the action uses the user's best channel (SDK example)")
