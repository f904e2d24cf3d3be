#include "catalog.hpp"

#include <array>
#include <charconv>
#include <cmath>
#include <optional>
#include <string_view>
#include <utility>

namespace recrl::recommendation {

namespace {

constexpr std::array<std::pair<std::string_view, Offer>, 3> kOffers{{
    {"discount", Offer::Discount},
    {"free_shipping", Offer::FreeShipping},
    {"reminder", Offer::Reminder},
}};
constexpr std::array<std::pair<std::string_view, Channel>, 3> kChannels{{
    {"email", Channel::Email},
    {"sms", Channel::Sms},
    {"push", Channel::Push},
}};

template <typename Enum, std::size_t N>
std::string_view name_of(const std::array<std::pair<std::string_view, Enum>, N>& names, Enum e) {
  for (const auto& [name, value] : names) {
    if (value == e) return name;
  }
  return "?";
}

template <typename Enum, std::size_t N>
std::string accepted_names(const std::array<std::pair<std::string_view, Enum>, N>& names) {
  std::string text;
  for (const auto& [name, value] : names) {
    static_cast<void>(value);
    text += (text.empty() ? "" : ", ") + std::string(name);
  }
  return text;
}

// Looks `item` up among `names`; a ConfigError naming `what` and the accepted names otherwise.
template <typename Enum, std::size_t N>
Enum parse_name(const Value& item, const std::array<std::pair<std::string_view, Enum>, N>& names,
                const char* what, const std::string& key_path) {
  if (item.is_string()) {
    for (const auto& [name, value] : names) {
      if (item.as_string() == name) return value;
    }
  }
  throw ConfigError(item.where(), key_path,
                    std::string("unknown ") + what + " '" + item.text() +
                        "' (accepted: " + accepted_names(names) + ")");
}

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

// 15, 15.0 and "15%" all mean 15 percent.
double parse_value(const Value& item, Offer offer, const std::string& key_path) {
  std::optional<double> value;
  if (item.is_number()) value = item.as_double();
  if (item.is_string()) value = parse_percentage_text(item.as_string());
  if (!value || !std::isfinite(*value)) {
    throw ConfigError(item.where(), key_path,
                      "expected a percentage such as 15 or 15%, got '" + item.text() + "'");
  }
  if (offer == Offer::Discount && !(*value > 0.0 && *value <= 100.0)) {
    throw ConfigError(item.where(), key_path,
                      "a discount needs a value in (0, 100] percent, got " + item.text());
  }
  if (offer != Offer::Discount && *value != 0.0) {
    throw ConfigError(item.where(), key_path,
                      "a " + std::string(name_of(kOffers, offer)) +
                          " offer carries no value: write 0, got " + item.text());
  }
  return *value;
}

bool same_action(const CatalogEntry& a, const CatalogEntry& b) {
  return a.offer == b.offer && a.value == b.value && a.channel == b.channel;
}

}  // namespace

Value default_catalog() {
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

std::vector<CatalogEntry> parse_catalog(const Value& catalog, const std::string& key_path) {
  if (!catalog.is_list() || catalog.items().empty()) {
    throw ConfigError(
        catalog.where(), key_path,
        "expected a non-empty list of actions [offer, value, channel], got " + catalog.kind_name());
  }
  std::vector<CatalogEntry> entries;
  const auto& items = catalog.items();
  for (std::size_t i = 0; i < items.size(); ++i) {
    const Value& item = items[i];
    const std::string entry_path = key_path + "[" + std::to_string(i) + "]";
    if (!item.is_list() || item.items().size() != 3) {
      throw ConfigError(item.where(), entry_path,
                        "expected an action [offer, value, channel], e.g. [discount, 15%, email], "
                        "got " +
                            item.text());
    }
    const auto& fields = item.items();
    CatalogEntry entry{};
    entry.offer = parse_name(fields[0], kOffers, "offer", entry_path);
    entry.value = parse_value(fields[1], entry.offer, entry_path);
    entry.channel = parse_name(fields[2], kChannels, "channel", entry_path);

    for (std::size_t j = 0; j < entries.size(); ++j) {
      if (!same_action(entries[j], entry)) continue;
      const SourceLocation& first = items[j].where();
      throw ConfigError(item.where(), entry_path,
                        "duplicate action " + label(entry) + ": the same as " + key_path + "[" +
                            std::to_string(j) + "]" +
                            (first.line > 0 ? " (line " + std::to_string(first.line) + ")" : ""));
    }
    entries.push_back(entry);
  }
  return entries;
}

std::string label(const CatalogEntry& entry) {
  // Built by appending: GCC 12 warns falsely (-Wrestrict) about "literal" + std::string&&.
  std::string text = "[";
  text.append(name_of(kOffers, entry.offer)).append(", ").append(format_number(entry.value));
  text.append("%, ").append(name_of(kChannels, entry.channel)).append("]");
  return text;
}

ActionInfo action_info(const CatalogEntry& entry) {
  return ActionInfo{label(entry),
                    {{"offer", std::string(name_of(kOffers, entry.offer))},
                     {"value", format_number(entry.value)},
                     {"channel", std::string(name_of(kChannels, entry.channel))}}};
}

}  // namespace recrl::recommendation
