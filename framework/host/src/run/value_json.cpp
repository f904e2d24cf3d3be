#include "value_json.hpp"

namespace recrl {

nlohmann::json to_json(const Value& v) {
  switch (v.kind()) {
    case Value::Kind::Null:
      return nullptr;
    case Value::Kind::Bool:
      return v.as_bool();
    case Value::Kind::Int:
      return v.as_int();
    case Value::Kind::Double:
      return v.as_double();
    case Value::Kind::String:
      return v.as_string();
    case Value::Kind::List: {
      nlohmann::json list = nlohmann::json::array();
      for (const Value& item : v.items()) list.push_back(to_json(item));
      return list;
    }
    case Value::Kind::Map: {
      // An array of [key, value] pairs would keep the order, but objects read better; order
      // within a plugin's parameters carries no meaning.
      nlohmann::json map = nlohmann::json::object();
      for (const auto& [key, item] : v.entries()) map[key] = to_json(item);
      return map;
    }
  }
  return nullptr;
}

Value from_json(const nlohmann::json& j, const std::string& file) {
  const SourceLocation where{file, 0, 0};
  if (j.is_null()) return Value::null(where);
  if (j.is_boolean()) return Value::boolean(j.get<bool>(), where);
  if (j.is_number_integer()) return Value::integer(j.get<std::int64_t>(), where);
  if (j.is_number()) return Value::real(j.get<double>(), where);
  if (j.is_string()) return Value::string(j.get<std::string>(), where);
  if (j.is_array()) {
    std::vector<Value> items;
    for (const auto& item : j) items.push_back(from_json(item, file));
    return Value::list(std::move(items), where);
  }
  std::vector<Value::Entry> entries;
  for (const auto& [key, item] : j.items()) entries.emplace_back(key, from_json(item, file));
  return Value::map(std::move(entries), where);
}

}  // namespace recrl
