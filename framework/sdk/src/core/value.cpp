#include "recrl/core/value.hpp"

#include <cmath>

#include "recrl/util/number_text.hpp"

namespace recrl {

// The offending value is quoted when it is text and named only by its kind when it is a whole
// list or map, which would not fit on one line.
std::string describe_value(const Value& v) {
  switch (v.kind()) {
    case Value::Kind::String: {
      // Appended piecewise: `"'" + text` trips a false -Wrestrict in GCC 12's libstdc++.
      std::string quoted = "'";
      quoted += v.text();
      quoted += "'";
      return quoted;
    }
    case Value::Kind::Null:
    case Value::Kind::List:
    case Value::Kind::Map:
      return v.kind_name();
    default:
      return v.text();
  }
}

namespace {

[[noreturn]] void wrong_kind(const Value& v, const std::string& key_path, const char* expected) {
  throw ConfigError(v.where(), key_path,
                    std::string("expected ") + expected + ", got " + describe_value(v));
}

}  // namespace

Value Value::null(SourceLocation where) {
  Value v;
  v.where_ = std::move(where);
  return v;
}

Value Value::boolean(bool b, SourceLocation where) {
  Value v = null(std::move(where));
  v.kind_ = Kind::Bool;
  v.bool_ = b;
  return v;
}

Value Value::integer(std::int64_t i, SourceLocation where) {
  Value v = null(std::move(where));
  v.kind_ = Kind::Int;
  v.int_ = i;
  return v;
}

Value Value::real(double d, SourceLocation where) {
  Value v = null(std::move(where));
  v.kind_ = Kind::Double;
  v.double_ = d;
  return v;
}

Value Value::string(std::string s, SourceLocation where) {
  Value v = null(std::move(where));
  v.kind_ = Kind::String;
  v.string_ = std::move(s);
  return v;
}

Value Value::list(std::vector<Value> items, SourceLocation where) {
  Value v = null(std::move(where));
  v.kind_ = Kind::List;
  v.items_ = std::move(items);
  return v;
}

Value Value::map(std::vector<Entry> entries, SourceLocation where) {
  Value v = null(std::move(where));
  v.kind_ = Kind::Map;
  v.entries_ = std::move(entries);
  return v;
}

bool Value::as_bool(const std::string& key_path) const {
  if (kind_ != Kind::Bool) wrong_kind(*this, key_path, "true or false");
  return bool_;
}

std::int64_t Value::as_int(const std::string& key_path) const {
  if (kind_ == Kind::Int) return int_;
  // 1e5 is a common way to write a step count; accept a double when it is a whole number that
  // an int64 holds exactly (2^63 itself is just out of range).
  constexpr double kTwoTo63 = 9223372036854775808.0;
  if (kind_ == Kind::Double && std::isfinite(double_) && std::trunc(double_) == double_ &&
      double_ >= -kTwoTo63 && double_ < kTwoTo63) {
    return static_cast<std::int64_t>(double_);
  }
  wrong_kind(*this, key_path, "an integer");
}

double Value::as_double(const std::string& key_path) const {
  if (kind_ == Kind::Double) return double_;
  if (kind_ == Kind::Int) return static_cast<double>(int_);
  wrong_kind(*this, key_path, "a number");
}

const std::string& Value::as_string(const std::string& key_path) const {
  if (kind_ != Kind::String) wrong_kind(*this, key_path, "a string");
  return string_;
}

std::string Value::text() const {
  switch (kind_) {
    case Kind::Null:
      return "null";
    case Kind::Bool:
      return bool_ ? "true" : "false";
    case Kind::Int:
      return std::to_string(int_);
    case Kind::Double:
      return util::real_number_text(double_);
    case Kind::String:
      return string_;
    case Kind::List:
      return "[...]";
    case Kind::Map:
      return "{...}";
  }
  return "";
}

std::string Value::kind_name() const {
  switch (kind_) {
    case Kind::Null:
      return "an empty value";
    case Kind::Bool:
      return "a boolean";
    case Kind::Int:
      return "an integer";
    case Kind::Double:
      return "a number";
    case Kind::String:
      return "a string";
    case Kind::List:
      return "a list";
    case Kind::Map:
      return "a map";
  }
  return "";
}

const std::vector<Value>& Value::items() const {
  RECRL_ASSERT(kind_ == Kind::List, "Value::items() called on " + kind_name());
  return items_;
}

std::vector<Value>& Value::items() {
  RECRL_ASSERT(kind_ == Kind::List, "Value::items() called on " + kind_name());
  return items_;
}

const std::vector<Value::Entry>& Value::entries() const {
  RECRL_ASSERT(kind_ == Kind::Map, "Value::entries() called on " + kind_name());
  return entries_;
}

std::vector<Value::Entry>& Value::entries() {
  RECRL_ASSERT(kind_ == Kind::Map, "Value::entries() called on " + kind_name());
  return entries_;
}

const Value* Value::find(const std::string& key) const {
  if (kind_ != Kind::Map) return nullptr;
  for (const auto& [name, value] : entries_) {
    if (name == key) return &value;
  }
  return nullptr;
}

Value* Value::find(const std::string& key) {
  return const_cast<Value*>(static_cast<const Value&>(*this).find(key));
}

void Value::set(const std::string& key, Value v) {
  RECRL_ASSERT(kind_ == Kind::Map, "Value::set() called on " + kind_name());
  if (Value* existing = find(key)) {
    *existing = std::move(v);
  } else {
    entries_.emplace_back(key, std::move(v));
  }
}

bool Value::erase(const std::string& key) {
  if (kind_ != Kind::Map) return false;
  for (auto it = entries_.begin(); it != entries_.end(); ++it) {
    if (it->first == key) {
      entries_.erase(it);
      return true;
    }
  }
  return false;
}

bool Value::same_as(const Value& other) const {
  if (kind_ != other.kind_) return false;
  switch (kind_) {
    case Kind::Null:
      return true;
    case Kind::Bool:
      return bool_ == other.bool_;
    case Kind::Int:
      return int_ == other.int_;
    // NaN equals NaN here: a document holding .nan round-trips to the same document.
    case Kind::Double:
      return double_ == other.double_ || (std::isnan(double_) && std::isnan(other.double_));
    case Kind::String:
      return string_ == other.string_;
    case Kind::List:
      if (items_.size() != other.items_.size()) return false;
      for (std::size_t i = 0; i < items_.size(); ++i) {
        if (!items_[i].same_as(other.items_[i])) return false;
      }
      return true;
    case Kind::Map:
      if (entries_.size() != other.entries_.size()) return false;
      for (std::size_t i = 0; i < entries_.size(); ++i) {
        if (entries_[i].first != other.entries_[i].first) return false;
        if (!entries_[i].second.same_as(other.entries_[i].second)) return false;
      }
      return true;
  }
  return false;
}

}  // namespace recrl
