#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <set>
#include <string>
#include <vector>

#include "recrl/core/errors.hpp"
#include "recrl/report/svg.hpp"

using namespace recrl::report;

TEST_CASE("escape_markup replaces every markup character", "[report]") {
  CHECK(escape_markup("a<b>&\"c'd") == "a&lt;b&gt;&amp;&quot;c&#39;d");
  CHECK(escape_markup("plain text 15% email") == "plain text 15% email");
  CHECK(escape_markup("") == "");
}

TEST_CASE("nice_ticks covers the range with round steps", "[report]") {
  const Ticks unit = nice_ticks(0, 1, 5);
  CHECK(unit.step == Approx(0.2));
  CHECK(unit.lo == 0);
  CHECK(unit.hi == Approx(1.0));
  REQUIRE(unit.values.size() == 6);
  CHECK(unit.values[3] == Approx(0.6));

  const Ticks inside = nice_ticks(0.13, 0.87, 5);
  CHECK(inside.step == Approx(0.2));
  CHECK(inside.lo == 0);
  CHECK(inside.hi == Approx(1.0));

  const Ticks steps = nice_ticks(1000, 100000, 6);
  CHECK(steps.step == Approx(20000));
  CHECK(steps.lo == 0);
  CHECK(steps.hi == Approx(100000));
  CHECK(steps.values.size() == 6);

  const Ticks negative = nice_ticks(-3.2, 7.9, 5);
  CHECK(negative.step == Approx(5));
  CHECK(negative.lo == Approx(-5));
  CHECK(negative.hi == Approx(10));
}

TEST_CASE("nice_ticks widens a single value and refuses a bad range", "[report]") {
  const Ticks single = nice_ticks(2, 2, 5);
  CHECK(single.lo < 2);
  CHECK(single.hi > 2);
  CHECK(single.values.size() >= 3);
  const Ticks zero = nice_ticks(0, 0, 5);
  CHECK(zero.lo == Approx(-1));
  CHECK(zero.hi == Approx(1));
  CHECK_THROWS_AS(nice_ticks(1, 0, 5), recrl::Error);
  CHECK_THROWS_AS(nice_ticks(std::nan(""), 1, 5), recrl::Error);
  CHECK_THROWS_AS(nice_ticks(0, std::numeric_limits<double>::infinity(), 5), recrl::Error);
}

TEST_CASE("tick_label shows the decimals the step needs and SI suffixes", "[report]") {
  CHECK(tick_label(0.25, 0.05) == "0.25");
  CHECK(tick_label(0.4, 0.2) == "0.4");
  CHECK(tick_label(3, 1) == "3");
  CHECK(tick_label(20000, 20000) == "20k");
  CHECK(tick_label(1500000, 500000) == "1.5M");
  CHECK(tick_label(2500, 500) == "2.5k");
  CHECK(tick_label(250, 50) == "250");
  CHECK(tick_label(-1e-17, 0.1) == "0.0");
  CHECK(tick_label(-0.5, 0.5) == "-0.5");
}

TEST_CASE("LinearScale maps data onto pixels in either direction", "[report]") {
  const LinearScale y(0, 10, 300, 100);  // SVG's y grows downwards
  CHECK(y(0) == Approx(300));
  CHECK(y(10) == Approx(100));
  CHECK(y(2.5) == Approx(250));
  const LinearScale x(-1, 1, 50, 250);
  CHECK(x(0) == Approx(150));
  CHECK(x(1) == Approx(250));
  const LinearScale flat(3, 3, 0, 100);
  CHECK(flat(3) == Approx(50));
}

TEST_CASE("polyline_path and band_path write the pixel coordinates", "[report]") {
  const std::vector<double> xs{0, 10.26}, ys{5, -0.01};
  CHECK(polyline_path(xs, ys) == "M0.0,5.0 L10.3,0.0");
  CHECK(polyline_path(std::vector<double>{}, std::vector<double>{}) == "");
  CHECK_THROWS_AS(polyline_path(xs, std::vector<double>{1}), recrl::Error);
  const std::vector<double> bx{0, 1}, lower{0, 0}, upper{2, 3};
  CHECK(band_path(bx, lower, upper) == "M0.0,2.0 L1.0,3.0 L1.0,0.0 L0.0,0.0 Z");
  CHECK_THROWS_AS(band_path(bx, lower, std::vector<double>{1}), recrl::Error);
}

TEST_CASE("palette_colour gives distinct colours and wraps around", "[report]") {
  std::set<std::string> colours;
  for (std::size_t i = 0; i < kPaletteSize; ++i) colours.insert(std::string(palette_colour(i)));
  CHECK(colours.size() == kPaletteSize);
  CHECK(palette_colour(kPaletteSize) == palette_colour(0));
  CHECK(colours.count(std::string(kReferenceColour)) == 0);
}
