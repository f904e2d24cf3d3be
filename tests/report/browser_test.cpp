// The report in a real browser: headless Chromium renders a report made from a store, and the
// screenshot and the rendered DOM show the plots. Tagged [.browser]: hidden from the default
// run, registered as its own ctest entry `report_renders_in_chromium` (label browser), which
// fails when Chromium is missing (scripts/bootstrap.sh test installs it).
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <set>
#include <string>
#include <tuple>

#include "cli.hpp"
#include "png_pixels.hpp"
#include "report_test_support.hpp"

using namespace recrl::test;

namespace {

constexpr const char* kChromium = "/usr/bin/chromium";

std::size_t occurrences(const std::string& text, const std::string& what) {
  std::size_t count = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++count;
  return count;
}

// Chromium with a fresh profile and nothing that reaches the network; `what` is the mode
// (--screenshot=FILE or --dump-dom), its stdout goes to `out`.
int chromium(const std::filesystem::path& dir, const std::string& what,
             const std::filesystem::path& page, const std::filesystem::path& out) {
  static int runs = 0;  // a fresh profile for every start
  const auto profile = dir / ("profile" + std::to_string(++runs));
  std::filesystem::create_directories(profile);
  const std::string command =
      std::string("timeout 120 ") + kChromium +
      " --headless --no-sandbox --disable-gpu --disable-quic --no-first-run"
      " --disable-background-networking --disable-component-update --disable-sync"
      " --hide-scrollbars --user-data-dir='" +
      profile.string() + "' --window-size=1200,2000 " + what + " 'file://" + page.string() +
      "' > '" + out.string() + "' 2> '" + (dir / "chromium.log").string() + "'";
  const int status = std::system(command.c_str());
  std::error_code ignored;  // Chromium's helper processes may still be writing into it
  std::filesystem::remove_all(profile, ignored);
  return status;
}

struct PixelCounts {
  double non_white_share = 0;
  std::size_t colours = 0;
  std::size_t palette_blue = 0;  // pixels of exactly #0072B2, the first palette colour
};

PixelCounts count_pixels(const PngImage& image) {
  PixelCounts counts;
  std::set<std::tuple<int, int, int>> colours;
  std::size_t non_white = 0;
  const auto n = static_cast<std::size_t>(image.width) * image.height;
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint8_t* p = &image.pixels[i * static_cast<std::size_t>(image.channels)];
    if (p[0] < 245 || p[1] < 245 || p[2] < 245) ++non_white;
    if (p[0] == 0x00 && p[1] == 0x72 && p[2] == 0xB2) ++counts.palette_blue;
    colours.emplace(p[0], p[1], p[2]);
  }
  counts.non_white_share = static_cast<double>(non_white) / static_cast<double>(n);
  counts.colours = colours.size();
  return counts;
}

}  // namespace

TEST_CASE("the report renders in headless Chromium with its plots", "[.browser]") {
  if (!std::filesystem::exists(kChromium)) {
    FAIL(
        "chromium not found at /usr/bin/chromium: install it with scripts/bootstrap.sh test "
        "(or leave this test out: ctest -LE browser)");
  }
  const auto dir = scratch_dir("report_browser");
  fill_report_store(dir / "store.db", "demo");
  const CommandResult made = run_recrl("report demo --db store.db --out report.html", dir);
  INFO(made.err);
  REQUIRE(made.status == 0);
  const auto page = dir / "report.html";

  // A blank page first: the same window, nothing on it. It proves the PNG reader sees white
  // as white, so the report's counts below mean something.
  const auto blank_page = dir / "blank.html";
  { std::ofstream(blank_page) << "<!DOCTYPE html><html><body></body></html>\n"; }
  REQUIRE(chromium(dir, "--screenshot='" + (dir / "blank.png").string() + "'", blank_page,
                   dir / "blank.out") == 0);
  const PngImage blank = read_png(dir / "blank.png");
  CHECK(blank.width == 1200);
  CHECK(count_pixels(blank).non_white_share < 0.001);

  INFO(read_text(dir / "chromium.log"));
  REQUIRE(chromium(dir, "--screenshot='" + (dir / "report.png").string() + "'", page,
                   dir / "screenshot.out") == 0);
  const PngImage shot = read_png(dir / "report.png");
  CHECK(shot.width == 1200);
  CHECK(shot.height == 2000);
  const PixelCounts counts = count_pixels(shot);
  INFO("non-white share " << counts.non_white_share << ", " << counts.colours << " colours, "
                          << counts.palette_blue << " palette-blue pixels");
  CHECK(counts.non_white_share > 0.02);
  CHECK(counts.colours > 50);        // text antialiasing, palette colours, bands
  CHECK(counts.palette_blue > 100);  // ppo's line, dots and swatches

  // The DOM after rendering: the plots are there as SVG, not as text.
  REQUIRE(chromium(dir, "--dump-dom", page, dir / "dom.html") == 0);
  const std::string dom = read_text(dir / "dom.html");
  CHECK(occurrences(dom, "<svg") == 3);
  CHECK(occurrences(dom, "<path class=\"curve\"") == 3);
  CHECK(occurrences(dom, "<path class=\"band\"") == 3);
  CHECK(occurrences(dom, "<rect class=\"bar\"") == 9);
  CHECK(dom.find("<table class=\"comparison\">") != std::string::npos);
}
