#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "recrl/core/algorithm.hpp"
#include "recrl/core/environment.hpp"
#include "recrl/core/export.hpp"
#include "recrl/core/reward.hpp"
#include "recrl/loader/registry.hpp"
#include "recrl/run/policy_file.hpp"

namespace recrl {

struct Recommendation {
  int action = 0;
  std::string label;  // "[discount, 15%, email]"
  double reward = 0;  // the reward's expected value where it has one, else one draw of it
  // True when `reward` is the policy's own prediction: a policy fitted from a log has no reward
  // function to ask.
  bool predicted = false;
  // The reward's components: their expected values where the reward gives them, else one draw.
  std::vector<std::pair<std::string, double>> components;
  std::optional<std::vector<double>> probabilities;  // where the policy reports them
};

// A saved policy put back to work: the algorithm with its weights and normaliser, and the
// environment and reward it was trained with (for feature names, action labels and rewards), or,
// for a policy fitted from a log, the log's features and actions.
class RECRL_API Recommender {
 public:
  Recommender(const std::filesystem::path& policy_file, const plugin::PluginRegistry& registry);
  // A policy already read (`source` names it in messages: a file, a model version).
  Recommender(PolicyRecord record, const std::string& source,
              const plugin::PluginRegistry& registry);

  const EnvSpec& spec() const { return env_ ? env_->spec() : logged_spec_; }
  const PolicyRecord& record() const { return record_; }
  // False for a policy fitted from a log: it has no environment or reward to run.
  bool has_simulator() const { return env_ != nullptr; }
  // True for a policy fitted from an OBD or VW log, whose features are sparse (one-hot values,
  // VW's features): a feature a user does not mention is 0.
  bool sparse_features() const {
    return record_.log_origin && record_.log_origin->format != "recrl";
  }

  // Users are columns of raw features, [obs_dim x n], in the spec's feature order.
  std::vector<Recommendation> recommend(const Matrix& users);

  // The pieces, for tools that drive the policy themselves (`recrl simulate`); the first two
  // only where has_simulator().
  Environment& environment();
  RewardFunction& reward();
  Algorithm& algorithm() { return *algorithm_; }
  // What the algorithm sees of raw features: normalised as in training, where it was.
  void algorithm_view(const Matrix& raw, Matrix& out) const;
  // The actions the policy's environment allows for users `raw` [obs_dim x n] (docs/masks.md)
  // into `allowed` [n_actions x n]; false, with `allowed` emptied, where there are no rules (an
  // environment without masks, a policy fitted from a log).
  bool allowed_actions(const Matrix& raw, std::vector<std::uint8_t>& allowed) const;

 private:
  PolicyRecord record_;
  std::shared_ptr<Environment> env_;
  EnvSpec logged_spec_;  // the log's, where the policy was fitted from one
  std::shared_ptr<RewardFunction> reward_;
  std::shared_ptr<Algorithm> algorithm_;
};

// The space of a policy fitted from a log: the log's features (unbounded) and actions, one
// decision per episode.
RECRL_API EnvSpec spec_of_log(const LogOrigin& origin);

// What feature f of a user must be when `value` is not that ("a number in [0, 1]", "a flag, 0 or
// 1"), or "" when it is fine: within the features' bounds and, for a flag, exactly its low or
// high. One rule for --user, --users and served requests.
RECRL_API std::string feature_value_problem(const Space& features, int f, double value);

// Parses "recency=15,frequency=3,..." into features in the spec's order. Every feature must be
// given once (or at most once, those not given 0, with `absent_is_zero`: the sparse features of
// a policy fitted from an OBD or VW log), as a finite number within the feature's bounds; errors
// name the feature and say what is accepted (and "did you mean" for a misspelt name).
RECRL_API Vector parse_user(const std::string& text, const EnvSpec& spec,
                            bool absent_is_zero = false);
// Reads users from a CSV file with a header naming the features (any order; extra columns are
// ignored; with `absent_is_zero` a missing feature column is 0, but one must be there). Errors
// name the file, row and column.
RECRL_API Matrix read_users_csv(const std::filesystem::path& file, const EnvSpec& spec,
                                bool absent_is_zero = false);

}  // namespace recrl
