#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "recrl/core/export.hpp"
#include "recrl/core/value.hpp"

namespace recrl {

namespace util {
class ProblemList;
}

enum class ParamType { Bool, Int, Double, String, Choice, DoubleList, IntList, StringList, Node };

RECRL_API const char* to_string(ParamType type);

// One declared parameter: name, type, default, bounds or choices, and one line of documentation.
struct RECRL_API ParamSpec {
  std::string name;
  ParamType type = ParamType::Double;
  Value default_value;        // Null when the parameter has no default (then it is required)
  std::optional<double> min;  // inclusive bounds for numbers and list elements
  std::optional<double> max;
  bool min_exclusive = false;
  std::vector<std::string> choices;  // for Choice (and StringList elements when non-empty)
  std::string doc;

  ParamSpec& range(double lo, double hi) {
    min = lo;
    max = hi;
    return *this;
  }
  ParamSpec& at_least(double lo) {
    min = lo;
    return *this;
  }
  ParamSpec& greater_than(double lo) {
    min = lo;
    min_exclusive = true;
    return *this;
  }
  ParamSpec& at_most(double hi) {
    max = hi;
    return *this;
  }
  ParamSpec& required() {
    default_value = Value::null();
    return *this;
  }

  bool has_default() const { return !default_value.is_null(); }
  // "a number in [0, 1]", "one of tanh, relu", "an integer >= 1", ... for messages and tables.
  std::string accepted() const;
};

// The parameters a plugin accepts. Declared once, each on one line, in the plugin's
// static schema(); `recrl describe` prints it and the host validates against it before
// anything is constructed.
class RECRL_API ParamSchema {
 public:
  ParamSpec& boolean(const std::string& name, bool def, const std::string& doc);
  ParamSpec& integer(const std::string& name, std::int64_t def, const std::string& doc);
  ParamSpec& real(const std::string& name, double def, const std::string& doc);
  ParamSpec& text(const std::string& name, const std::string& def, const std::string& doc);
  ParamSpec& choice(const std::string& name, const std::string& def,
                    std::vector<std::string> choices, const std::string& doc);
  ParamSpec& real_list(const std::string& name, std::vector<double> def, const std::string& doc);
  ParamSpec& integer_list(const std::string& name, std::vector<std::int64_t> def,
                          const std::string& doc);
  ParamSpec& text_list(const std::string& name, std::vector<std::string> def,
                       const std::string& doc);
  // A structured value the plugin checks itself (with locations), e.g. an action catalog.
  ParamSpec& node(const std::string& name, Value def, const std::string& doc);

  const std::vector<ParamSpec>& specs() const { return specs_; }
  const ParamSpec* find(const std::string& name) const;

 private:
  ParamSpec& add(ParamSpec spec);
  std::vector<ParamSpec> specs_;
};

// Parameters after validation: every declared name is present (defaults filled in), with the
// declared type, and within bounds. Values keep their source locations.
class RECRL_API Params {
 public:
  Params() = default;
  // Checks `given` (a map, or Null for "none given") against `schema`. key_path names the map
  // in messages ("algorithms[0].params"); where is used for errors about the map itself.
  // Throws ConfigError for an unknown name (with a "did you mean" hint), a wrong type, a
  // non-finite number, or an out-of-range value.
  static Params validate(const ParamSchema& schema, const Value& given, const std::string& key_path,
                         const SourceLocation& where);

  bool get_bool(const std::string& name) const;
  std::int64_t get_int(const std::string& name) const;
  double get_double(const std::string& name) const;
  const std::string& get_string(const std::string& name) const;
  std::vector<double> get_double_list(const std::string& name) const;
  std::vector<std::int64_t> get_int_list(const std::string& name) const;
  std::vector<std::string> get_string_list(const std::string& name) const;
  const Value& get(const std::string& name) const;

  // Where the parameter map was written (the plugin's entry when it has no `params:`), for
  // errors about the plugin as a whole.
  const SourceLocation& where() const { return where_; }
  // "algorithms[0].params.clip_coef": for messages that a plugin raises about one parameter.
  std::string key_path(const std::string& name) const;
  // A ConfigError pointing at the parameter's value (or at the map when it was defaulted).
  ConfigError error(const std::string& name, const std::string& message) const;

  // The whole map, defaults included: what config.resolved.yaml and policy files record.
  const Value& values() const { return values_; }

 private:
  Value values_ = Value::map();
  std::string key_path_;
  SourceLocation where_;
};

// The checking behind Params::validate, for callers that describe sections of their own with
// ParamSchemas and report every problem at once (the experiment file). Returns a map with one
// entry per declared name, in declaration order: the given value (integers widened to doubles
// where a number is declared) or the default. Every problem goes to `problems`; a name that has
// a problem or no value at all is left out. `noun` names an entry in messages: "parameter" or
// "key".
RECRL_API Value validate_map(const ParamSchema& schema, const Value& given,
                             const std::string& key_path, const SourceLocation& where,
                             const std::string& noun, util::ProblemList& problems);

// "a.b" from "a" and "b"; just "b" when the parent path is empty.
RECRL_API std::string join_key_path(const std::string& parent, const std::string& name);

}  // namespace recrl
