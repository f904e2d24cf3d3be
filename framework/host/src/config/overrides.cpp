// `--set PATH=VALUE`: the command-line overrides of an experiment file (declared in
// recrl/config/experiment.hpp).
#include <cctype>
#include <charconv>

#include "recrl/config/experiment.hpp"
#include "recrl/config/yaml_value.hpp"
#include "value_path.hpp"

namespace recrl::config {

namespace {

std::string trimmed(const std::string& text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return "";
  const auto last = text.find_last_not_of(" \t\r\n");
  return text.substr(first, last - first + 1);
}

// Checks a path's shape; returns "" when it is fine, the problem otherwise.
std::string path_problem(const std::string& path) {
  if (path.empty()) return "the path before '=' is empty";
  for (const auto& segment : path_segments(path)) {
    if (segment.empty())
      return "the path '" + path + "' has an empty key (two dots, or a dot at an end)";
  }
  return "";
}

// Every node of an overriding value comes from the command line, not from a file.
void relocate(Value& v, const SourceLocation& origin) {
  v.set_where(origin);
  v.set_key_where(origin);
  if (v.is_list()) {
    for (auto& item : v.items()) relocate(item, origin);
  } else if (v.is_map()) {
    for (auto& entry : v.entries()) relocate(entry.second, origin);
  }
}

Value parse_value(const Override& override_, const SourceLocation& origin) {
  // Parsed as the value of a one-key map, so that "", "~" and "null" mean null as they do after
  // a key in a file, rather than "an empty file".
  Value wrapper;
  try {
    wrapper = parse_yaml("value: " + override_.value, origin.file);
  } catch (const ConfigError& e) {
    // Keep only yaml-cpp's reason: its line and column refer to the wrapper, not to the user's
    // text.
    const std::string what = e.what();
    const std::size_t reason = what.find("error: ");
    throw ConfigError(origin, "",
                      "cannot read '" + override_.value + "' as a YAML value: " +
                          (reason == std::string::npos ? what : what.substr(reason + 7)));
  }
  const Value* value = wrapper.find("value");
  if (value == nullptr || wrapper.entries().size() != 1) {
    throw ConfigError(origin, "", "cannot read '" + override_.value + "' as one YAML value");
  }
  Value result = *value;
  relocate(result, origin);
  return result;
}

std::optional<std::size_t> parse_index(const std::string& segment) {
  std::size_t index = 0;
  const auto result = std::from_chars(segment.data(), segment.data() + segment.size(), index);
  if (result.ec != std::errc() || result.ptr != segment.data() + segment.size())
    return std::nullopt;
  return index;
}

// The entry of a list of maps whose label (or, without one, plugin name) is `name`.
Value* find_labelled_entry(Value& list, const std::string& name) {
  for (Value& item : list.items()) {
    if (!item.is_map()) continue;
    const Value* label = item.find("label");
    if (label == nullptr) label = item.find("plugin");
    if (label != nullptr && label->is_string() && label->as_string() == name) return &item;
  }
  return nullptr;
}

std::string labels_of(const Value& list) {
  std::string labels;
  for (const Value& item : list.items()) {
    const Value* label = item.is_map() ? item.find("label") : nullptr;
    if (label == nullptr && item.is_map()) label = item.find("plugin");
    if (label != nullptr && label->is_scalar())
      labels += (labels.empty() ? "" : ", ") + label->text();
  }
  return labels;
}

void apply_override(Value& document, const Override& override_) {
  const SourceLocation origin{"--set " + override_.path, 0, 0};
  if (const std::string problem = path_problem(override_.path); !problem.empty()) {
    throw ConfigError(origin, "", problem);
  }
  set_at_path(document, override_.path, parse_value(override_, origin), origin);
}

}  // namespace

Override parse_override(const std::string& argument) {
  const std::size_t equals = argument.find('=');
  if (equals == std::string::npos) {
    throw ConfigError("--set '" + argument +
                      "': expected PATH=VALUE, e.g. --set train.timesteps=5000");
  }
  Override result{trimmed(argument.substr(0, equals)), trimmed(argument.substr(equals + 1))};
  if (const std::string problem = path_problem(result.path); !problem.empty()) {
    throw ConfigError("--set '" + argument + "': " + problem +
                      "; expected PATH=VALUE, e.g. --set algorithms.0.params.learning_rate=1e-3");
  }
  return result;
}

void set_at_path(Value& document, const std::string& path, const Value& value,
                 const SourceLocation& origin) {
  const auto segments = path_segments(path);
  Value* node = &document;
  std::string walked;  // the part of the path already followed, for messages
  for (std::size_t i = 0; i < segments.size(); ++i) {
    const std::string& segment = segments[i];
    const bool last = i + 1 == segments.size();
    if (node->is_null()) {
      // `params:` left empty in the file: setting a key inside it makes it a map.
      const Value empty = *node;
      *node = Value::map({}, empty.where());
      node->set_key_where(empty.key_where());
    }
    if (node->is_map()) {
      Value* child = node->find(segment);
      if (child == nullptr) {
        node->set(segment, last ? value : Value::map({}, origin));
        child = node->find(segment);
      } else if (last) {
        *child = value;
      }
      if (last) child->set_key_where(origin);
      node = child;
    } else if (node->is_list()) {
      const std::size_t size = node->items().size();
      Value* child = nullptr;
      if (const auto index = parse_index(segment)) {
        if (*index >= size) {
          throw ConfigError(origin, "",
                            "index " + segment + " is past the end of '" + walked +
                                "', which has " + std::to_string(size) +
                                (size == 1 ? " entry" : " entries"));
        }
        child = &node->items()[*index];
      } else {
        child = find_labelled_entry(*node, segment);
        if (child == nullptr) {
          throw ConfigError(origin, "",
                            "'" + walked + "' has no entry labelled '" + segment +
                                "'; name an entry by its index (0 to " +
                                std::to_string(size == 0 ? 0 : size - 1) + ") or its label (" +
                                labels_of(*node) + ")");
        }
      }
      if (last) *child = value;
      node = child;
    } else {
      throw ConfigError(origin, "",
                        "cannot set a key inside '" + walked + "', which is " + node->kind_name() +
                            " (" + node->text() + "), not a map or a list");
    }
    walked += (walked.empty() ? "" : ".") + segment;
  }
}

void apply_overrides(Value& document, const std::vector<Override>& overrides) {
  for (const auto& override_ : overrides) apply_override(document, override_);
}

}  // namespace recrl::config
