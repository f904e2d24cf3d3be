#include "explanation_output.hpp"

#include "recrl/core/errors.hpp"

namespace recrl::app {

namespace {

// Background customers drawn from a trained policy's environment when none are given.
constexpr int kSampledBackground = 32;

nlohmann::json explanation_json(const Explanation& e) {
  nlohmann::json contributions = nlohmann::json::array();
  for (const FeatureContribution& c : e.contributions) {
    contributions.push_back({{"feature", c.feature},
                             {"value", c.value},
                             {"background_mean", c.background_mean},
                             {"contribution", c.contribution}});
  }
  return {{"action", {{"index", e.action}, {"label", e.label}}},
          {"runner_up", {{"index", e.runner_up}, {"label", e.runner_up_label}}},
          {"margin", e.margin},
          {"base_margin", e.base_margin},
          {"probability", e.probability ? nlohmann::json(*e.probability) : nlohmann::json()},
          {"contributions", contributions}};
}

}  // namespace

Matrix explanation_background(Recommender& policy, const std::string& file) {
  if (!file.empty()) return read_users_csv(file, policy.spec(), policy.sparse_features());
  Matrix background = sampled_background(policy, kSampledBackground);
  if (background.cols() == 0) {
    throw ConfigError(
        "explain: the policy was fitted from a log and has no simulator to draw background "
        "customers from: give --background CSV (a sample of customers, e.g. from the log)");
  }
  return background;
}

std::string explanations_text(const std::vector<Explanation>& explanations) {
  std::string out;
  for (std::size_t j = 0; j < explanations.size(); ++j) {
    if (j > 0) out += '\n';
    append_explanation_card(out, explanations[j]);
  }
  return out;
}

nlohmann::json explanations_json(const std::vector<Explanation>& explanations) {
  nlohmann::json out = nlohmann::json::array();
  for (const Explanation& e : explanations) out.push_back(explanation_json(e));
  return out;
}

}  // namespace recrl::app
