#include <catch2/catch.hpp>

#include <string>

#include "recrl/core/errors.hpp"
#include "recrl/report/html_report.hpp"
#include "recrl/report/report_data.hpp"
#include "report_test_support.hpp"

using namespace recrl;

namespace {

std::size_t occurrences(const std::string& text, const std::string& what) {
  std::size_t count = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++count;
  return count;
}

std::string report_of(const std::filesystem::path& file, const std::string& experiment) {
  const auto db = store::ResultStore::open(file, test::store_options());
  return report::render_report(report::load_report_data(db, experiment));
}

}  // namespace

TEST_CASE("report_data groups the finished runs with their scores curves and actions", "[report]") {
  const auto dir = test::scratch_dir("report_data");
  test::fill_report_store(dir / "store.db", "demo");
  const auto db = store::ResultStore::open(dir / "store.db", test::store_options());
  const report::ReportData data = report::load_report_data(db, "demo");
  CHECK(data.experiment.finished == 8);
  CHECK(data.environments == std::vector<std::string>{"recommendation 1.0.0"});
  CHECK(data.variants == std::vector<std::string>{"base"});
  REQUIRE(data.algorithms.size() == 3);
  const report::AlgorithmResult* ppo = nullptr;
  for (const auto& a : data.algorithms)
    if (a.algorithm == "ppo") ppo = &a;
  REQUIRE(ppo != nullptr);
  CHECK(ppo->eval.values == std::vector<double>{0.5, 0.6, 0.7});
  CHECK(ppo->eval.mean == Approx(0.6));
  REQUIRE(ppo->pct_oracle);
  CHECK(*ppo->pct_oracle == Approx(100 * 0.6 / 0.9));
  CHECK(ppo->curve.env_steps.size() == 8);
  CHECK(ppo->curve.has_band());
  REQUIRE(ppo->actions.size() == 3);
  CHECK(ppo->actions[0].count == 195);
  CHECK(ppo->actions[2].label.empty());
}

TEST_CASE("the report page holds the table numbers and one svg per plot", "[report]") {
  const auto dir = test::scratch_dir("report_page");
  const std::string name = "demo <&> \"x\"";
  test::fill_report_store(dir / "store.db", name);
  const std::string html = report_of(dir / "store.db", "demo <&> \"x\"");

  CHECK(html.rfind("<!DOCTYPE html>", 0) == 0);
  CHECK(html.find("<h1>recrl report: demo &lt;&amp;&gt; &quot;x&quot;</h1>") != std::string::npos);
  CHECK(html.find("demo <&>") == std::string::npos);
  // Self-contained: nothing is fetched, nothing runs.
  CHECK(html.find("<script") == std::string::npos);
  CHECK(html.find("src=") == std::string::npos);
  CHECK(html.find("href=") == std::string::npos);
  CHECK(html.find("default-src 'none'") != std::string::npos);

  // The table: ppo's 0.5, 0.6, 0.7 have mean 0.6 and std 0.1, their IQM (all three) is 0.6.
  CHECK(html.find("<td class=\"num\">0.6000 ± 0.1000</td>") != std::string::npos);
  CHECK(html.find("<td class=\"num\">0.6000 [") != std::string::npos);
  CHECK(html.find("<td class=\"num\">66.7</td>") != std::string::npos);    // % of oracle
  CHECK(html.find("<td class=\"num\">50,000</td>") != std::string::npos);  // steps/s
  CHECK(html.find("<td class=\"num\">0.9000 ± 0.0000</td>") != std::string::npos);
  CHECK(html.find("recommendation 1.0.0") != std::string::npos);
  CHECK(html.find("seed_rules 1.0.0") != std::string::npos);
  CHECK(html.find("8 finished of 8") != std::string::npos);
  // Reward components: ppo's targeting is half its score, 0.3 on average; channel 0.25 for all.
  const std::string components = html.substr(html.find("<h2>Reward components</h2>"));
  CHECK(components.find("<th>targeting</th><th>channel</th>") != std::string::npos);
  CHECK(components.find("<td>ppo</td><td class=\"num\">0.3000</td><td class=\"num\">0.2500</td>") !=
        std::string::npos);

  // Curves, scores, actions: three plots. A curve and a band per algorithm (each has 2+ seeds).
  CHECK(occurrences(html, "<svg") == 3);
  CHECK(occurrences(html, "<path class=\"curve\"") == 3);
  CHECK(occurrences(html, "<path class=\"band\"") == 3);
  CHECK(occurrences(html, "<circle class=\"score\"") == 8);
  CHECK(occurrences(html, "<rect class=\"box\"") == 3);
  // Three actions (one without a label) by oracle, ppo and a2c.
  CHECK(occurrences(html, "<rect class=\"bar\"") == 9);
  CHECK(html.find("discount &lt;10%&gt; &amp; email") != std::string::npos);
  CHECK(html.find(">action 2</text>") != std::string::npos);
  CHECK(html.find("Black: the oracle") != std::string::npos);
  // The oracle's bars: ppo 195 of 300 = 65.0%, the oracle 160 of 200 = 80.0%.
  CHECK(html.find("oracle: discount &lt;10%&gt; &amp; email: 80.0") != std::string::npos);
  CHECK(html.find("ppo: discount &lt;10%&gt; &amp; email: 65.0") != std::string::npos);
}

TEST_CASE("the report is the same for the same store", "[report]") {
  const auto dir = test::scratch_dir("report_same");
  test::fill_report_store(dir / "store.db", "demo");
  CHECK(report_of(dir / "store.db", "demo") == report_of(dir / "store.db", "demo"));
}

TEST_CASE("a report without action counts has no action plot", "[report]") {
  const auto dir = test::scratch_dir("report_no_actions");
  test::fill_report_store(dir / "store.db", "demo", false);
  const std::string html = report_of(dir / "store.db", "demo");
  CHECK(occurrences(html, "<svg") == 2);
  CHECK(html.find("Chosen actions") == std::string::npos);
}

TEST_CASE("report_data names the store for an unknown experiment or no finished run", "[report]") {
  const auto dir = test::scratch_dir("report_errors");
  test::fill_report_store(dir / "store.db", "demo");
  auto db = store::ResultStore::open(dir / "store.db", test::store_options());
  db.record_experiment(test::experiment_record("planned"));
  db.plan_run(test::run_info("planned", "p0"));
  try {
    report::load_report_data(db, "nope");
    FAIL("no error for an unknown experiment");
  } catch (const ConfigError& e) {
    const std::string message = e.what();
    CHECK(message.find("store.db: no experiment 'nope' (experiments: ") != std::string::npos);
    CHECK(message.find("demo") != std::string::npos);
    CHECK(message.find('\n') == std::string::npos);
  }
  try {
    report::load_report_data(db, "planned");
    FAIL("no error for an experiment without finished runs");
  } catch (const ConfigError& e) {
    CHECK(std::string(e.what()).find("'planned' has no finished run yet (1 pending, 0 running, 0 "
                                     "failed)") != std::string::npos);
  }
}

TEST_CASE("a swept experiment gets a variant column and plots per variant", "[report]") {
  const auto dir = test::scratch_dir("report_variants");
  {
    auto db = store::ResultStore::open(dir / "store.db", test::store_options());
    db.record_experiment(test::experiment_record("sweep"));
    const std::vector<store::ActionCount> actions{{0, "email", 3}, {1, "sms", 1}};
    for (const char* variant : {"lr=0.1", "lr=0.3"}) {
      for (std::uint64_t seed : {0, 1}) {
        test::record_report_run(
            db, "sweep", {"ppo", variant, seed, 0.5 + 0.1 * static_cast<double>(seed), actions});
      }
    }
  }
  const std::string html = report_of(dir / "store.db", "sweep");
  CHECK(html.find("<th>variant</th>") != std::string::npos);
  CHECK(occurrences(html, "<svg") == 5);  // curves and actions per variant, one score plot
  CHECK(html.find("Eval reward during training: lr=0.3") != std::string::npos);
  CHECK(html.find("lr=0.1 / ppo") != std::string::npos);
  CHECK(html.find("The experiment has no oracle") != std::string::npos);
}
