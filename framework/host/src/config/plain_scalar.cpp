#include "plain_scalar.hpp"

#include <cctype>
#include <charconv>
#include <cstdint>
#include <limits>
#include <optional>

namespace recrl::config::detail {

namespace {

bool is_one_of(const std::string& text, std::initializer_list<const char*> spellings) {
  for (const char* spelling : spellings) {
    if (text == spelling) return true;
  }
  return false;
}

bool all_digits(std::string_view text, int base) {
  if (text.empty()) return false;
  for (char c : text) {
    const bool ok = base == 16  ? std::isxdigit(static_cast<unsigned char>(c)) != 0
                    : base == 8 ? (c >= '0' && c <= '7')
                                : std::isdigit(static_cast<unsigned char>(c)) != 0;
    if (!ok) return false;
  }
  return true;
}

std::optional<std::int64_t> parse_integer(const std::string& text) {
  std::string_view digits = text;
  bool negative = false;
  if (!digits.empty() && (digits[0] == '-' || digits[0] == '+')) {
    negative = digits[0] == '-';
    digits.remove_prefix(1);
  }
  int base = 10;
  if (digits.starts_with("0x")) {
    base = 16;
    digits.remove_prefix(2);
  } else if (digits.starts_with("0o")) {
    base = 8;
    digits.remove_prefix(2);
  }
  if (!all_digits(digits, base)) return std::nullopt;
  std::uint64_t magnitude = 0;
  const auto result =
      std::from_chars(digits.data(), digits.data() + digits.size(), magnitude, base);
  if (result.ec != std::errc()) return std::nullopt;  // too large: read as a double instead
  constexpr auto kMax = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
  if (!negative && magnitude <= kMax) return static_cast<std::int64_t>(magnitude);
  if (negative && magnitude <= kMax + 1) return static_cast<std::int64_t>(0 - magnitude);
  return std::nullopt;
}

// [-+]? ( \.[0-9]+ | [0-9]+ ( \.[0-9]* )? ) ( [eE] [-+]? [0-9]+ )?
bool looks_like_decimal(std::string_view text) {
  std::size_t i = 0;
  const auto digits_from = [&](std::size_t start) {
    std::size_t end = start;
    while (end < text.size() && std::isdigit(static_cast<unsigned char>(text[end])) != 0) ++end;
    return end;
  };
  if (i < text.size() && (text[i] == '-' || text[i] == '+')) ++i;
  const std::size_t integer_end = digits_from(i);
  const bool has_integer = integer_end > i;
  i = integer_end;
  if (i < text.size() && text[i] == '.') {
    const std::size_t fraction_end = digits_from(i + 1);
    if (!has_integer && fraction_end == i + 1) return false;
    i = fraction_end;
  } else if (!has_integer) {
    return false;
  }
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    if (i < text.size() && (text[i] == '-' || text[i] == '+')) ++i;
    const std::size_t exponent_end = digits_from(i);
    if (exponent_end == i) return false;
    i = exponent_end;
  }
  return i == text.size();
}

std::optional<double> parse_double(const std::string& text) {
  std::string_view rest = text;
  double sign = 1;
  if (!rest.empty() && (rest[0] == '-' || rest[0] == '+')) {
    sign = rest[0] == '-' ? -1 : 1;
    rest.remove_prefix(1);
  }
  if (rest == ".inf" || rest == ".Inf" || rest == ".INF") {
    return sign * std::numeric_limits<double>::infinity();
  }
  if (text == ".nan" || text == ".NaN" || text == ".NAN") {
    return std::numeric_limits<double>::quiet_NaN();
  }
  if (!looks_like_decimal(text)) return std::nullopt;
  double d = 0;
  // from_chars takes no leading '+'; it reads "1." and ".5" as YAML does.
  const auto result = std::from_chars(rest.data(), rest.data() + rest.size(), d);
  if (result.ptr != rest.data() + rest.size()) return std::nullopt;
  // Out of range: from_chars leaves d alone; the value is an overflow to infinity or an
  // underflow to zero, which is what other YAML readers give.
  if (result.ec == std::errc::result_out_of_range) {
    const bool tiny = rest.find_first_of("eE") != std::string_view::npos &&
                      rest[rest.find_first_of("eE") + 1] == '-';
    d = tiny ? 0.0 : std::numeric_limits<double>::infinity();
  }
  return sign * d;
}

}  // namespace

Value resolve_plain_scalar(const std::string& text, const SourceLocation& where) {
  if (is_one_of(text, {"", "~", "null", "Null", "NULL"})) return Value::null(where);
  if (is_one_of(text, {"true", "True", "TRUE"})) return Value::boolean(true, where);
  if (is_one_of(text, {"false", "False", "FALSE"})) return Value::boolean(false, where);
  if (auto i = parse_integer(text)) return Value::integer(*i, where);
  if (auto d = parse_double(text)) return Value::real(*d, where);
  return Value::string(text, where);
}

}  // namespace recrl::config::detail
