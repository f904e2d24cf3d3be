#pragma once

// The report's plots, each one self-contained inline <svg> element with a title, axes with
// ticks and labels, and a legend. Every text is escaped; colours are palette indices
// (svg.hpp), so one algorithm keeps its colour across plots.

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "recrl/core/export.hpp"

namespace recrl::report {

struct RECRL_API ChartText {
  std::string title;
  std::string x_label;
  std::string y_label;
};

// How a series is coloured: a palette index, or the reference (oracle) colour.
struct RECRL_API SeriesStyle {
  std::string name;  // in the legend
  std::size_t colour = 0;
  bool reference = false;
};

// One line, optionally with a shaded band (lower and upper, as long as x, or both empty).
struct RECRL_API LineSeries {
  SeriesStyle style;
  std::vector<double> x;
  std::vector<double> y;
  std::vector<double> lower;
  std::vector<double> upper;
};

// Lines against a numeric x axis: one <path class="curve"> per series with points, one
// <path class="band"> per band. Series without points are listed in the legend only.
RECRL_API std::string line_chart(const ChartText& text, const std::vector<LineSeries>& series);

// The scores of one group, e.g. the final eval reward of each seed of one algorithm.
struct RECRL_API ScoreGroup {
  SeriesStyle style;
  std::vector<double> scores;
};

// One column per group: each score a dot (<circle class="score">), over a box from the first
// to the third quartile with a line at the median and whiskers to the extremes
// (<rect class="box">). x_label is not drawn: the groups name the columns.
RECRL_API std::string score_chart(const ChartText& text, const std::vector<ScoreGroup>& groups);

// Values of one series over the categories (one value per category, in order).
struct RECRL_API BarSeries {
  SeriesStyle style;
  std::vector<double> values;
};

// Horizontal grouped bars: one group of bars per category, one <rect class="bar"> per
// series in each group. Values must be >= 0.
RECRL_API std::string bar_chart(const ChartText& text, const std::vector<std::string>& categories,
                                const std::vector<BarSeries>& series);

// One row of a forest plot: an estimate with its interval, and the references to judge it by.
struct RECRL_API ForestRow {
  std::string label;  // e.g. "ppo: dr"
  SeriesStyle style;  // the target's colour
  double value = 0;
  std::optional<double> low, high;  // the interval, when there is one
  std::optional<double> truth;      // the true value, where the log was simulated
  std::optional<double> simulated;  // the target run's simulated eval reward
};

// A forest plot: one row per estimate, a dot (<circle class="estimate">) on a horizontal line
// across its interval (<line class="interval">), a black tick at the true value (<path
// class="truth">) and a hollow diamond at the simulated value (<path class="simulated">).
// x_label names the axis; the labels name the rows.
RECRL_API std::string forest_plot(const ChartText& text, const std::vector<ForestRow>& rows);

// The q-th quantile (0..1) of `values` with linear interpolation (numpy's default).
RECRL_API double quantile(std::vector<double> values, double q);

}  // namespace recrl::report
