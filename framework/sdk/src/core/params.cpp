#include "recrl/core/params.hpp"

#include <algorithm>
#include <cmath>
#include <utility>

#include "recrl/core/value.hpp"
#include "recrl/util/number_text.hpp"
#include "recrl/util/problem_list.hpp"
#include "recrl/util/spelling.hpp"

namespace recrl {

namespace {

std::string joined(const std::vector<std::string>& names) {
  std::string text;
  for (const auto& name : names) text += (text.empty() ? "" : ", ") + name;
  return text;
}

// " in [0, 1]", " in (0, 1]", " >= 1", " > 0", " <= 5" or "".
std::string bounds_text(const ParamSpec& spec) {
  using util::shortest_number_text;
  if (spec.min && spec.max) {
    return std::string(" in ") + (spec.min_exclusive ? "(" : "[") +
           shortest_number_text(*spec.min) + ", " + shortest_number_text(*spec.max) + "]";
  }
  if (spec.min) return (spec.min_exclusive ? " > " : " >= ") + shortest_number_text(*spec.min);
  if (spec.max) return " <= " + shortest_number_text(*spec.max);
  return "";
}

bool within_bounds(const ParamSpec& spec, double x) {
  if (spec.min && (spec.min_exclusive ? !(x > *spec.min) : !(x >= *spec.min))) return false;
  if (spec.max && !(x <= *spec.max)) return false;
  return true;
}

// The spec that each element of a list parameter must satisfy: same bounds, scalar type.
ParamSpec element_spec(const ParamSpec& list) {
  ParamSpec element = list;
  switch (list.type) {
    case ParamType::DoubleList:
      element.type = ParamType::Double;
      break;
    case ParamType::IntList:
      element.type = ParamType::Int;
      break;
    case ParamType::StringList:
      element.type = list.choices.empty() ? ParamType::String : ParamType::Choice;
      break;
    default:
      break;
  }
  return element;
}

bool is_list_type(ParamType type) {
  return type == ParamType::DoubleList || type == ParamType::IntList ||
         type == ParamType::StringList;
}

// A checked value keeps both of the original's locations.
Value located_like(Value v, const Value& original) {
  v.set_where(original.where());
  v.set_key_where(original.key_where());
  return v;
}

// Checks one scalar against a scalar spec. Returns the value in its declared type (an integer
// given for a number becomes a double), or nothing after recording the problem.
std::optional<Value> check_scalar(const ParamSpec& spec, const Value& v, const std::string& path,
                                  util::ProblemList& problems) {
  const auto reject = [&](const std::string& note = "") -> std::optional<Value> {
    problems.add(v.where(), path,
                 "expected " + spec.accepted() + ", got " + describe_value(v) + note);
    return std::nullopt;
  };
  switch (spec.type) {
    case ParamType::Bool:
      if (!v.is_bool()) return reject();
      return v;
    case ParamType::Int: {
      if (!v.is_number()) return reject();
      std::int64_t n = 0;
      try {
        n = v.as_int();
      } catch (const ConfigError&) {
        return reject();  // 1.5, .nan, 1e300: not a whole number an int64 holds
      }
      if (!within_bounds(spec, static_cast<double>(n))) return reject();
      return located_like(Value::integer(n), v);
    }
    case ParamType::Double: {
      if (!v.is_number()) return reject();
      const double d = v.as_double();
      if (!std::isfinite(d)) return reject(" (not a finite number)");
      if (!within_bounds(spec, d)) return reject();
      return located_like(Value::real(d), v);
    }
    case ParamType::String:
      if (!v.is_string()) {
        return reject(v.is_scalar() && !v.is_null() ? " (quote it to pass it as text)" : "");
      }
      return v;
    case ParamType::Choice: {
      if (!v.is_string()) return reject();
      const auto& choices = spec.choices;
      if (std::find(choices.begin(), choices.end(), v.as_string()) == choices.end()) {
        const std::string hint = util::did_you_mean_hint(v.as_string(), choices);
        return reject(hint.empty() ? "" : "; " + hint);
      }
      return v;
    }
    default:
      break;
  }
  RECRL_ASSERT(false,
               "check_scalar called for a " + std::string(to_string(spec.type)) + " parameter");
  return std::nullopt;
}

std::optional<Value> check_value(const ParamSpec& spec, const Value& v, const std::string& path,
                                 util::ProblemList& problems) {
  if (spec.type == ParamType::Node) return v;
  if (!is_list_type(spec.type)) return check_scalar(spec, v, path, problems);
  if (!v.is_list()) {
    problems.add(v.where(), path, "expected " + spec.accepted() + ", got " + describe_value(v));
    return std::nullopt;
  }
  // Every element is checked (and reported) at its own location.
  const ParamSpec element = element_spec(spec);
  Value checked = located_like(Value::list(), v);
  bool all_good = true;
  for (std::size_t i = 0; i < v.items().size(); ++i) {
    auto item = check_scalar(element, v.items()[i], path + "[" + std::to_string(i) + "]", problems);
    if (item) {
      checked.items().push_back(std::move(*item));
    } else {
      all_good = false;
    }
  }
  if (!all_good) return std::nullopt;
  return checked;
}

const Value& declared(const Value& values, const std::string& name) {
  const Value* v = values.find(name);
  RECRL_ASSERT(v != nullptr, "parameter '" + name + "' is not declared in the plugin's schema");
  return *v;
}

void expect_kind(const Value& v, Value::Kind kind, const std::string& name, const char* wanted) {
  RECRL_ASSERT(v.kind() == kind,
               "parameter '" + name + "' holds " + v.kind_name() + ", read as " + wanted);
}

ParamSpec make_spec(const std::string& name, ParamType type, Value default_value,
                    const std::string& doc) {
  ParamSpec spec;
  spec.name = name;
  spec.type = type;
  spec.default_value = std::move(default_value);
  spec.doc = doc;
  return spec;
}

}  // namespace

const char* to_string(ParamType type) {
  switch (type) {
    case ParamType::Bool:
      return "bool";
    case ParamType::Int:
      return "int";
    case ParamType::Double:
      return "double";
    case ParamType::String:
      return "string";
    case ParamType::Choice:
      return "choice";
    case ParamType::DoubleList:
      return "double list";
    case ParamType::IntList:
      return "int list";
    case ParamType::StringList:
      return "string list";
    case ParamType::Node:
      return "node";
  }
  return "unknown";
}

std::string ParamSpec::accepted() const {
  switch (type) {
    case ParamType::Bool:
      return "true or false";
    case ParamType::Int:
      return "an integer" + bounds_text(*this);
    case ParamType::Double:
      return "a number" + bounds_text(*this);
    case ParamType::String:
      return "a string";
    case ParamType::Choice:
      return "one of " + joined(choices);
    case ParamType::DoubleList:
      return "a list of numbers" + bounds_text(*this);
    case ParamType::IntList:
      return "a list of integers" + bounds_text(*this);
    case ParamType::StringList:
      return choices.empty() ? "a list of strings"
                             : "a list of strings, each one of " + joined(choices);
    case ParamType::Node:
      return "a value that the plugin checks";
  }
  return "";
}

// --- ParamSchema ---------------------------------------------------------------------------

ParamSpec& ParamSchema::add(ParamSpec spec) {
  RECRL_ASSERT(!spec.name.empty(), "a parameter needs a name");
  RECRL_ASSERT(find(spec.name) == nullptr, "parameter '" + spec.name + "' is declared twice");
  specs_.push_back(std::move(spec));
  return specs_.back();
}

const ParamSpec* ParamSchema::find(const std::string& name) const {
  for (const auto& spec : specs_) {
    if (spec.name == name) return &spec;
  }
  return nullptr;
}

ParamSpec& ParamSchema::boolean(const std::string& name, bool def, const std::string& doc) {
  return add(make_spec(name, ParamType::Bool, Value::boolean(def), doc));
}

ParamSpec& ParamSchema::integer(const std::string& name, std::int64_t def, const std::string& doc) {
  return add(make_spec(name, ParamType::Int, Value::integer(def), doc));
}

ParamSpec& ParamSchema::real(const std::string& name, double def, const std::string& doc) {
  return add(make_spec(name, ParamType::Double, Value::real(def), doc));
}

ParamSpec& ParamSchema::text(const std::string& name, const std::string& def,
                             const std::string& doc) {
  return add(make_spec(name, ParamType::String, Value::string(def), doc));
}

ParamSpec& ParamSchema::choice(const std::string& name, const std::string& def,
                               std::vector<std::string> choices, const std::string& doc) {
  RECRL_ASSERT(std::find(choices.begin(), choices.end(), def) != choices.end(),
               "the default '" + def + "' of parameter '" + name + "' is not one of its choices");
  ParamSpec spec = make_spec(name, ParamType::Choice, Value::string(def), doc);
  spec.choices = std::move(choices);
  return add(std::move(spec));
}

ParamSpec& ParamSchema::real_list(const std::string& name, std::vector<double> def,
                                  const std::string& doc) {
  Value list = Value::list();
  for (double d : def) list.items().push_back(Value::real(d));
  return add(make_spec(name, ParamType::DoubleList, list, doc));
}

ParamSpec& ParamSchema::integer_list(const std::string& name, std::vector<std::int64_t> def,
                                     const std::string& doc) {
  Value list = Value::list();
  for (std::int64_t i : def) list.items().push_back(Value::integer(i));
  return add(make_spec(name, ParamType::IntList, list, doc));
}

ParamSpec& ParamSchema::text_list(const std::string& name, std::vector<std::string> def,
                                  const std::string& doc) {
  Value list = Value::list();
  for (auto& s : def) list.items().push_back(Value::string(std::move(s)));
  return add(make_spec(name, ParamType::StringList, list, doc));
}

ParamSpec& ParamSchema::node(const std::string& name, Value def, const std::string& doc) {
  return add(make_spec(name, ParamType::Node, std::move(def), doc));
}

// --- validation ----------------------------------------------------------------------------

std::string join_key_path(const std::string& parent, const std::string& name) {
  return parent.empty() ? name : parent + "." + name;
}

Value validate_map(const ParamSchema& schema, const Value& given, const std::string& key_path,
                   const SourceLocation& where, const std::string& noun,
                   util::ProblemList& problems) {
  Value result = Value::map({}, given.is_null() ? where : given.where());
  result.set_key_where(where);
  if (!given.is_null() && !given.is_map()) {
    problems.add(given.where(), key_path,
                 "expected a map of " + noun + "s, got " + describe_value(given));
    return result;
  }

  std::vector<std::string> accepted_names;
  for (const auto& spec : schema.specs()) accepted_names.push_back(spec.name);
  const std::string accepted_list =
      " (accepted: " + (accepted_names.empty() ? std::string("none") : joined(accepted_names)) +
      ")";

  std::vector<std::pair<std::string, std::optional<Value>>> checked;
  if (given.is_map()) {
    for (const auto& [name, value] : given.entries()) {
      const std::string path = join_key_path(key_path, name);
      const ParamSpec* spec = schema.find(name);
      if (spec == nullptr) {
        const std::string hint = util::did_you_mean_hint(name, accepted_names);
        problems.add(value.key_where(), path,
                     "unknown " + noun + (hint.empty() ? "" : "; " + hint) + accepted_list);
        continue;
      }
      checked.emplace_back(name, check_value(*spec, value, path, problems));
    }
  }

  for (const auto& spec : schema.specs()) {
    const auto given_entry = std::find_if(checked.begin(), checked.end(), [&](const auto& entry) {
      return entry.first == spec.name;
    });
    if (given_entry != checked.end()) {
      if (given_entry->second) result.set(spec.name, std::move(*given_entry->second));
    } else if (spec.has_default()) {
      result.set(spec.name, spec.default_value);
    } else {
      problems.add(
          where, key_path,
          "missing required " + noun + " '" + spec.name + "' (expected " + spec.accepted() + ")");
    }
  }
  return result;
}

// --- Params --------------------------------------------------------------------------------

Params Params::validate(const ParamSchema& schema, const Value& given, const std::string& key_path,
                        const SourceLocation& where) {
  util::ProblemList problems;
  Value values = validate_map(schema, given, key_path, where, "parameter", problems);
  problems.throw_if_any();
  Params params;
  params.values_ = std::move(values);
  params.key_path_ = key_path;
  params.where_ = where;
  return params;
}

const Value& Params::get(const std::string& name) const { return declared(values_, name); }

bool Params::get_bool(const std::string& name) const {
  const Value& v = get(name);
  expect_kind(v, Value::Kind::Bool, name, "a boolean");
  return v.as_bool();
}

std::int64_t Params::get_int(const std::string& name) const {
  const Value& v = get(name);
  expect_kind(v, Value::Kind::Int, name, "an integer");
  return v.as_int();
}

double Params::get_double(const std::string& name) const {
  const Value& v = get(name);
  RECRL_ASSERT(v.is_number(),
               "parameter '" + name + "' holds " + v.kind_name() + ", read as a number");
  return v.as_double();
}

const std::string& Params::get_string(const std::string& name) const {
  const Value& v = get(name);
  expect_kind(v, Value::Kind::String, name, "a string");
  return v.as_string();
}

std::vector<double> Params::get_double_list(const std::string& name) const {
  const Value& v = get(name);
  expect_kind(v, Value::Kind::List, name, "a list of numbers");
  std::vector<double> out;
  for (const auto& item : v.items()) {
    RECRL_ASSERT(item.is_number(), "parameter '" + name + "' holds " + item.kind_name() +
                                       " in a list read as numbers");
    out.push_back(item.as_double());
  }
  return out;
}

std::vector<std::int64_t> Params::get_int_list(const std::string& name) const {
  const Value& v = get(name);
  expect_kind(v, Value::Kind::List, name, "a list of integers");
  std::vector<std::int64_t> out;
  for (const auto& item : v.items()) {
    expect_kind(item, Value::Kind::Int, name, "a list of integers");
    out.push_back(item.as_int());
  }
  return out;
}

std::vector<std::string> Params::get_string_list(const std::string& name) const {
  const Value& v = get(name);
  expect_kind(v, Value::Kind::List, name, "a list of strings");
  std::vector<std::string> out;
  for (const auto& item : v.items()) {
    expect_kind(item, Value::Kind::String, name, "a list of strings");
    out.push_back(item.as_string());
  }
  return out;
}

std::string Params::key_path(const std::string& name) const {
  return join_key_path(key_path_, name);
}

ConfigError Params::error(const std::string& name, const std::string& message) const {
  const Value& v = get(name);
  return ConfigError(v.where().known() ? v.where() : where_, key_path(name), message);
}

}  // namespace recrl
