#include "recrl/toolkit/marketing_catalog.hpp"

#include <charconv>
#include <cmath>
#include <optional>
#include <string_view>

#include "recrl/core/errors.hpp"

namespace recrl::toolkit {

namespace {

constexpr const char* kOffers = "discount, free_shipping, reminder, bundle, wait";
constexpr const char* kChannels = "email, sms, push";

// Shortest text that reads back as `x`: 15 -> "15", 12.5 -> "12.5".
std::string format_number(double x) {
  char buffer[32];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, x);
  return std::string(buffer, result.ptr);
}

std::optional<double> parse_percentage_text(std::string_view text) {
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  if (!text.empty() && text.back() == '%') text.remove_suffix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  if (text.empty()) return std::nullopt;
  double value = 0.0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

Channel parse_channel(const Value& item, const std::string& key_path) {
  if (item.is_string()) {
    const std::string& name = item.as_string();
    if (name == "email") return Channel::Email;
    if (name == "sms") return Channel::Sms;
    if (name == "push") return Channel::Push;
  }
  throw ConfigError(item.where(), key_path,
                    "unknown channel '" + item.text() + "' (accepted: " + kChannels + ")");
}

// The offer word of an entry: one of kOffers.
std::string parse_offer(const Value& item, const std::string& key_path) {
  if (item.is_string()) {
    const std::string& name = item.as_string();
    for (const char* offer : {"discount", "free_shipping", "reminder", "bundle", "wait"})
      if (name == offer) return name;
  }
  throw ConfigError(item.where(), key_path,
                    "unknown offer '" + item.text() + "' (accepted: " + kOffers + ")");
}

// 15, 15.0 and "15%" all mean 15 percent; a discount's in (0, 100], the others' 0.
double parse_value(const Value& item, const std::string& offer, const std::string& key_path) {
  std::optional<double> value;
  if (item.is_number()) value = item.as_double();
  if (item.is_string()) value = parse_percentage_text(item.as_string());
  if (!value || !std::isfinite(*value)) {
    throw ConfigError(item.where(), key_path,
                      "expected a percentage such as 15 or 15%, got '" + item.text() + "'");
  }
  if (offer == "discount" && !(*value > 0.0 && *value <= 100.0)) {
    throw ConfigError(item.where(), key_path,
                      "a discount needs a value in (0, 100] percent, got " + item.text());
  }
  if (offer != "discount" && *value != 0.0) {
    throw ConfigError(item.where(), key_path,
                      "a " + offer + " offer carries no value: write 0, got " + item.text());
  }
  return *value;
}

// Adds one offer to `action` (a single offer, or a part of a bundle).
void add_offer(MarketingAction& action, const std::string& offer, double value, const Value& where,
               const std::string& key_path) {
  const bool twice = (offer == "discount" && action.discount > 0) ||
                     (offer == "free_shipping" && action.free_shipping) ||
                     (offer == "reminder" && action.reminder);
  if (twice) {
    throw ConfigError(where.where(), key_path,
                      "a bundle carries each offer once: " + offer + " is there twice");
  }
  if (offer == "discount") action.discount = value;
  if (offer == "free_shipping") action.free_shipping = true;
  if (offer == "reminder") action.reminder = true;
}

constexpr const char* kEntryForms =
    "expected an action [offer, value, channel], e.g. [discount, 15%, email]; a grid "
    "[discount, {values: [5, 10, 15]}, email]; a bundle [bundle, [discount, 10], "
    "[free_shipping, 0], email]; or wait";

// The actions one entry stands for (several for a grid).
std::vector<MarketingAction> parse_entry(const Value& item, const std::string& key_path) {
  if (item.is_string() && item.as_string() == "wait") return {MarketingAction{}};
  if (!item.is_list() || item.items().empty())
    throw ConfigError(item.where(), key_path, std::string(kEntryForms) + ", got " + item.text());
  const auto& fields = item.items();
  const std::string offer = parse_offer(fields[0], key_path);
  if (offer == "wait") {
    if (fields.size() != 1)
      throw ConfigError(item.where(), key_path, "wait takes nothing else: write wait");
    return {MarketingAction{}};
  }
  if (offer == "bundle") {
    if (fields.size() < 4) {
      throw ConfigError(item.where(), key_path,
                        "a bundle needs two or more offers and a channel: [bundle, [discount, "
                        "10], [free_shipping, 0], email], got " +
                            item.text());
    }
    MarketingAction action;
    action.bundle = true;
    for (std::size_t i = 1; i + 1 < fields.size(); ++i) {
      const Value& part = fields[i];
      if (!part.is_list() || part.items().size() != 2) {
        throw ConfigError(
            part.where(), key_path,
            "a bundle's offer is [offer, value], e.g. [discount, 10], got " + part.text());
      }
      const std::string part_offer = parse_offer(part.items()[0], key_path);
      if (part_offer == "bundle" || part_offer == "wait") {
        throw ConfigError(
            part.items()[0].where(), key_path,
            "a bundle holds discount, free_shipping or reminder offers, not " + part_offer);
      }
      add_offer(action, part_offer, parse_value(part.items()[1], part_offer, key_path), part,
                key_path);
    }
    action.channel = parse_channel(fields.back(), key_path);
    return {action};
  }
  if (fields.size() != 3)
    throw ConfigError(item.where(), key_path, std::string(kEntryForms) + ", got " + item.text());
  const Channel channel = parse_channel(fields[2], key_path);
  std::vector<const Value*> values{&fields[1]};
  if (fields[1].is_map()) {
    const Value* grid = fields[1].find("values");
    if (offer != "discount" || grid == nullptr || fields[1].entries().size() != 1 ||
        !grid->is_list() || grid->items().empty()) {
      throw ConfigError(fields[1].where(), key_path,
                        "a grid of depths is {values: [5, 10, 15]}, for a discount only");
    }
    values.clear();
    for (const Value& v : grid->items()) values.push_back(&v);
  }
  std::vector<MarketingAction> out;
  for (const Value* v : values) {
    MarketingAction action;
    add_offer(action, offer, parse_value(*v, offer, key_path), *v, key_path);
    action.channel = channel;
    out.push_back(action);
  }
  return out;
}

}  // namespace

std::string MarketingAction::offer() const {
  if (wait()) return "wait";
  if (bundle) return "bundle";
  if (discount > 0) return "discount";
  return free_shipping ? "free_shipping" : "reminder";
}

std::string channel_name(Channel channel) {
  switch (channel) {
    case Channel::Email:
      return "email";
    case Channel::Sms:
      return "sms";
    case Channel::Push:
      return "push";
    case Channel::None:
      break;
  }
  return "none";
}

Value default_marketing_catalog() {
  const auto entry = [](const char* offer, std::int64_t value, const char* channel) {
    return Value::list({Value::string(offer), Value::integer(value), Value::string(channel)});
  };
  return Value::list({
      entry("discount", 10, "email"),
      entry("discount", 10, "sms"),
      entry("discount", 15, "email"),
      entry("discount", 15, "sms"),
      entry("discount", 15, "push"),
      entry("free_shipping", 0, "email"),
      entry("free_shipping", 0, "sms"),
      entry("free_shipping", 0, "push"),
      entry("reminder", 0, "email"),
      entry("reminder", 0, "push"),
  });
}

std::vector<MarketingAction> parse_marketing_catalog(const Value& catalog,
                                                     const std::string& key_path) {
  if (!catalog.is_list() || catalog.items().empty()) {
    throw ConfigError(
        catalog.where(), key_path,
        "expected a non-empty list of actions [offer, value, channel], got " + catalog.kind_name());
  }
  std::vector<MarketingAction> actions;
  std::vector<std::size_t> entry_of;  // the entry each action came from
  const auto& items = catalog.items();
  for (std::size_t i = 0; i < items.size(); ++i) {
    const Value& item = items[i];
    const std::string entry_path = key_path + "[" + std::to_string(i) + "]";
    for (const MarketingAction& action : parse_entry(item, entry_path)) {
      for (std::size_t j = 0; j < actions.size(); ++j) {
        if (!(actions[j] == action)) continue;
        const SourceLocation& first = items[entry_of[j]].where();
        throw ConfigError(item.where(), entry_path,
                          "duplicate action " + label(action) + ": the same as " + key_path + "[" +
                              std::to_string(entry_of[j]) + "]" +
                              (first.line > 0 ? " (line " + std::to_string(first.line) + ")" : ""));
      }
      actions.push_back(action);
      entry_of.push_back(i);
    }
    if (actions.size() > kMaxCatalogActions) {
      throw ConfigError(
          item.where(), entry_path,
          "the catalog has more than " + std::to_string(kMaxCatalogActions) + " actions");
    }
  }
  return actions;
}

std::string label(const MarketingAction& action) {
  if (action.wait()) return "wait";
  // Built by appending: GCC 12 warns falsely (-Wrestrict) about "literal" + std::string&&.
  std::string text = "[";
  if (action.bundle) {
    text.append("bundle, ");
    std::string parts;
    if (action.discount > 0)
      parts.append("discount ").append(format_number(action.discount)).append("%");
    if (action.free_shipping) parts.append(parts.empty() ? "" : " + ").append("free_shipping");
    if (action.reminder) parts.append(parts.empty() ? "" : " + ").append("reminder");
    text.append(parts);
  } else {
    text.append(action.offer()).append(", ").append(format_number(action.discount)).append("%");
  }
  text.append(", ").append(channel_name(action.channel)).append("]");
  return text;
}

ActionInfo action_info(const MarketingAction& action) {
  return ActionInfo{label(action),
                    {{"offer", action.offer()},
                     {"value", format_number(action.discount)},
                     {"channel", channel_name(action.channel)},
                     {"free_shipping", action.free_shipping ? "1" : "0"},
                     {"reminder", action.reminder ? "1" : "0"}}};
}

}  // namespace recrl::toolkit
