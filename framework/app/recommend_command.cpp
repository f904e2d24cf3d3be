// recrl recommend
#include <iostream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "explanation_output.hpp"
#include "policy_and_users.hpp"
#include "options.hpp"
#include "recrl/core/errors.hpp"
#include "recrl/loader/registry.hpp"
#include "recrl/run/recommend.hpp"

namespace recrl::app {

namespace {

// The seed report's sample block, one per user.
void print_text(const EnvSpec& spec, const Matrix& users, const std::vector<Recommendation>& recs,
                const std::vector<Explanation>& explanations) {
  for (std::size_t j = 0; j < recs.size(); ++j) {
    if (j > 0) std::cout << "\n";
    std::cout << "User Features:\n";
    for (int f = 0; f < spec.observation.size; ++f) {
      std::cout << fmt::format("  {}: {:.2f}\n", spec.observation.labels[f],
                               users(f, static_cast<Eigen::Index>(j)));
    }
    const Recommendation& r = recs[j];
    std::cout << fmt::format("Agent Action Chosen:\n  Action #{} \u2192 {}\n", r.action, r.label);
    if (r.predicted) {
      std::cout << fmt::format("Predicted Reward: {:.4f} (the policy's own model of it)\n",
                               r.reward);
    } else {
      std::string parts;
      for (const auto& [name, value] : r.components) {
        parts += fmt::format("{}{} {:.2f}", parts.empty() ? "" : ", ", name, value);
      }
      std::cout << fmt::format("Reward Achieved: {:.2f} ({})\n", r.reward, parts);
    }
    if (!explanations.empty()) std::cout << explanation_card(explanations[j]);
  }
}

void print_json(const EnvSpec& spec, const Matrix& users, const std::vector<Recommendation>& recs,
                const std::vector<Explanation>& explanations) {
  nlohmann::json out = nlohmann::json::array();
  const nlohmann::json why = explanations_json(explanations);
  for (std::size_t j = 0; j < recs.size(); ++j) {
    const Recommendation& r = recs[j];
    nlohmann::json features = nlohmann::json::object();
    for (int f = 0; f < spec.observation.size; ++f) {
      // The shortest text that reads back as the same float, as a double: 0.87, not
      // 0.8700000047683716.
      const Scalar value = users(f, static_cast<Eigen::Index>(j));
      features[spec.observation.labels[f]] = std::stod(fmt::format("{}", value));
    }
    nlohmann::json components = nlohmann::json::object();
    for (const auto& [name, value] : r.components) components[name] = value;
    nlohmann::json item = {{"user", features},
                           {"action", r.action},
                           {"label", r.label},
                           {"reward", r.reward},
                           {"components", components}};
    if (r.predicted) item["predicted"] = true;  // the policy's own model, not a reward function
    if (r.probabilities) item["probabilities"] = *r.probabilities;
    if (!explanations.empty()) item["explanation"] = why[j];
    out.push_back(item);
  }
  std::cout << out.dump(2) << "\n";
}

}  // namespace

int recommend_command(const std::vector<std::string>& args) {
  CommonOptions common;
  PolicyAndUsers target;
  std::string format = "text";
  std::string background_file;
  bool explain = false;
  po::options_description options("options");
  target.add(options);
  options.add_options()("format", po::value(&format), "text (default) or json")(
      "explain", po::bool_switch(&explain), "also why: each feature's part in the choice")(
      "background", po::value(&background_file),
      "with --explain: the customers contributions are measured against (docs/explain.md)");
  common.add_plugin_path(options);
  common.add_verbosity(options);
  po::variables_map vm;
  if (!parse(args,
             "usage: recrl recommend (--policy FILE | --run RUN_ID [--db FILE]) "
             "(--user \"name=value,...\" | --users FILE.csv) [--format text|json] "
             "[--explain [--background FILE.csv]]",
             options, {}, vm)) {
    return 0;
  }
  target.check("recommend");
  if (format != "text" && format != "json") {
    throw ConfigError("recommend: --format must be text or json, got '" + format + "'");
  }
  if (!explain && !background_file.empty()) {
    throw ConfigError("recommend: --background is the background of --explain");
  }

  plugin::PluginRegistry registry;
  common.load_plugins_quietly(registry);
  Recommender recommender(target.policy_file(), registry);
  const EnvSpec& spec = recommender.spec();
  const Matrix users = target.users(recommender);
  const auto recs = recommender.recommend(users);
  const std::vector<Explanation> explanations =
      explain ? explain_decisions(recommender, users, recs,
                                  explanation_background(recommender, background_file))
              : std::vector<Explanation>();
  if (format == "json") {
    print_json(spec, users, recs, explanations);
  } else {
    print_text(spec, users, recs, explanations);
  }
  return 0;
}

}  // namespace recrl::app
