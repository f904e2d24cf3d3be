#pragma once

// The drawing primitives of `recrl report`: escaping, data-to-pixel scales, "nice" axis ticks,
// SVG path data and the palette. Plots are inline SVG that recrl writes itself, so a report
// needs no JavaScript, no network and no plotting library.

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "recrl/core/export.hpp"

namespace recrl::report {

// `text` safe inside HTML or SVG, as element content and as a quoted attribute value:
// & < > " ' become entities. Experiment names and action labels may contain any of them.
RECRL_API std::string escape_markup(std::string_view text);

// A linear map from a data interval onto a pixel interval. The pixel interval may run
// backwards (SVG's y axis grows downwards). A zero-width data interval maps to the middle.
class RECRL_API LinearScale {
 public:
  LinearScale(double data_lo, double data_hi, double pixel_lo, double pixel_hi);
  double operator()(double value) const;
  double data_lo() const { return data_lo_; }
  double data_hi() const { return data_hi_; }

 private:
  double data_lo_, data_hi_, pixel_lo_, pixel_hi_;
};

// Axis ticks at "nice" numbers (1, 2 or 5 times a power of ten) covering [lo, hi]: `lo` and
// `hi` of the result are the outermost ticks, so the axis starts and ends on a label.
struct RECRL_API Ticks {
  double lo = 0;
  double hi = 1;
  double step = 1;
  std::vector<double> values;
};

// About `target` ticks (between target / 2 and 2 * target). A degenerate range (lo == hi) is
// widened around its value. Throws recrl::Error when lo or hi is not finite or lo > hi.
RECRL_API Ticks nice_ticks(double lo, double hi, int target = 5);

// A tick's label with no more decimals than `step` needs: 0.25 with step 0.05 is "0.25",
// 20000 with step 10000 is "20k", 1500000 with step 500000 is "1.5M", -0 is "0": k, M, G
// once the step is a tenth of the unit.
RECRL_API std::string tick_label(double value, double step);

// A pixel coordinate as SVG text: one decimal, "-0.0" written as "0.0".
RECRL_API std::string coordinate(double pixel);

// SVG path data of a polyline through (xs[i], ys[i]) in pixels: "M x,y L x,y ...".
// Empty when there are no points. Throws recrl::Error when the sizes differ.
RECRL_API std::string polyline_path(std::span<const double> xs, std::span<const double> ys);

// SVG path data of the closed area between `lower` and `upper` over `xs` (in pixels): along
// upper from left to right, back along lower, "Z". Empty when there are no points.
RECRL_API std::string band_path(std::span<const double> xs, std::span<const double> lower,
                                std::span<const double> upper);

// The Okabe-Ito palette, safe for the common colour-vision deficiencies; index wraps around.
RECRL_API std::string_view palette_colour(std::size_t index);
inline constexpr std::size_t kPaletteSize = 7;
// The colour of the reference (oracle) series, apart from the palette.
inline constexpr std::string_view kReferenceColour = "#000000";

}  // namespace recrl::report
