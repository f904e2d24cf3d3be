#include "recrl/report/svg.hpp"

#include <array>
#include <cmath>

#include <fmt/format.h>

#include "recrl/core/errors.hpp"

namespace recrl::report {

std::string escape_markup(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

LinearScale::LinearScale(double data_lo, double data_hi, double pixel_lo, double pixel_hi)
    : data_lo_(data_lo), data_hi_(data_hi), pixel_lo_(pixel_lo), pixel_hi_(pixel_hi) {}

double LinearScale::operator()(double value) const {
  const double width = data_hi_ - data_lo_;
  if (width == 0) return (pixel_lo_ + pixel_hi_) / 2;
  return pixel_lo_ + (value - data_lo_) / width * (pixel_hi_ - pixel_lo_);
}

namespace {

// The nice number (1, 2, 5 or 10 times a power of ten) closest above `rough`.
double nice_step(double rough) {
  const double power = std::pow(10.0, std::floor(std::log10(rough)));
  const double fraction = rough / power;
  const double nice = fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10;
  return nice * power;
}

// Decimals that `step` needs to show, e.g. 0.05 -> 2, 2.5 -> 1, 10 -> 0.
int decimals_of(double step) {
  for (int decimals = 0; decimals < 10; ++decimals) {
    const double scaled = step * std::pow(10.0, decimals);
    if (std::abs(scaled - std::round(scaled)) < 1e-6 * scaled) return decimals;
  }
  return 10;
}

}  // namespace

Ticks nice_ticks(double lo, double hi, int target) {
  if (!std::isfinite(lo) || !std::isfinite(hi) || lo > hi) {
    throw Error(fmt::format("axis range [{}, {}] is not a finite interval", lo, hi));
  }
  if (target < 2) target = 2;
  if (lo == hi) {
    const double pad = lo == 0 ? 1 : std::abs(lo) * 0.1;
    lo -= pad;
    hi += pad;
  }
  Ticks ticks;
  ticks.step = nice_step((hi - lo) / target);
  // A small tolerance, so that data ending exactly on a tick is not pushed one step further
  // by rounding in the division.
  const double first = std::floor(lo / ticks.step + 1e-9);
  const double last = std::ceil(hi / ticks.step - 1e-9);
  ticks.lo = first * ticks.step;
  ticks.hi = last * ticks.step;
  for (double i = first; i <= last; ++i) ticks.values.push_back(i * ticks.step);
  return ticks;
}

std::string tick_label(double value, double step) {
  if (std::abs(value) < step * 1e-9) value = 0;  // no "-0", no 1e-17 from accumulated steps
  struct Unit {
    double size;
    const char* suffix;
  };
  constexpr std::array<Unit, 3> units{{{1e9, "G"}, {1e6, "M"}, {1e3, "k"}}};
  for (const Unit& unit : units) {
    if (step >= unit.size / 10) {  // 500000 steps read as 0.5M, 1M, 1.5M
      return fmt::format("{:.{}f}{}", value / unit.size, decimals_of(step / unit.size),
                         unit.suffix);
    }
  }
  return fmt::format("{:.{}f}", value, decimals_of(step));
}

std::string coordinate(double pixel) {
  std::string text = fmt::format("{:.1f}", pixel);
  return text == "-0.0" ? "0.0" : text;
}

std::string polyline_path(std::span<const double> xs, std::span<const double> ys) {
  if (xs.size() != ys.size()) {
    throw Error(fmt::format("a polyline needs as many x as y coordinates, got {} and {}", xs.size(),
                            ys.size()));
  }
  std::string data;
  for (std::size_t i = 0; i < xs.size(); ++i) {
    data += (i == 0 ? "M" : " L") + coordinate(xs[i]) + "," + coordinate(ys[i]);
  }
  return data;
}

std::string band_path(std::span<const double> xs, std::span<const double> lower,
                      std::span<const double> upper) {
  if (xs.size() != lower.size() || xs.size() != upper.size()) {
    throw Error(
        fmt::format("a band needs as many x as lower and upper coordinates, got {}, {} "
                    "and {}",
                    xs.size(), lower.size(), upper.size()));
  }
  if (xs.empty()) return "";
  std::string data = polyline_path(xs, upper);
  for (std::size_t i = xs.size(); i-- > 0;) {
    data += " L" + coordinate(xs[i]) + "," + coordinate(lower[i]);
  }
  return data + " Z";
}

std::string_view palette_colour(std::size_t index) {
  // Okabe & Ito (2008), without its yellow, which is unreadable as a line on white.
  constexpr std::array<std::string_view, kPaletteSize> colours{
      "#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#999999"};
  return colours[index % colours.size()];
}

}  // namespace recrl::report
