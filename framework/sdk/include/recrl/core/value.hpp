#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "recrl/core/errors.hpp"
#include "recrl/core/export.hpp"

namespace recrl {

// A configuration tree (what a YAML document holds) in which every node remembers where it
// was written. Plugins receive their parameters as Values, so that an error found deep inside
// a parameter (a catalog entry, say) can still point at its file, line and column. The core
// headers stay free of yaml-cpp this way.
class RECRL_API Value {
 public:
  enum class Kind { Null, Bool, Int, Double, String, List, Map };
  using Entry = std::pair<std::string, Value>;

  Value() = default;
  static Value null(SourceLocation where = {});
  static Value boolean(bool b, SourceLocation where = {});
  static Value integer(std::int64_t i, SourceLocation where = {});
  static Value real(double d, SourceLocation where = {});
  static Value string(std::string s, SourceLocation where = {});
  static Value list(std::vector<Value> items = {}, SourceLocation where = {});
  static Value map(std::vector<Entry> entries = {}, SourceLocation where = {});

  Kind kind() const { return kind_; }
  bool is_null() const { return kind_ == Kind::Null; }
  bool is_bool() const { return kind_ == Kind::Bool; }
  bool is_int() const { return kind_ == Kind::Int; }
  bool is_number() const { return kind_ == Kind::Int || kind_ == Kind::Double; }
  bool is_string() const { return kind_ == Kind::String; }
  bool is_list() const { return kind_ == Kind::List; }
  bool is_map() const { return kind_ == Kind::Map; }
  bool is_scalar() const { return kind_ != Kind::List && kind_ != Kind::Map; }

  const SourceLocation& where() const { return where_; }
  void set_where(const SourceLocation& where) { where_ = where; }
  // Where the map key that names this value was written, so that "unknown key" messages point
  // at the key rather than at its value; where() when not known (list items, the root).
  const SourceLocation& key_where() const { return key_where_.known() ? key_where_ : where_; }
  void set_key_where(const SourceLocation& where) { key_where_ = where; }

  // Typed access; each throws ConfigError at this node's location, naming key_path, when the
  // kind does not fit. as_double accepts integers too.
  bool as_bool(const std::string& key_path = "") const;
  std::int64_t as_int(const std::string& key_path = "") const;
  double as_double(const std::string& key_path = "") const;
  const std::string& as_string(const std::string& key_path = "") const;

  // The scalar as written (for messages): "1.5", "true", "abc"; "[...]" / "{...}" otherwise.
  std::string text() const;
  // A short name of the kind for messages: "a number", "a list", ...
  std::string kind_name() const;

  // Lists.
  const std::vector<Value>& items() const;
  std::vector<Value>& items();
  // Maps, in the order written.
  const std::vector<Entry>& entries() const;
  std::vector<Entry>& entries();
  const Value* find(const std::string& key) const;
  Value* find(const std::string& key);
  // Replaces the entry or appends it.
  void set(const std::string& key, Value v);
  bool erase(const std::string& key);

  // Deep equality of contents, ignoring locations.
  bool same_as(const Value& other) const;

 private:
  Kind kind_ = Kind::Null;
  bool bool_ = false;
  std::int64_t int_ = 0;
  double double_ = 0;
  std::string string_;
  std::vector<Value> items_;
  std::vector<Entry> entries_;
  SourceLocation where_;
  SourceLocation key_where_;
};

// How a value is named after "got" in a message: "'abc'" for text, "1.5" for other scalars, "a
// list" / "a map" / "an empty value" otherwise.
RECRL_API std::string describe_value(const Value& v);

}  // namespace recrl
