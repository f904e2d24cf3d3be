#include "recrl/toolkit/schedule.hpp"

#include <charconv>
#include <cmath>
#include <optional>
#include <sstream>
#include <string_view>

namespace recrl::toolkit {
namespace {

// The whole of `text` as a finite number, or nullopt.
std::optional<double> parse_number(std::string_view text) {
  if (text.empty()) return std::nullopt;
  if (text.front() == '+') text.remove_prefix(1);
  double number = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), number);
  if (error != std::errc() || end != text.data() + text.size() || !std::isfinite(number)) {
    return std::nullopt;
  }
  return number;
}

std::string shortest_text(double number) {
  std::ostringstream out;
  out.precision(17);
  out << number;
  // Prefer the shortest text that reads back the same (0.0003, not 0.00029999999999999997).
  for (int digits = 1; digits <= 17; ++digits) {
    std::ostringstream shorter;
    shorter.precision(digits);
    shorter << number;
    if (std::stod(shorter.str()) == number) return shorter.str();
  }
  return out.str();
}

// Parses value; on failure returns the message to report.
std::optional<Schedule> try_parse(const Value& value, bool positive, std::string& message) {
  const std::string accepted = positive
                                   ? "a number > 0 or lin_<number > 0> (e.g. 0.0003, lin_0.001)"
                                   : "a number or lin_<number> (e.g. 0.2, lin_0.2)";
  std::optional<Schedule> schedule;
  if (value.is_number()) {
    const double number = value.as_double();
    if (std::isfinite(number)) schedule = Schedule::constant(number);
  } else if (value.is_string()) {
    std::string_view text = value.as_string();
    constexpr std::string_view kLinear = "lin_";
    if (text.substr(0, kLinear.size()) == kLinear) {
      if (auto start = parse_number(text.substr(kLinear.size())))
        schedule = Schedule::linear(*start);
    } else if (auto number = parse_number(text)) {
      schedule = Schedule::constant(*number);
    }
  }
  if (!schedule || (positive && !(schedule->initial() > 0))) {
    message = "expected " + accepted + ", got " +
              (value.is_scalar() ? "'" + value.text() + "'" : value.kind_name());
    return std::nullopt;
  }
  return schedule;
}

}  // namespace

double progress_remaining(std::int64_t num_timesteps, std::int64_t total_timesteps) {
  if (total_timesteps <= 0) return 0.0;
  return 1.0 - static_cast<double>(num_timesteps) / static_cast<double>(total_timesteps);
}

double linear_fn(double start, double end, double end_fraction, double progress_remaining) {
  const double progress = 1.0 - progress_remaining;
  if (progress > end_fraction) return end;
  return start + progress * (end - start) / end_fraction;
}

Schedule Schedule::constant(double value) { return Schedule(value, value); }

Schedule Schedule::linear(double start, double end) { return Schedule(start, end); }

Schedule Schedule::parse(const Value& value, const std::string& key_path, bool positive) {
  std::string message;
  if (auto schedule = try_parse(value, positive, message)) return *schedule;
  throw ConfigError(value.where(), key_path, message);
}

Schedule Schedule::parse(const Params& params, const std::string& name, bool positive) {
  std::string message;
  if (auto schedule = try_parse(params.get(name), positive, message)) return *schedule;
  throw params.error(name, message);
}

std::string Schedule::describe() const {
  if (is_constant()) return shortest_text(start_);
  if (end_ == 0.0) return "lin_" + shortest_text(start_);
  return "linear from " + shortest_text(start_) + " to " + shortest_text(end_);
}

}  // namespace recrl::toolkit
