// The `expression` reward: a reward written in the experiment file, without compiling anything
// (README.md beside this file). Named components, each a formula (muParser's syntax: + - * / ^,
// comparisons and && || giving 1 or 0, ?:, min, max, abs, exp, ln, sqrt, ...) over
//   - the customer's features by name (discount_sensitive, email_opens, ...),
//   - the action's catalog fields by name (offer, value, channel, ...), a text field compared
//     with a quoted text: (offer == 'discount'),
//   - `action` (its index), `env_reward` (the environment's own reward for the step),
//   - the numbers under `constants:`.
// The reward is the sum of the components, plus Normal(0, noise_std) noise (drawn only when
// noise_std > 0), clipped to `clip: [low, high]` when given; expected() is the noiseless
// clipped sum, which gives an oracle. Formulas are compiled once, at start-up, where every
// mistake is reported at its line and column: a name or quoted text that does not exist, a
// syntax error, or a formula that yields NaN or infinity for some action and customer within the
// features' bounds. compute() sets a few doubles and evaluates bytecode: no allocation.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "formula.hpp"
#include "recrl/plugin/export.hpp"

namespace recrl::expression {

namespace {

std::optional<double> number_of(const std::string& text) {
  double value = 0;
  const auto [end, failure] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || failure != std::errc() || end != text.data() + text.size()) return {};
  return value;
}

// Where a formula's first character is: the node's own place, one further when the file shows
// an opening quote there (a quoted YAML scalar's place is its quote).
SourceLocation formula_start(const Value& node) {
  SourceLocation where = node.where();
  if (where.line <= 0 || where.column <= 0) return where;
  std::ifstream file(where.file);
  std::string line;
  for (int i = 0; i < where.line && std::getline(file, line); ++i) {
  }
  const auto column = static_cast<std::size_t>(where.column - 1);
  if (file && column < line.size() && (line[column] == '"' || line[column] == '\'')) {
    ++where.column;
  }
  return where;
}

class ExpressionReward final : public RewardFunction {
 public:
  static ParamSchema schema() {
    ParamSchema s;
    s.node("components", Value::map(),
           "named formulas whose sum is the reward, e.g. {targeting: \"0.5 * (offer == "
           "'discount') * discount_sensitive\"}");
    s.node("constants", Value::map(), "named numbers the formulas may use, e.g. {w: 0.5}");
    s.node("clip", Value::list(), "[low, high]: the reward is clipped to it ([]: not clipped)");
    s.real("noise_std", 0.0, "standard deviation of Normal noise added to each reward").at_least(0);
    return s;
  }

  ExpressionReward(const Params& params, const PluginContext& ctx)
      : noise_std_(params.get_double("noise_std")) {
    if (ctx.env == nullptr) throw ConfigError(params.where(), ctx.key_path, "needs an environment");
    const EnvSpec& env = *ctx.env;
    read_clip(params);
    const Symbols symbols = bind(params, env);
    const Value& components = params.get("components");
    if (!components.is_map() || components.entries().empty()) {
      throw params.error("components",
                         "expected a map of one or more named formulas, e.g. {targeting: "
                         "\"0.5 * (offer == 'discount') * discount_sensitive\"}");
    }
    for (const auto& [name, text] : components.entries()) {
      const std::string key = params.key_path("components") + "." + name;
      if (!text.is_string() && !text.is_number()) {
        throw ConfigError(text.where(), key, "expected a formula, got " + text.kind_name());
      }
      names_.push_back(name);
      formulas_.emplace_back(text.text(), symbols, formula_start(text), key);
    }
    if (noise_std_ > 0) names_.push_back("noise");
    check_finite(env);
  }

  const std::vector<std::string>& components() const override { return names_; }

  double compute(const Transition& t, Rng& rng, std::span<double> parts) override {
    const double sum = evaluate(t, parts);
    double noise = 0;
    if (noise_std_ > 0) {
      noise = rng.normal(0.0, noise_std_);
      parts[formulas_.size()] = noise;
    }
    return clipped(sum + noise);
  }

  std::optional<double> expected(const Transition& t) const override {
    return clipped(evaluate(t, {}));
  }

  bool expected_components(const Transition& t, std::span<double> parts) const override {
    evaluate(t, parts);
    if (noise_std_ > 0) parts[formulas_.size()] = 0.0;  // the noise's mean
    return true;
  }

 private:
  // Binds every name a formula may use to a slot of values_ (sized once: the parser keeps
  // pointers into it).
  Symbols bind(const Params& params, const EnvSpec& env) {
    const Value& constants = params.get("constants");
    if (!constants.is_map()) throw params.error("constants", "expected a map of named numbers");
    std::vector<std::string> field_names;
    for (const auto& action : env.actions)
      for (const auto& [field, value] : action.fields)
        if (std::find(field_names.begin(), field_names.end(), field) == field_names.end())
          field_names.push_back(field);
    const std::size_t slots = static_cast<std::size_t>(env.observation.size) + field_names.size() +
                              2 + constants.entries().size();
    values_.assign(slots, 0.0);

    Symbols symbols;
    std::size_t next = 0;
    const auto add = [&](const std::string& name, const SourceLocation& where,
                         const std::string& key) {
      for (const auto& [existing, slot] : symbols.variables) {
        if (existing == name)
          throw ConfigError(
              where, key,
              "the name '" + name + "' is already a feature, an action field or a constant");
      }
      symbols.variables.emplace_back(name, &values_[next]);
      return next++;
    };
    for (int f = 0; f < env.observation.size; ++f)
      add(env.observation.labels[static_cast<std::size_t>(f)], params.where(), "env");
    first_field_ = next;
    for (const auto& field : field_names) add(field, params.where(), "env.params.catalog");
    action_slot_ = add("action", params.where(), "env");
    env_reward_slot_ = add("env_reward", params.where(), "env");
    for (const auto& [name, value] : constants.entries()) {
      const std::string key = params.key_path("constants") + "." + name;
      const std::size_t slot = add(name, value.key_where(), key);
      values_[slot] = value.as_double(key);
    }

    // Each action's field values: numbers where every action's value of the field is one,
    // otherwise a code per text, shared with the quoted texts of the formulas.
    actions_.assign(env.actions.size(), std::vector<double>(field_names.size(), 0.0));
    for (std::size_t k = 0; k < field_names.size(); ++k) {
      bool numeric = true;
      for (const auto& action : env.actions) {
        const std::string* value = action.field(field_names[k]);
        numeric = numeric && value != nullptr && number_of(*value);
      }
      for (std::size_t a = 0; a < env.actions.size(); ++a) {
        const std::string* value = env.actions[a].field(field_names[k]);
        if (numeric) {
          actions_[a][k] = *number_of(*value);
          continue;
        }
        const std::string text = value != nullptr ? *value : "";
        auto found = std::find_if(symbols.literals.begin(), symbols.literals.end(),
                                  [&](const auto& literal) { return literal.first == text; });
        if (found == symbols.literals.end()) {
          symbols.literals.emplace_back(text, static_cast<double>(symbols.literals.size() + 1));
          found = symbols.literals.end() - 1;
        }
        actions_[a][k] = found->second;
      }
    }
    return symbols;
  }

  void read_clip(const Params& params) {
    const Value& clip = params.get("clip");
    if (clip.is_list() && clip.items().empty()) return;
    const std::string key = params.key_path("clip");
    if (!clip.is_list() || clip.items().size() != 2 || !clip.items()[0].is_number() ||
        !clip.items()[1].is_number() ||
        !(clip.items()[0].as_double() <= clip.items()[1].as_double())) {
      throw params.error("clip",
                         "expected [low, high] with low <= high, e.g. [0, 1], got " + clip.text());
    }
    low_ = clip.items()[0].as_double(key);
    high_ = clip.items()[1].as_double(key);
  }

  double clipped(double x) const { return std::clamp(x, low_, high_); }

  // Sets the variables for `t` and sums the components (writing each into `parts` if given).
  double evaluate(const Transition& t, std::span<double> parts) const {
    RECRL_ASSERT(t.action >= 0 && static_cast<std::size_t>(t.action) < actions_.size(),
                 "expression: action out of range");
    for (Eigen::Index f = 0; f < t.obs.size(); ++f)
      values_[static_cast<std::size_t>(f)] = static_cast<double>(t.obs[f]);
    const auto& fields = actions_[static_cast<std::size_t>(t.action)];
    std::copy(fields.begin(), fields.end(),
              values_.begin() + static_cast<std::ptrdiff_t>(first_field_));
    values_[action_slot_] = t.action;
    values_[env_reward_slot_] = t.env_reward;
    double sum = 0;
    for (std::size_t c = 0; c < formulas_.size(); ++c) {
      const double value = formulas_[c].evaluate();
      if (!parts.empty()) parts[c] = value;
      sum += value;
    }
    return sum;
  }

  // Every formula at every action over customers spread across the features' bounds (each
  // at its low, middle and high, one feature at a time, and random ones): NaN or infinity
  // anywhere is a mistake in the formula, reported before anything runs.
  void check_finite(const EnvSpec& env) const {
    const int d = env.observation.size;
    const Space& space = env.observation;
    const auto bound = [&](int f, double where) {
      const auto i = static_cast<std::size_t>(f);
      const double low = space.low.empty() || !std::isfinite(space.low[i]) ? -1000 : space.low[i];
      const double high =
          space.high.empty() || !std::isfinite(space.high[i]) ? low + 2000 : space.high[i];
      if (i < space.binary.size() && space.binary[i]) return where < 0.5 ? low : high;
      return low + where * (high - low);
    };
    std::vector<Vector> probes;
    for (const double w : {0.0, 0.5, 1.0}) {
      Vector x(d);
      for (int f = 0; f < d; ++f) x[f] = static_cast<Scalar>(bound(f, w));
      probes.push_back(x);
      for (int f = 0; f < d; ++f) {
        for (const double v : {0.0, 1.0}) {
          Vector y = x;
          y[f] = static_cast<Scalar>(bound(f, v));
          probes.push_back(y);
        }
      }
    }
    Rng rng(0x6578'7072ull);
    for (int k = 0; k < 64; ++k) {
      Vector x(d);
      for (int f = 0; f < d; ++f) x[f] = static_cast<Scalar>(bound(f, rng.uniform()));
      probes.push_back(x);
    }
    for (const Vector& x : probes) {
      for (int a = 0; a < static_cast<int>(actions_.size()); ++a) {
        const Transition t{x, a, x, 0.0, true, false};
        evaluate(t, {});
        for (const auto& formula : formulas_) {
          const double value = formula.evaluate();
          if (std::isfinite(value)) continue;
          std::string user;
          for (int f = 0; f < d; ++f)
            user += fmt::format("{}{} = {}", f == 0 ? "" : ", ",
                                space.labels[static_cast<std::size_t>(f)], x[f]);
          throw formula.error(
              fmt::format("the formula gives {} for action {} {} and a customer with {}: guard the "
                          "division, logarithm or square root",
                          std::isnan(value) ? "NaN" : (value > 0 ? "infinity" : "-infinity"), a,
                          env.actions[static_cast<std::size_t>(a)].label, user));
        }
      }
    }
  }

  double noise_std_;
  double low_ = -std::numeric_limits<double>::infinity();
  double high_ = std::numeric_limits<double>::infinity();
  std::vector<std::string> names_;
  std::vector<Formula> formulas_;
  mutable std::vector<double> values_;  // the formulas' variables, bound by address
  std::size_t first_field_ = 0;
  std::size_t action_slot_ = 0;
  std::size_t env_reward_slot_ = 0;
  std::vector<std::vector<double>> actions_;  // [action][field] the fields' values
};

}  // namespace

}  // namespace recrl::expression

RECRL_REWARD_PLUGIN(recrl::expression::ExpressionReward, "expression", "1.0.0",
                    "a reward written as formulas over features and action fields (muParser)")
