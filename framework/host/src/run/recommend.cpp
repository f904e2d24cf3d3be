#include "recrl/run/recommend.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <string_view>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include "recrl/config/experiment.hpp"
#include "recrl/core/errors.hpp"
#include "recrl/run/vec_env.hpp"
#include "recrl/toolkit/csv.hpp"
#include "recrl/util/number_text.hpp"

namespace recrl {

namespace {

Params revalidate(const PluginConfig& config, const plugin::PluginInfo& info,
                  const std::string& key, const std::string& file) {
  return Params::validate(info.schema, config.params, key + ".params", {file, 0, 0});
}

PluginContext context(const EnvSpec* env, const RewardFunction* reward, const std::string& key,
                      const std::string& file) {
  PluginContext ctx;
  ctx.env = env;
  ctx.reward = reward;
  ctx.n_envs = 1;
  ctx.logger = spdlog::default_logger();
  ctx.key_path = key;
  ctx.where = {file, 0, 0};
  return ctx;
}

// An error's text without a bare leading "error: " (one without a location), for quoting it
// after another location.
std::string quoted_error(const std::exception& e) {
  const std::string text = e.what();
  constexpr std::string_view kPrefix = "error: ";
  return text.rfind(kPrefix, 0) == 0 ? text.substr(kPrefix.size()) : text;
}

std::string bounds_text(double low, double high) {
  if (std::isinf(high)) return fmt::format("a number >= {}", low);
  return fmt::format("a number in [{}, {}]", low, high);
}

}  // namespace

std::string feature_value_problem(const Space& features, int f, double value) {
  const auto i = static_cast<std::size_t>(f);
  const double low = features.low.empty() ? -INFINITY : features.low[i];
  const double high = features.high.empty() ? INFINITY : features.high[i];
  if (!util::fits_float(value)) return std::string(util::kFloatRangeText);
  if (i < features.binary.size() && features.binary[i]) {
    return value == low || value == high ? "" : fmt::format("a flag, {} or {}", low, high);
  }
  return value >= low && value <= high ? "" : bounds_text(low, high);
}

Recommender::Recommender(const std::filesystem::path& policy_file,
                         const plugin::PluginRegistry& registry)
    : Recommender(read_policy_file(policy_file), policy_file.string(), registry) {}

Recommender::Recommender(PolicyRecord record, const std::string& file,
                         const plugin::PluginRegistry& registry)
    : record_(std::move(record)) {
  // Whatever goes wrong while the policy's plugins are rebuilt and its state loaded is about
  // this policy file: the error names it first, then what the plugin said.
  const auto about_policy = [&](const std::string& part, const auto& build) {
    try {
      build();
    } catch (const ConfigError& e) {
      throw DataError({file, 0, 0},
                      "the policy's " + part + " cannot be rebuilt: " + quoted_error(e));
    } catch (const DataError& e) {
      throw DataError({file, 0, 0}, "the policy's " + part + ": " + quoted_error(e));
    }
  };
  if (record_.log_origin) {
    logged_spec_ = spec_of_log(*record_.log_origin);
  } else {
    about_policy("environment '" + record_.env.plugin + "'", [&] {
      const auto& info =
          registry.get(plugin::Kind::Environment, record_.env.plugin, {file, 0, 0}, "env.plugin");
      env_ = registry.create_environment(info.name, revalidate(record_.env, info, "env", file),
                                         context(nullptr, nullptr, "env", file));
    });
    about_policy("reward '" + record_.reward.plugin + "'", [&] {
      const auto& info =
          registry.get(plugin::Kind::Reward, record_.reward.plugin, {file, 0, 0}, "reward.plugin");
      reward_ = registry.create_reward(info.name, revalidate(record_.reward, info, "reward", file),
                                       context(&env_->spec(), nullptr, "reward", file));
    });
  }
  about_policy("algorithm '" + record_.algorithm.plugin + "'", [&] {
    const auto& info = registry.get(plugin::Kind::Algorithm, record_.algorithm.plugin, {file, 0, 0},
                                    "algorithm.plugin");
    algorithm_ =
        registry.create_algorithm(info.name, revalidate(record_.algorithm, info, "algorithm", file),
                                  context(&spec(), reward_.get(), "algorithm", file));
  });
  if (record_.normalize_observations && record_.normalizer.dim() != spec().observation.size) {
    throw DataError({file, 0, 0},
                    "the policy's normaliser does not match the environment's features");
  }
  about_policy("state", [&] {
    std::istringstream state(record_.algorithm_state);
    algorithm_->load(state);
  });
}

Environment& Recommender::environment() {
  RECRL_ASSERT(env_ != nullptr, "Recommender::environment: a policy fitted from a log has none");
  return *env_;
}

RewardFunction& Recommender::reward() {
  RECRL_ASSERT(reward_ != nullptr, "Recommender::reward: a policy fitted from a log has none");
  return *reward_;
}

void Recommender::algorithm_view(const Matrix& raw, Matrix& out) const {
  if (record_.normalize_observations) {
    record_.normalizer.normalize(raw, out);
  } else {
    out = raw;
  }
}

bool Recommender::allowed_actions(const Matrix& raw, std::vector<std::uint8_t>& allowed) const {
  if (!env_ || !env_->has_action_masks()) {
    allowed.clear();
    return false;
  }
  const auto k = static_cast<std::size_t>(env_->spec().action.size);
  allowed.resize(k * static_cast<std::size_t>(raw.cols()));
  for (Eigen::Index j = 0; j < raw.cols(); ++j) {
    fill_allowed_actions(*env_, raw.col(j), {allowed.data() + k * static_cast<std::size_t>(j), k});
  }
  return true;
}

std::vector<Recommendation> Recommender::recommend(const Matrix& users) {
  const EnvSpec& s = spec();
  Matrix seen;
  algorithm_view(users, seen);
  std::vector<std::uint8_t> allowed;
  allowed_actions(users, allowed);
  const ObsBatch batch{seen, users, allowed};
  std::vector<int> actions(users.cols(), 0);
  Rng rng(derive_seed(record_.seed, Stream::EvalAlgorithm));
  algorithm_->act(batch, ActMode::Greedy, rng, actions);
  Matrix probs;
  // The policy's distribution while it explores (sampling, serving), beside its best action.
  const bool has_probs = algorithm_->action_probabilities(batch, ActMode::Explore, probs);

  // Without a reward function, the policy's own prediction of its choice's reward.
  Vector predicted;
  if (!reward_ && !algorithm_->state_values(batch, predicted)) predicted.setZero(users.cols());

  std::vector<Recommendation> out;
  std::vector<double> parts(reward_ ? reward_->components().size() : 0);
  Rng reward_rng(derive_seed(record_.seed, Stream::EvalReward));
  for (Eigen::Index j = 0; j < users.cols(); ++j) {
    Recommendation r;
    r.action = actions[j];
    if (r.action < 0 || r.action >= s.action.size) {
      throw PluginError(fmt::format("algorithm '{}' chose action {} of {}",
                                    record_.algorithm.plugin, r.action, s.action.size));
    }
    r.label = r.action < static_cast<int>(s.action.labels.size()) ? s.action.labels[r.action]
                                                                  : std::to_string(r.action);
    if (reward_) {
      const Transition t{users.col(j), r.action, users.col(j), 0.0, true, false};
      const double drawn = reward_->compute(t, reward_rng, parts);
      r.reward = reward_->expected(t).value_or(drawn);
      reward_->expected_components(t, parts);  // the parts' means where the reward knows them
      for (std::size_t c = 0; c < parts.size(); ++c)
        r.components.emplace_back(reward_->components()[c], parts[c]);
    } else {
      r.reward = predicted[j];
      r.predicted = true;
    }
    if (has_probs) {
      r.probabilities =
          std::vector<double>(probs.col(j).data(), probs.col(j).data() + probs.rows());
    }
    out.push_back(std::move(r));
  }
  return out;
}

EnvSpec spec_of_log(const LogOrigin& origin) {
  EnvSpec spec;
  spec.name = "log";
  const auto features = static_cast<int>(origin.features.size());
  spec.observation =
      Space{Space::Kind::Box, features, std::vector<double>(origin.features.size(), -INFINITY),
            std::vector<double>(origin.features.size(), INFINITY), origin.features};
  spec.action =
      Space{Space::Kind::Discrete, static_cast<int>(origin.actions.size()), {}, {}, origin.actions};
  spec.max_episode_steps = 1;
  spec.actions_affect_state = false;
  return spec;
}

Vector parse_user(const std::string& text, const EnvSpec& spec, bool absent_is_zero) {
  const Space& features = spec.observation;
  const SourceLocation where{"--user", 0, 0};
  Vector user = Vector::Zero(features.size);
  std::vector<bool> given(features.size, false);
  std::stringstream items(text);
  std::string item;
  while (std::getline(items, item, ',')) {
    const auto eq = item.rfind('=');  // the last: a one-hot feature's name holds one
    const auto trim = [](std::string s) {
      const auto b = s.find_first_not_of(" \t");
      const auto e = s.find_last_not_of(" \t");
      return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
    };
    const std::string name = trim(item.substr(0, eq));
    if (eq == std::string::npos || name.empty()) {
      throw ConfigError(where, "",
                        "expected NAME=VALUE pairs separated by commas, got '" + item + "'");
    }
    const auto index = features.index_of(name);
    if (!index) {
      const std::string hint = config::did_you_mean(name, features.labels);
      throw ConfigError(where, "",
                        "unknown feature '" + name + "'" + (hint.empty() ? "" : "; " + hint) +
                            " (features: " + fmt::format("{}", fmt::join(features.labels, ", ")) +
                            ")");
    }
    if (given[*index]) throw ConfigError(where, name, "given twice");
    const std::string value_text = trim(item.substr(eq + 1));
    const std::optional<double> value = util::parse_finite_number(value_text);
    const std::string problem = value ? feature_value_problem(features, *index, *value)
                                      : "a finite number, got '" + value_text + "'";
    if (!problem.empty()) {
      throw ConfigError(
          where, name,
          "expected " + problem + (value ? fmt::format(", got '{}'", value_text) : std::string()));
    }
    user[*index] = static_cast<Scalar>(*value);
    given[*index] = true;
  }
  std::vector<std::string> missing;
  for (int f = 0; f < features.size && !absent_is_zero; ++f) {
    if (!given[f]) missing.push_back(features.labels[f]);
  }
  if (!missing.empty()) {
    throw ConfigError(where, "",
                      "missing features: " + fmt::format("{}", fmt::join(missing, ", ")));
  }
  return user;
}

Matrix read_users_csv(const std::filesystem::path& file, const EnvSpec& spec, bool absent_is_zero) {
  const auto table = toolkit::CsvTable::read_file(file);
  const Space& features = spec.observation;
  if (table.rows() == 0)
    throw DataError({file.string(), 0, 0}, "the file has no users (only a header)");
  constexpr std::size_t kAbsent = static_cast<std::size_t>(-1);
  std::vector<std::size_t> column_of;
  for (const std::string& name : features.labels) {
    const auto found = std::find(table.header().begin(), table.header().end(), name);
    column_of.push_back(
        absent_is_zero && found == table.header().end() ? kAbsent : table.require_column(name));
  }
  if (absent_is_zero && features.size > 0 &&
      std::all_of(column_of.begin(), column_of.end(), [](std::size_t c) { return c == kAbsent; })) {
    throw DataError(
        {file.string(), 1, 1},
        "no column names one of the policy's features (such as '" + features.labels[0] + "')");
  }
  Matrix users = Matrix::Zero(features.size, static_cast<Eigen::Index>(table.rows()));
  for (std::size_t row = 0; row < table.rows(); ++row) {
    for (int f = 0; f < features.size; ++f) {
      if (column_of[f] == kAbsent) continue;
      const double value = table.number(row, column_of[f]);
      if (const std::string problem = feature_value_problem(features, f, value); !problem.empty()) {
        throw table.error(
            row, column_of[f],
            "expected " + problem + ", got '" + std::string(table.text(row, column_of[f])) + "'");
      }
      users(f, static_cast<Eigen::Index>(row)) = static_cast<Scalar>(value);
    }
  }
  return users;
}

}  // namespace recrl
