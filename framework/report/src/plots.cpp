#include "recrl/report/plots.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "recrl/core/errors.hpp"
#include "recrl/report/svg.hpp"

namespace recrl::report {

namespace {

// The layout every chart shares: the plot area, then a legend column on the right.
constexpr double kWidth = 880;
constexpr double kTop = 44;
constexpr double kPlotRight = 640;
constexpr double kLegendX = 660;
constexpr double kBottomMargin = 58;
constexpr double kLeftMargin = 76;
constexpr double kCharWidth = 6.6;  // of the 12px sans-serif labels, on average
constexpr std::size_t kLegendChars = 30;

std::string colour_of(const SeriesStyle& style) {
  return std::string(style.reference ? kReferenceColour : palette_colour(style.colour));
}

// `text` cut to `chars` characters with an ellipsis; the full text goes into a <title>.
std::string shortened(const std::string& text, std::size_t chars) {
  if (text.size() <= chars) return text;
  std::size_t cut = chars > 1 ? chars - 1 : 0;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;  // UTF-8
  return text.substr(0, cut) + "\u2026";
}

std::string text_element(double x, double y, const std::string& text, const char* anchor,
                         const std::string& extra = "") {
  return fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"{}\"{}>{}</text>\n", coordinate(x),
                     coordinate(y), anchor, extra.empty() ? "" : " " + extra, escape_markup(text));
}

std::string open_svg(const ChartText& text, double height, const char* kind) {
  std::string out = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart {}\" width=\"{}\" height=\"{}\" "
      "viewBox=\"0 0 {} {}\" role=\"img\" font-family=\"sans-serif\" font-size=\"12\">\n"
      "<title>{}</title>\n",
      kind, kWidth, coordinate(height), kWidth, coordinate(height), escape_markup(text.title));
  out +=
      text_element(kLeftMargin, 22, text.title, "start", "font-size=\"15\" font-weight=\"bold\"");
  return out;
}

std::string legend(const std::vector<SeriesStyle>& styles, const char* swatch) {
  std::string out = "<g class=\"legend\">\n";
  for (std::size_t i = 0; i < styles.size(); ++i) {
    const double y = kTop + 8 + 20 * static_cast<double>(i);
    const std::string colour = colour_of(styles[i]);
    if (std::string_view(swatch) == "line") {
      out += fmt::format(
          "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"{}\" stroke-width=\"3\"/>\n",
          coordinate(kLegendX), coordinate(y), coordinate(kLegendX + 22), coordinate(y), colour);
    } else {
      out += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"14\" height=\"14\" fill=\"{}\"/>\n",
                         coordinate(kLegendX + 4), coordinate(y - 7), colour);
    }
    out += fmt::format(
        "<text x=\"{}\" y=\"{}\" dominant-baseline=\"middle\"><title>{}</title>{}"
        "</text>\n",
        coordinate(kLegendX + 30), coordinate(y), escape_markup(styles[i].name),
        escape_markup(shortened(styles[i].name, kLegendChars)));
  }
  return out + "</g>\n";
}

// Horizontal grid lines and labels of a value axis on the left.
std::string y_axis(const Ticks& ticks, const LinearScale& y, double left, double right,
                   const std::string& label, double bottom) {
  std::string out = "<g class=\"y-axis\">\n";
  for (double v : ticks.values) {
    out += fmt::format("<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#e3e3e3\"/>\n",
                       coordinate(left), coordinate(y(v)), coordinate(right), coordinate(y(v)));
    out += text_element(left - 8, y(v), tick_label(v, ticks.step), "end",
                        "dominant-baseline=\"middle\"");
  }
  out += fmt::format("<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#333\"/>\n",
                     coordinate(left), coordinate(kTop), coordinate(left), coordinate(bottom));
  const double middle = (kTop + bottom) / 2;
  out += text_element(16, middle, label, "middle",
                      fmt::format("transform=\"rotate(-90 16 {})\"", coordinate(middle)));
  return out + "</g>\n";
}

// Vertical grid lines and labels of a value axis at the bottom.
std::string x_axis(const Ticks& ticks, const LinearScale& x, double left, double right,
                   double bottom, const std::string& label) {
  std::string out = "<g class=\"x-axis\">\n";
  for (double v : ticks.values) {
    out += fmt::format("<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#e3e3e3\"/>\n",
                       coordinate(x(v)), coordinate(kTop), coordinate(x(v)), coordinate(bottom));
    out +=
        fmt::format("<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#333\"/>\n",
                    coordinate(x(v)), coordinate(bottom), coordinate(x(v)), coordinate(bottom + 5));
    out += text_element(x(v), bottom + 19, tick_label(v, ticks.step), "middle");
  }
  out += fmt::format("<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#333\"/>\n",
                     coordinate(left), coordinate(bottom), coordinate(right), coordinate(bottom));
  out += text_element((left + right) / 2, bottom + 42, label, "middle");
  return out + "</g>\n";
}

struct Range {
  double lo = std::numeric_limits<double>::infinity();
  double hi = -std::numeric_limits<double>::infinity();
  void add(double v) {
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  void add(const std::vector<double>& vs) {
    for (double v : vs) add(v);
  }
  bool empty() const { return lo > hi; }
};

}  // namespace

double quantile(std::vector<double> values, double q) {
  RECRL_ASSERT(!values.empty(), "a quantile of no values");
  std::sort(values.begin(), values.end());
  const double position = q * static_cast<double>(values.size() - 1);
  const auto below = static_cast<std::size_t>(std::floor(position));
  const std::size_t above = std::min(below + 1, values.size() - 1);
  return values[below] + (position - static_cast<double>(below)) * (values[above] - values[below]);
}

std::string line_chart(const ChartText& text, const std::vector<LineSeries>& series) {
  const double height = 380;
  const double bottom = height - kBottomMargin;
  Range xs, ys;
  for (const LineSeries& s : series) {
    if (s.x.size() != s.y.size() || s.lower.size() != s.upper.size() ||
        (!s.lower.empty() && s.lower.size() != s.x.size())) {
      throw Error("line_chart: series '" + s.style.name + "' has coordinates of unequal length");
    }
    xs.add(s.x);
    ys.add(s.y);
    ys.add(s.lower);
    ys.add(s.upper);
  }
  if (xs.empty()) xs = {0, 1};
  if (ys.empty()) ys = {0, 1};
  const Ticks x_ticks = nice_ticks(xs.lo, xs.hi, 6);
  const Ticks y_ticks = nice_ticks(ys.lo, ys.hi, 5);
  const LinearScale x(x_ticks.lo, x_ticks.hi, kLeftMargin, kPlotRight);
  const LinearScale y(y_ticks.lo, y_ticks.hi, bottom, kTop);

  std::string out = open_svg(text, height, "line-chart");
  out += y_axis(y_ticks, y, kLeftMargin, kPlotRight, text.y_label, bottom);
  out += x_axis(x_ticks, x, kLeftMargin, kPlotRight, bottom, text.x_label);
  const auto pixels = [](const std::vector<double>& values, const LinearScale& scale) {
    std::vector<double> mapped;
    for (double v : values) mapped.push_back(scale(v));
    return mapped;
  };
  // Bands first, so that every line is drawn over every band.
  for (const LineSeries& s : series) {
    if (s.lower.empty() || s.x.empty()) continue;
    out += fmt::format(
        "<path class=\"band\" d=\"{}\" fill=\"{}\" fill-opacity=\"0.18\" "
        "stroke=\"none\"><title>{}: 95% interval</title></path>\n",
        band_path(pixels(s.x, x), pixels(s.lower, y), pixels(s.upper, y)), colour_of(s.style),
        escape_markup(s.style.name));
  }
  std::vector<SeriesStyle> styles;
  for (const LineSeries& s : series) {
    styles.push_back(s.style);
    if (s.x.empty()) continue;
    const std::string colour = colour_of(s.style);
    const auto px = pixels(s.x, x);
    const auto py = pixels(s.y, y);
    out += fmt::format(
        "<path class=\"curve\" d=\"{}\" fill=\"none\" stroke=\"{}\" "
        "stroke-width=\"2\"><title>{}</title></path>\n",
        polyline_path(px, py), colour, escape_markup(s.style.name));
    for (std::size_t i = 0; i < px.size(); ++i) {
      out += fmt::format("<circle cx=\"{}\" cy=\"{}\" r=\"2.5\" fill=\"{}\"/>\n", coordinate(px[i]),
                         coordinate(py[i]), colour);
    }
  }
  out += legend(styles, "line");
  return out + "</svg>\n";
}

std::string score_chart(const ChartText& text, const std::vector<ScoreGroup>& groups) {
  const double height = 380;
  const double bottom = height - kBottomMargin;
  Range ys;
  for (const ScoreGroup& g : groups) ys.add(g.scores);
  if (ys.empty()) ys = {0, 1};
  const Ticks y_ticks = nice_ticks(ys.lo, ys.hi, 5);
  const LinearScale y(y_ticks.lo, y_ticks.hi, bottom, kTop);
  const double slot =
      (kPlotRight - kLeftMargin) / static_cast<double>(std::max<std::size_t>(groups.size(), 1));
  const double box_width = std::min(56.0, slot * 0.5);
  const auto slot_chars = static_cast<std::size_t>(std::max(4.0, (slot - 6) / kCharWidth));

  std::string out = open_svg(text, height, "score-chart");
  out += y_axis(y_ticks, y, kLeftMargin, kPlotRight, text.y_label, bottom);
  out += fmt::format("<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#333\"/>\n",
                     coordinate(kLeftMargin), coordinate(bottom), coordinate(kPlotRight),
                     coordinate(bottom));
  std::vector<SeriesStyle> styles;
  for (std::size_t g = 0; g < groups.size(); ++g) {
    const ScoreGroup& group = groups[g];
    styles.push_back(group.style);
    const double cx = kLeftMargin + slot * (static_cast<double>(g) + 0.5);
    out +=
        fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\"><title>{}</title>{}</text>\n",
                    coordinate(cx), coordinate(bottom + 19), escape_markup(group.style.name),
                    escape_markup(shortened(group.style.name, slot_chars)));
    if (group.scores.empty()) continue;
    const std::string colour = colour_of(group.style);
    const double q1 = quantile(group.scores, 0.25), q3 = quantile(group.scores, 0.75);
    const double lo = *std::min_element(group.scores.begin(), group.scores.end());
    const double hi = *std::max_element(group.scores.begin(), group.scores.end());
    const double left = cx - box_width / 2, right = cx + box_width / 2;
    out += fmt::format(
        "<g class=\"distribution\"><title>{}: median {:.4g}, quartiles {:.4g} to "
        "{:.4g}, range {:.4g} to {:.4g}</title>\n",
        escape_markup(group.style.name), quantile(group.scores, 0.5), q1, q3, lo, hi);
    for (const auto& [from, to] : {std::pair{lo, q1}, std::pair{q3, hi}}) {
      out += fmt::format("<line x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" y2=\"{2}\" stroke=\"{3}\"/>\n",
                         coordinate(cx), coordinate(y(from)), coordinate(y(to)), colour);
    }
    for (double cap : {lo, hi}) {
      out += fmt::format("<line x1=\"{0}\" y1=\"{2}\" x2=\"{1}\" y2=\"{2}\" stroke=\"{3}\"/>\n",
                         coordinate(cx - box_width / 4), coordinate(cx + box_width / 4),
                         coordinate(y(cap)), colour);
    }
    out += fmt::format(
        "<rect class=\"box\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" "
        "fill=\"{}\" fill-opacity=\"0.2\" stroke=\"{}\"/>\n",
        coordinate(left), coordinate(y(q3)), coordinate(box_width), coordinate(y(q1) - y(q3)),
        colour, colour);
    out += fmt::format(
        "<line x1=\"{0}\" y1=\"{2}\" x2=\"{1}\" y2=\"{2}\" stroke=\"{3}\" "
        "stroke-width=\"2\"/>\n</g>\n",
        coordinate(left), coordinate(right), coordinate(y(quantile(group.scores, 0.5))), colour);
    // The dots spread across the box in seed order, so that equal scores stay visible.
    const std::size_t n = group.scores.size();
    for (std::size_t i = 0; i < n; ++i) {
      const double offset =
          n == 1 ? 0.0
                 : box_width * 0.8 * (static_cast<double>(i) / static_cast<double>(n - 1) - 0.5);
      out += fmt::format(
          "<circle class=\"score\" cx=\"{}\" cy=\"{}\" r=\"4\" fill=\"{}\" "
          "stroke=\"#fff\"><title>{:.6g}</title></circle>\n",
          coordinate(cx + offset), coordinate(y(group.scores[i])), colour, group.scores[i]);
    }
  }
  out += legend(styles, "box");
  return out + "</svg>\n";
}

std::string bar_chart(const ChartText& text, const std::vector<std::string>& categories,
                      const std::vector<BarSeries>& series) {
  constexpr double kBar = 11, kGap = 10;
  std::size_t longest = 0;
  for (const std::string& c : categories) longest = std::max(longest, c.size());
  const double left = std::clamp(16 + kCharWidth * static_cast<double>(longest), 90.0, 260.0);
  const auto label_chars = static_cast<std::size_t>((left - 16) / kCharWidth);
  const double group_height =
      kBar * static_cast<double>(std::max<std::size_t>(series.size(), 1)) + kGap;
  const double bottom = kTop + group_height * static_cast<double>(categories.size());
  const double height = bottom + kBottomMargin;
  double largest = 0;
  for (const BarSeries& s : series) {
    if (s.values.size() != categories.size()) {
      throw Error(fmt::format("bar_chart: series '{}' has {} values for {} categories",
                              s.style.name, s.values.size(), categories.size()));
    }
    for (double v : s.values) {
      if (!(v >= 0)) throw Error("bar_chart: series '" + s.style.name + "' has a negative value");
      largest = std::max(largest, v);
    }
  }
  const Ticks x_ticks = nice_ticks(0, largest > 0 ? largest : 1, 5);
  const LinearScale x(0, x_ticks.hi, left, kPlotRight);

  std::string out = open_svg(text, height, "bar-chart");
  out += x_axis(x_ticks, x, left, kPlotRight, bottom, text.x_label);
  out += fmt::format("<line x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" y2=\"{2}\" stroke=\"#333\"/>\n",
                     coordinate(left), coordinate(kTop), coordinate(bottom));
  for (std::size_t c = 0; c < categories.size(); ++c) {
    const double top = kTop + group_height * static_cast<double>(c) + kGap / 2;
    out += fmt::format(
        "<text x=\"{}\" y=\"{}\" text-anchor=\"end\" dominant-baseline=\"middle\"><title>{}"
        "</title>{}</text>\n",
        coordinate(left - 8), coordinate(top + (group_height - kGap) / 2),
        escape_markup(categories[c]), escape_markup(shortened(categories[c], label_chars)));
    for (std::size_t s = 0; s < series.size(); ++s) {
      const double value = series[s].values[c];
      out += fmt::format(
          "<rect class=\"bar\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" "
          "fill=\"{}\"><title>{}: {}: {:.1f}</title></rect>\n",
          coordinate(left), coordinate(top + kBar * static_cast<double>(s)),
          coordinate(x(value) - left), coordinate(kBar - 1), colour_of(series[s].style),
          escape_markup(series[s].style.name), escape_markup(categories[c]), value);
    }
  }
  std::vector<SeriesStyle> styles;
  for (const BarSeries& s : series) styles.push_back(s.style);
  out += legend(styles, "box");
  return out + "</svg>\n";
}

std::string forest_plot(const ChartText& text, const std::vector<ForestRow>& rows) {
  constexpr double kRow = 22;
  std::size_t longest = 0;
  for (const ForestRow& r : rows) longest = std::max(longest, r.label.size());
  const double left = std::clamp(16 + kCharWidth * static_cast<double>(longest), 90.0, 260.0);
  const auto label_chars = static_cast<std::size_t>((left - 16) / kCharWidth);
  const double bottom = kTop + kRow * static_cast<double>(std::max<std::size_t>(rows.size(), 1));
  Range xs;
  for (const ForestRow& r : rows) {
    for (const auto& v : {std::optional<double>(r.value), r.low, r.high, r.truth, r.simulated})
      if (v) xs.add(*v);
  }
  if (xs.empty()) xs = {0, 1};
  const Ticks x_ticks = nice_ticks(xs.lo, xs.hi, 5);
  const LinearScale x(x_ticks.lo, x_ticks.hi, left, kPlotRight);

  std::string out = open_svg(text, bottom + kBottomMargin, "forest-plot");
  out += x_axis(x_ticks, x, left, kPlotRight, bottom, text.x_label);
  std::vector<SeriesStyle> styles;
  bool any_truth = false, any_simulated = false;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const ForestRow& r = rows[i];
    const double y = kTop + kRow * (static_cast<double>(i) + 0.5);
    const std::string colour = colour_of(r.style);
    out += fmt::format(
        "<text x=\"{}\" y=\"{}\" text-anchor=\"end\" dominant-baseline=\"middle\"><title>{}"
        "</title>{}</text>\n",
        coordinate(left - 8), coordinate(y), escape_markup(r.label),
        escape_markup(shortened(r.label, label_chars)));
    if (r.low && r.high) {
      out += fmt::format(
          "<line class=\"interval\" x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"{}\" "
          "stroke-width=\"2\"><title>{}: [{:.4f}, {:.4f}]</title></line>\n",
          coordinate(x(*r.low)), coordinate(y), coordinate(x(*r.high)), coordinate(y), colour,
          escape_markup(r.label), *r.low, *r.high);
    }
    out += fmt::format(
        "<circle class=\"estimate\" cx=\"{}\" cy=\"{}\" r=\"4\" fill=\"{}\"><title>{}: {:.4f}"
        "</title></circle>\n",
        coordinate(x(r.value)), coordinate(y), colour, escape_markup(r.label), r.value);
    if (r.truth) {
      any_truth = true;
      out += fmt::format(
          "<path class=\"truth\" d=\"M {0},{1} L {0},{2}\" stroke=\"#000\" stroke-width=\"2\">"
          "<title>true value {3:.4f}</title></path>\n",
          coordinate(x(*r.truth)), coordinate(y - 8), coordinate(y + 8), *r.truth);
    }
    if (r.simulated) {
      any_simulated = true;
      const double cx = x(*r.simulated);
      out += fmt::format(
          "<path class=\"simulated\" d=\"M {},{} L {},{} L {},{} L {},{} Z\" fill=\"none\" "
          "stroke=\"{}\" stroke-width=\"1.5\"><title>simulated {:.4f}</title></path>\n",
          coordinate(cx), coordinate(y - 6), coordinate(cx + 6), coordinate(y), coordinate(cx),
          coordinate(y + 6), coordinate(cx - 6), coordinate(y), colour, *r.simulated);
    }
    if (std::none_of(styles.begin(), styles.end(),
                     [&](const SeriesStyle& s) { return s.name == r.style.name; })) {
      styles.push_back(r.style);
    }
  }
  out += legend(styles, "box");
  // What the marks mean, under the targets' colours.
  double y = kTop + 8 + 20 * static_cast<double>(styles.size()) + 8;
  if (any_truth) {
    out += fmt::format("<path d=\"M {0},{1} L {0},{2}\" stroke=\"#000\" stroke-width=\"2\"/>\n",
                       coordinate(kLegendX + 11), coordinate(y - 8), coordinate(y + 8));
    out += text_element(kLegendX + 30, y + 4, "true value", "start");
    y += 20;
  }
  if (any_simulated) {
    out += fmt::format(
        "<path d=\"M {0},{1} L {2},{3} L {0},{4} L {5},{3} Z\" fill=\"none\" stroke=\"#333\"/>\n",
        coordinate(kLegendX + 11), coordinate(y - 6), coordinate(kLegendX + 17), coordinate(y),
        coordinate(y + 6), coordinate(kLegendX + 5));
    out += text_element(kLegendX + 30, y + 4, "simulated", "start");
  }
  return out + "</svg>\n";
}

}  // namespace recrl::report
