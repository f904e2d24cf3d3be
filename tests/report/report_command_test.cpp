#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <string>

#include "cli.hpp"
#include "report_test_support.hpp"

using namespace recrl::test;

namespace {

// One line on stderr, naming the problem.
void check_one_line(const std::string& err, const std::string& what) {
  CHECK(err.find(what) != std::string::npos);
  CHECK(err.find('\n') == err.size() - 1);
}

}  // namespace

TEST_CASE("recrl report writes results/EXP/report.html by default and prints the path",
          "[report][cli]") {
  const auto dir = scratch_dir("report_cli_default");
  fill_report_store(dir / "results" / "recrl.db", "demo");
  const CommandResult result = run_recrl("report demo", dir);
  INFO(result.err);
  REQUIRE(result.status == 0);
  CHECK(result.out == "results/demo/report.html\n");
  const std::string html = read_text(dir / "results" / "demo" / "report.html");
  CHECK(html.find("<h1>recrl report: demo</h1>") != std::string::npos);
  CHECK(html.find("<svg") != std::string::npos);
  // Nothing left beside it: the write went through a temporary file and a rename.
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir / "results" / "demo")) {
    (void)entry;
    ++files;
  }
  CHECK(files == 1);
}

TEST_CASE("recrl report writes where --out says from the store --db names", "[report][cli]") {
  const auto dir = scratch_dir("report_cli_out");
  fill_report_store(dir / "other.db", "demo");
  const CommandResult result = run_recrl("report demo --db other.db --out pages/demo.html", dir);
  INFO(result.err);
  REQUIRE(result.status == 0);
  CHECK(result.out == "pages/demo.html\n");
  CHECK(std::filesystem::exists(dir / "pages" / "demo.html"));
}

TEST_CASE("recrl report refuses a missing store an unknown experiment and no finished runs",
          "[report][cli]") {
  const auto dir = scratch_dir("report_cli_errors");
  SECTION("no store") {
    const CommandResult result = run_recrl("report demo --db missing.db", dir);
    CHECK(result.status == 2);
    check_one_line(result.err, "missing.db: no such result store");
  }
  SECTION("unknown experiment") {
    fill_report_store(dir / "store.db", "demo");
    const CommandResult result = run_recrl("report nope --db store.db", dir);
    CHECK(result.status == 2);
    check_one_line(result.err, "store.db: no experiment 'nope' (experiments: demo)");
  }
  SECTION("no finished runs") {
    {
      auto db = recrl::store::ResultStore::open(dir / "store.db", store_options());
      db.record_experiment(experiment_record("planned"));
      db.plan_run(run_info("planned", "p0"));
    }
    const CommandResult result = run_recrl("report planned --db store.db", dir);
    CHECK(result.status == 2);
    check_one_line(result.err, "'planned' has no finished run yet");
    CHECK_FALSE(std::filesystem::exists(dir / "results" / "planned" / "report.html"));
  }
  SECTION("no experiment named") {
    const CommandResult result = run_recrl("report", dir);
    CHECK(result.status == 2);
    check_one_line(result.err, "experiment");
  }
}

TEST_CASE("recrl report explains each policy's choices over held-out customers", "[report][cli]") {
  const auto dir = scratch_dir("report_cli_explained");
  {
    std::ofstream yaml(dir / "tiny.yaml");
    yaml << "name: tiny\nenv: {plugin: recommendation}\nreward: {plugin: seed_rules}\n"
            "algorithms:\n  - {plugin: random}\n"
            "  - {plugin: linucb, n_envs: 1, normalize_observations: false}\n"
            "seeds: [0]\ntrain: {timesteps: 500}\neval: {episodes: 20}\noutput: out\n";
  }
  REQUIRE(run_recrl("run tiny.yaml --db tiny.db -q", dir).status == 0);
  const CommandResult result =
      run_recrl("report tiny --db tiny.db --out r.html --explain-customers 30", dir);
  INFO(result.err);
  REQUIRE(result.status == 0);
  const std::string html = read_text(dir / "r.html");
  const auto view = html.find("<h2>Why the policies choose what they do</h2>");
  REQUIRE(view != std::string::npos);
  // linucb is explained over the 30 customers; random has no scores to explain.
  CHECK(html.find("<h3>linucb</h3>", view) != std::string::npos);
  CHECK(html.find("all decisions (30)", view) != std::string::npos);
  CHECK(html.find("<h3>random</h3>", view) == std::string::npos);
  const CommandResult without =
      run_recrl("report tiny --db tiny.db --out plain.html --explain-customers 0", dir);
  REQUIRE(without.status == 0);
  CHECK(read_text(dir / "plain.html").find("Why the policies") == std::string::npos);
}
