#include <fstream>

#include <catch2/catch.hpp>

#include "cli.hpp"
#include "recrl/config/experiment.hpp"
#include "recrl/core/errors.hpp"

namespace {

std::filesystem::path write_experiment(const std::string& name, const std::string& sweep) {
  const auto dir = recrl::test::scratch_dir(name);
  std::ofstream(dir / "exp.yaml") << "name: s\n"
                                     "env: {plugin: recommendation}\n"
                                     "reward: {plugin: seed_rules}\n"
                                     "algorithms: [{plugin: random}, {plugin: ppo, label: fast}]\n"
                                     "sweep:\n"
                                  << sweep;
  return dir / "exp.yaml";
}

}  // namespace

TEST_CASE("a sweep expands into the grid of its values with the last path fastest",
          "[config][sweep]") {
  const auto file =
      write_experiment("sweep_grid",
                       "  reward.params.channel: [0.2, 0.3]\n"
                       "  algorithms.fast.params.learning_rate: [1e-4, 3e-4, 1e-3]\n");
  const auto variants = recrl::config::load_experiment_variants(file);
  REQUIRE(variants.size() == 6);
  CHECK(variants[0].variant == "channel=0.2,learning_rate=1e-04");
  CHECK(variants[1].variant == "channel=0.2,learning_rate=3e-04");
  CHECK(variants[5].variant == "channel=0.3,learning_rate=0.001");
  CHECK(variants[4].reward.params.find("channel")->as_double() == 0.3);
  CHECK(variants[4].algorithms[1].params.find("learning_rate")->as_double() == 3e-4);
  CHECK(variants[4].document.find("sweep") == nullptr);
  REQUIRE(variants[4].assignments.size() == 2);
  CHECK(variants[4].assignments[0].first == "reward.params.channel");
}

TEST_CASE("axes with the same last key are told apart by a longer name", "[config][sweep]") {
  const auto file = write_experiment("sweep_names",
                                     "  algorithms.random.params.x: [1]\n"
                                     "  algorithms.fast.params.x: [2]\n");
  const auto variants = recrl::config::load_experiment_variants(file);
  REQUIRE(variants.size() == 1);
  CHECK(variants[0].variant == "random.x=1,fast.x=2");
}

TEST_CASE("a file without a sweep is one variant with an empty label", "[config][sweep]") {
  const auto dir = recrl::test::scratch_dir("sweep_none");
  std::ofstream(dir / "exp.yaml") << "name: s\nenv: {plugin: e}\nreward: {plugin: r}\n"
                                     "algorithms: [{plugin: a}]\n";
  const auto variants = recrl::config::load_experiment_variants(dir / "exp.yaml");
  REQUIRE(variants.size() == 1);
  CHECK(variants[0].variant.empty());
}

TEST_CASE("sweep paths that name nothing sweepable are errors at their line", "[config][sweep]") {
  CHECK_THROWS_WITH(
      recrl::config::load_experiment_variants(write_experiment("sweep_seeds", "  seeds: [1, 2]\n")),
      Catch::Contains("exp.yaml:6:3: error: sweep.seeds: a sweep path starts with env"));
  CHECK_THROWS_WITH(
      recrl::config::load_experiment_variants(
          write_experiment("sweep_label", "  algorithms.slow.params.x: [1]\n")),
      Catch::Contains("exp.yaml:6:30") && Catch::Contains("no entry labelled 'slow'"));
  CHECK_THROWS_WITH(recrl::config::load_experiment_variants(
                        write_experiment("sweep_empty", "  reward.params.channel: []\n")),
                    Catch::Contains("expected a non-empty list of values"));
}
