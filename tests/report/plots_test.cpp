#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "recrl/core/errors.hpp"
#include "recrl/report/plots.hpp"

using namespace recrl::report;

namespace {

std::size_t occurrences(const std::string& text, const std::string& what) {
  std::size_t count = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++count;
  return count;
}

}  // namespace

TEST_CASE("line_chart draws a path per curve and per band with escaped names", "[report]") {
  std::vector<LineSeries> series(3);
  series[0].style.name = "ppo <fast> & \"good\"";
  series[0].x = {0, 100, 200};
  series[0].y = {1, 2, 3};
  series[0].lower = {0, 1, 2};
  series[0].upper = {2, 3, 4};
  series[1].style.name = "a2c";
  series[1].style.colour = 1;
  series[1].x = {0, 100, 200};
  series[1].y = {3, 2, 1};
  series[2].style.name = "dqn";  // no points
  series[2].style.colour = 2;
  const std::string svg = line_chart({"Curves <1>", "env steps", "eval reward"}, series);
  CHECK(occurrences(svg, "<svg") == 1);
  CHECK(occurrences(svg, "<path class=\"curve\"") == 2);
  CHECK(occurrences(svg, "<path class=\"band\"") == 1);
  CHECK(svg.find("ppo &lt;fast&gt; &amp; &quot;good&quot;") != std::string::npos);
  CHECK(svg.find("ppo <fast>") == std::string::npos);
  CHECK(svg.find("Curves &lt;1&gt;") != std::string::npos);
  CHECK(svg.find(">dqn</text>") != std::string::npos);  // in the legend, though it has no line
  CHECK(svg.find(">env steps</text>") != std::string::npos);
  CHECK(svg.find(">eval reward</text>") != std::string::npos);
  // x 0..200 onto pixels 76..640, y 0..4 onto pixels 322..44: a2c goes through (0, 3),
  // (100, 2) and (200, 1).
  CHECK(svg.find("d=\"M76.0,113.5 L358.0,183.0 L640.0,252.5\"") != std::string::npos);
}

TEST_CASE("line_chart refuses series of unequal lengths", "[report]") {
  std::vector<LineSeries> series(1);
  series[0].style.name = "ppo";
  series[0].x = {0, 1};
  series[0].y = {1};
  CHECK_THROWS_AS(line_chart({"t", "x", "y"}, series), recrl::Error);
}

TEST_CASE("score_chart draws a dot per score and a box per group", "[report]") {
  std::vector<ScoreGroup> groups(2);
  groups[0].style.name = "ppo";
  groups[0].scores = {0.5, 0.6, 0.7};
  groups[1].style.name = "oracle";
  groups[1].style.reference = true;
  groups[1].scores = {0.9, 0.9};
  const std::string svg = score_chart({"Scores", "", "eval reward"}, groups);
  CHECK(occurrences(svg, "<circle class=\"score\"") == 5);
  CHECK(occurrences(svg, "<rect class=\"box\"") == 2);
  CHECK(svg.find("fill=\"#000000\"") != std::string::npos);  // the reference colour
}

TEST_CASE("bar_chart draws a bar per series and category", "[report]") {
  std::vector<BarSeries> series(2);
  series[0].style.name = "ppo";
  series[0].values = {70, 30};
  series[1].style.name = "oracle";
  series[1].style.reference = true;
  series[1].values = {100, 0};
  const std::vector<std::string> categories{"discount <10%>", "reminder"};
  const std::string svg = bar_chart({"Actions", "share (%)", ""}, categories, series);
  CHECK(occurrences(svg, "<rect class=\"bar\"") == 4);
  CHECK(svg.find("discount &lt;10%&gt;") != std::string::npos);
  series.resize(1);
  CHECK_THROWS_AS(bar_chart({"A", "x", ""}, {"one"}, series), recrl::Error);  // 2 values
  series[0].values = {-1, 1};
  CHECK_THROWS_AS(bar_chart({"A", "x", ""}, categories, series), recrl::Error);
}

TEST_CASE("quantile interpolates linearly as numpy does", "[report]") {
  CHECK(quantile({4, 1, 3, 2}, 0.25) == Approx(1.75));
  CHECK(quantile({4, 1, 3, 2}, 0.5) == Approx(2.5));
  CHECK(quantile({7}, 0.75) == Approx(7));
  CHECK(quantile({1, 2, 3}, 1.0) == Approx(3));
}

TEST_CASE("forest_plot draws an estimate per row with its interval and references", "[report]") {
  const std::vector<ForestRow> rows = {
      {"ppo: ipw", {"ppo", 0, false}, 0.70, 0.60, 0.80, 0.75, 0.74},
      {"ppo: dr", {"ppo", 0, false}, 0.74, 0.72, 0.76, 0.75, 0.74},
      {"<uniform>: ipw",
       {"<uniform>", 1, false},
       0.32,
       std::nullopt,
       std::nullopt,
       std::nullopt,
       std::nullopt},
  };
  const std::string svg = forest_plot({"Off-policy estimates", "value", ""}, rows);
  CHECK(occurrences(svg, "<circle class=\"estimate\"") == 3);
  CHECK(occurrences(svg, "<line class=\"interval\"") == 2);
  CHECK(occurrences(svg, "<path class=\"truth\"") == 2);
  CHECK(occurrences(svg, "<path class=\"simulated\"") == 2);
  CHECK(occurrences(svg, "&lt;uniform&gt;") > 0);
  CHECK(occurrences(svg, "<uniform>") == 0);
  // The axis covers every mark: from 0.32 to 0.80 on nice ticks.
  CHECK(occurrences(svg, ">0.3<") + occurrences(svg, ">0.30<") == 1);
  CHECK(occurrences(svg, ">0.8<") + occurrences(svg, ">0.80<") == 1);
}
