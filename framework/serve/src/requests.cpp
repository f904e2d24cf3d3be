#include "recrl/serve/requests.hpp"

#include <cmath>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "recrl/config/experiment.hpp"
#include "recrl/run/recommend.hpp"

namespace recrl::serve {

namespace {

using nlohmann::json;

// Thrown inside the parsers, returned as the result.
struct Refusal {
  RequestError error;
};

[[noreturn]] void refuse(std::string field, std::string message) {
  throw Refusal{{std::move(field), std::move(message)}};
}

// What an error shows of something the client sent: all of it up to `limit` bytes, else its
// start (cut between UTF-8 characters) and its length, so that an error never echoes a megabyte.
std::string shown(std::string_view text, std::size_t limit = 64) {
  if (text.size() <= limit) return std::string(text);
  std::size_t cut = limit;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return fmt::format("{}... ({} bytes)", text.substr(0, cut), text.size());
}

std::string path(const std::string& prefix, std::string_view key) {
  return prefix.empty() ? shown(key) : fmt::format("{}.{}", prefix, shown(key));
}

std::string hint(const std::string& word, const std::vector<std::string>& known) {
  const std::string h = config::did_you_mean(word, known);
  return h.empty() ? "" : "; " + h;
}

// The field whose value the parser was reading when it stopped ("context.recency",
// "requests[2].context.recency"), found by reading the body again and following its keys: only
// a body that failed pays for it.
std::string field_where_parsing_stops(std::string_view body) {
  struct Level {
    bool array;
    std::string key;
    std::size_t items = 0;
  };
  std::vector<Level> levels;
  const auto item_done = [&] {
    if (!levels.empty() && levels.back().array) ++levels.back().items;
  };
  try {
    // Elements are kept (the callback's true): one discarded would hide its end from us.
    [[maybe_unused]] const json read = json::parse(body, [&](int, json::parse_event_t event,
                                                             json& parsed) {
      switch (event) {
        case json::parse_event_t::object_start: levels.push_back({false, ""}); break;
        case json::parse_event_t::array_start: levels.push_back({true, ""}); break;
        case json::parse_event_t::key: levels.back().key = parsed.get<std::string>(); break;
        case json::parse_event_t::object_end:
        case json::parse_event_t::array_end:
          levels.pop_back();
          item_done();
          break;
        case json::parse_event_t::value: item_done(); break;
      }
      return true;
    });
  } catch (const json::exception&) {
    std::string field;
    for (const Level& level : levels) {
      if (level.array) {
        field += fmt::format("[{}]", level.items);
      } else if (!level.key.empty()) {
        field = path(field, level.key);
      }
    }
    return field;
  }
  return "";
}

json parse_body(std::string_view body) {
  json doc;
  try {
    doc = json::parse(body);
  } catch (const json::out_of_range&) {
    // The only range error of parsing (406): a number past a double's largest, ~1.8e308.
    refuse(field_where_parsing_stops(body),
           "expected a finite number: this one is beyond a double's range (about 1.8e308)");
  } catch (const json::exception& e) {  // a syntax error
    // The parser's message, without its exception's tag ("[json.exception.parse_error.101] "),
    // names the line and column; it quotes the token it stopped in, which can be the whole body.
    std::string_view message = e.what();
    if (const auto tag_end = message.find("] ");
        message.starts_with('[') && tag_end != std::string_view::npos)
      message.remove_prefix(tag_end + 2);
    refuse("", fmt::format("the body is not valid JSON: {}", shown(message, 240)));
  }
  if (!doc.is_object()) refuse("", "the body must be a JSON object");
  return doc;
}

void check_keys(const json& object, const std::string& prefix,
                const std::vector<std::string>& accepted) {
  for (const auto& [key, value] : object.items()) {
    if (std::find(accepted.begin(), accepted.end(), key) == accepted.end())
      refuse(path(prefix, key), fmt::format("unknown field '{}'{} (accepted: {})", shown(key),
                                            hint(key, accepted), fmt::join(accepted, ", ")));
  }
}

double finite_number(const json& value, const std::string& field) {
  if (!value.is_number())
    refuse(field, fmt::format("expected a number, got {}", shown(value.dump())));
  const double v = value.get<double>();
  if (!std::isfinite(v)) refuse(field, "expected a finite number");
  return v;
}

bool flag(const json& object, const char* key, const std::string& prefix) {
  const auto found = object.find(key);
  if (found == object.end()) return false;
  if (!found->is_boolean())
    refuse(path(prefix, key), fmt::format("expected true or false, got {}", shown(found->dump())));
  return found->get<bool>();
}

void read_context(const json& context, const std::string& field, const RequestShape& shape,
                  Vector& out, std::vector<char>& given) {
  if (!context.is_object()) refuse(field, "expected an object of feature names and numbers");
  const Space& features = shape.features;
  out.setZero(features.size);
  given.assign(static_cast<std::size_t>(features.size), 0);
  for (const auto& [name, value] : context.items()) {
    const std::string at = path(field, name);
    const auto f = shape.feature(name);
    if (!f)
      refuse(at, fmt::format("'{}' is not a feature of the served policy{}", shown(name),
                             hint(name, features.labels)));
    const double v = finite_number(value, at);
    if (const std::string problem = feature_value_problem(features, *f, v); !problem.empty())
      refuse(at, fmt::format("expected {}, got {}", problem, shown(value.dump())));
    out[*f] = static_cast<Scalar>(v);
    given[static_cast<std::size_t>(*f)] = 1;
  }
  if (shape.absent_is_zero) return;
  std::vector<std::string> missing;
  for (int f = 0; f < features.size; ++f)
    if (!given[static_cast<std::size_t>(f)]) missing.push_back(features.labels[f]);
  if (!missing.empty())
    refuse(path(field, missing.front()),
           fmt::format("missing feature{} {}", missing.size() > 1 ? "s" : "",
                       fmt::join(missing, ", ")));
}

void read_excluded(const json& list, const std::string& field, const RequestShape& shape,
                   std::vector<char>& excluded) {
  const auto k = shape.actions.size();
  excluded.assign(k, 0);
  if (!list.is_array()) refuse(field, "expected an array of action labels or indices");
  for (std::size_t i = 0; i < list.size(); ++i) {
    const json& item = list[i];
    const std::string at = fmt::format("{}[{}]", field, i);
    if (item.is_number_integer() || item.is_number_unsigned()) {
      const auto index = item.get<std::int64_t>();
      if (index < 0 || index >= static_cast<std::int64_t>(k))
        refuse(at, fmt::format("no action {}: actions are 0 to {}", index, k - 1));
      excluded[static_cast<std::size_t>(index)] = 1;
    } else if (item.is_string()) {
      const auto& label = item.get_ref<const std::string&>();
      const auto index = shape.action(label);
      if (!index)
        refuse(at, fmt::format("no action '{}'{}", shown(label), hint(label, shape.actions)));
      excluded[static_cast<std::size_t>(*index)] = 1;
    } else {
      refuse(at, fmt::format("expected an action label or index, got {}", shown(item.dump())));
    }
  }
  if (std::find(excluded.begin(), excluded.end(), 0) == excluded.end())
    refuse(field, "every action is excluded: at least one must remain to choose from");
}

void read_rank(const json& doc, const std::string& prefix, const RequestShape& shape,
               RankRequest& out, std::vector<char>& given) {
  if (!doc.is_object()) refuse(prefix, "expected a rank request object");
  check_keys(doc, prefix, {"eventId", "context", "excludedActions", "deferActivation", "explain"});
  out.event_id.clear();
  if (const auto id = doc.find("eventId"); id != doc.end()) {
    if (!id->is_string() || !valid_event_id(id->get_ref<const std::string&>()))
      refuse(path(prefix, "eventId"),
             fmt::format("expected 1 to 128 characters of A-Z a-z 0-9 . _ : -, got {}",
                         shown(id->dump())));
    out.event_id = id->get<std::string>();
  }
  const auto context = doc.find("context");
  if (context == doc.end()) refuse(path(prefix, "context"), "missing: the customer's features");
  read_context(*context, path(prefix, "context"), shape, out.context, given);
  if (const auto list = doc.find("excludedActions"); list != doc.end()) {
    read_excluded(*list, path(prefix, "excludedActions"), shape, out.excluded);
  } else {
    out.excluded.assign(shape.actions.size(), 0);
  }
  out.defer_activation = flag(doc, "deferActivation", prefix);
  out.explain = flag(doc, "explain", prefix);
}

}  // namespace

RequestShape::Index RequestShape::index_of(const std::vector<std::string>& names) {
  Index index;
  for (std::size_t i = 0; i < names.size(); ++i) index.emplace(names[i], static_cast<int>(i));
  return index;
}

RequestShape::RequestShape(Space f, std::vector<std::string> a, bool absent_zero,
                           std::vector<std::string> c, std::vector<double> w)
    : features(std::move(f)),
      actions(std::move(a)),
      absent_is_zero(absent_zero),
      components(std::move(c)),
      weights(std::move(w)),
      feature_index_(index_of(features.labels)),
      action_index_(index_of(actions)) {}

std::optional<int> RequestShape::feature(std::string_view name) const {
  const auto found = feature_index_.find(name);
  if (found == feature_index_.end()) return std::nullopt;
  return found->second;
}

std::optional<int> RequestShape::action(std::string_view label) const {
  const auto found = action_index_.find(label);
  if (found == action_index_.end()) return std::nullopt;
  return found->second;
}

bool valid_event_id(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  for (const char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == ':' || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::optional<RequestError> parse_rank(std::string_view body, const RequestShape& shape,
                                       RankRequest& out) {
  if (detail::read_plain_rank(body, shape, out)) return std::nullopt;
  return detail::read_any_rank(body, shape, out);
}

std::optional<RequestError> detail::read_any_rank(std::string_view body, const RequestShape& shape,
                                                  RankRequest& out) {
  try {
    std::vector<char> given;
    read_rank(parse_body(body), "", shape, out, given);
  } catch (const Refusal& r) {
    return r.error;
  }
  return std::nullopt;
}

std::optional<RequestError> parse_rank_batch(std::string_view body, const RequestShape& shape,
                                             std::vector<RankRequest>& out) {
  try {
    const json doc = parse_body(body);
    check_keys(doc, "", {"requests"});
    const auto list = doc.find("requests");
    if (list == doc.end() || !list->is_array() || list->empty() || list->size() > kMaxBatch)
      refuse("requests", fmt::format("expected an array of 1 to {} rank requests", kMaxBatch));
    out.resize(list->size());
    std::vector<char> given;
    for (std::size_t i = 0; i < list->size(); ++i)
      read_rank((*list)[i], fmt::format("requests[{}]", i), shape, out[i], given);
  } catch (const Refusal& r) {
    return r.error;
  }
  return std::nullopt;
}

std::optional<RequestError> parse_reward(std::string_view body, const RequestShape& shape,
                                         RewardRequest& out) {
  try {
    const json doc = parse_body(body);
    check_keys(doc, "", {"value", "components"});
    const auto value = doc.find("value");
    const auto components = doc.find("components");
    if ((value == doc.end()) == (components == doc.end()))
      refuse("", "expected exactly one of 'value' (a number) and 'components' (an object)");
    out.components.clear();
    if (value != doc.end()) {
      out.value = finite_number(*value, "value");
      return std::nullopt;
    }
    if (!components->is_object() || components->empty())
      refuse("components", "expected an object of reward component names and numbers");
    if (shape.components.empty())
      refuse("components",
             "the served policy's reward has no named components: send {\"value\": number}");
    out.value = 0;
    for (const auto& [name, v] : components->items()) {
      const std::string at = path("components", name);
      const auto c = std::find(shape.components.begin(), shape.components.end(), name);
      if (c == shape.components.end())
        refuse(at, fmt::format("no reward component '{}'{} (components: {})", shown(name),
                               hint(name, shape.components), fmt::join(shape.components, ", ")));
      out.value += shape.weights[static_cast<std::size_t>(c - shape.components.begin())] *
                   finite_number(v, at);
    }
    out.components = components->dump();
  } catch (const Refusal& r) {
    return r.error;
  }
  return std::nullopt;
}

}  // namespace recrl::serve
