// Every reason the registry refuses a plugin file, one fixture folder each
// (tests/plugin/fixtures/CMakeLists.txt builds them): the message names the file and the reason.

#include <catch2/catch.hpp>

#include <filesystem>
#include <string>
#include <vector>

#include "recrl/core/errors.hpp"
#include "recrl/loader/registry.hpp"

namespace fs = std::filesystem;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;
using recrl::plugin::Kind;
using recrl::plugin::PluginRegistry;

namespace {

fs::path fixture_folder(const std::string& name) { return fs::path(RECRL_TEST_FIXTURE_DIR) / name; }

std::string fixture_file(const std::string& folder, const std::string& file) {
  return (fixture_folder(folder) / file).string();
}

// Scans one folder and returns its only problem, failing the test if there is not exactly one.
std::string only_problem(const std::string& folder) {
  PluginRegistry registry;
  registry.scan({fixture_folder(folder)});
  REQUIRE(registry.problems().size() == 1);
  REQUIRE(registry.list().empty());
  return registry.problems().front();
}

}  // namespace

TEST_CASE("a plugin built for another plugin ABI is refused with a rebuild hint",
          "[plugin][registry]") {
  // The fixture's schema() and create() abort: reaching them would crash the test.
  CHECK(only_problem("wrong_abi") == fixture_file("wrong_abi", "recrl_reward_wrong_abi.so") +
                                         ": built for plugin ABI 999, this recrl has ABI " +
                                         std::to_string(recrl::plugin::kPluginAbi) +
                                         "; rebuild the plugin against this SDK");
}

TEST_CASE("a descriptor with the wrong magic number is refused", "[plugin][registry]") {
  const std::string problem = only_problem("wrong_magic");
  CHECK_THAT(problem,
             StartsWith(fixture_file("wrong_magic", "recrl_reward_wrong_magic.so") + ": "));
  CHECK_THAT(problem, Contains("is not a recrl plugin descriptor (magic 0x12345678, expected "
                               "0x4c434552)"));
}

TEST_CASE("a plugin built by another compiler is refused naming both compilers",
          "[plugin][registry]") {
  const std::string problem = only_problem("wrong_compiler");
  CHECK_THAT(problem, StartsWith(fixture_file("wrong_compiler", "recrl_reward_wrong_compiler.so") +
                                 ": built by compiler \"0.0.1-fixture\", this recrl by \"" +
                                 __VERSION__ + "\""));
  CHECK_THAT(problem, Contains("rebuild the plugin"));
}

TEST_CASE("a plugin built with another Eigen alignment is refused", "[plugin][registry]") {
  const std::string problem = only_problem("wrong_eigen");
  CHECK_THAT(problem, StartsWith(fixture_file("wrong_eigen", "recrl_reward_wrong_eigen.so") +
                                 ": built with EIGEN_MAX_ALIGN_BYTES=3, this recrl with "));
}

TEST_CASE("a shared library without a descriptor is refused naming the macro to use",
          "[plugin][registry]") {
  CHECK(only_problem("no_descriptor") ==
        fixture_file("no_descriptor", "recrl_reward_nothing.so") +
            ": does not export recrl_plugin_descriptor; declare the plugin with "
            "RECRL_REWARD_PLUGIN from recrl/plugin/export.hpp");
}

// Each of these crashed recrl when the symbol was called or read through.
TEST_CASE("a descriptor symbol that is data or points outside the plugin is refused unread",
          "[plugin][registry]") {
  CHECK(only_problem("data_descriptor") ==
        fixture_file("data_descriptor", "recrl_reward_data.so") +
            ": recrl_plugin_descriptor is data, not a function; declare the plugin with "
            "RECRL_REWARD_PLUGIN from recrl/plugin/export.hpp");
  CHECK(only_problem("byte_descriptor") ==
        fixture_file("byte_descriptor", "recrl_reward_byte.so") +
            ": recrl_plugin_descriptor is data, not a function; declare the plugin with "
            "RECRL_REWARD_PLUGIN from recrl/plugin/export.hpp");
  CHECK(only_problem("wild_descriptor") ==
        fixture_file("wild_descriptor", "recrl_reward_wild.so") +
            ": recrl_plugin_descriptor() returned a pointer outside the plugin");
}

TEST_CASE("a plugin name on a looping or dangling symlink is a problem, not silence",
          "[plugin][registry]") {
  const fs::path dir = fs::temp_directory_path() / "recrl_test_symlink_plugins";
  fs::remove_all(dir);
  fs::create_directories(dir);
  fs::create_symlink("recrl_reward_loop.so", dir / "recrl_reward_loop.so");
  fs::create_symlink("nowhere.so", dir / "recrl_reward_dangling.so");
  PluginRegistry registry;
  registry.scan({dir});
  REQUIRE(registry.problems().size() == 2);
  CHECK_THAT(registry.problems()[0], StartsWith((dir / "recrl_reward_dangling.so").string() +
                                                ": named like a plugin but not a regular file"));
  CHECK_THAT(registry.problems()[1], StartsWith((dir / "recrl_reward_loop.so").string() +
                                                ": named like a plugin but not a regular file") &&
                                         Contains("symbolic links"));
}

TEST_CASE("a file that is not a shared library is refused with the loader's reason",
          "[plugin][registry]") {
  const std::string problem = only_problem("not_a_library");
  CHECK_THAT(problem, StartsWith(fixture_file("not_a_library", "recrl_reward_text.so") +
                                 ": not a loadable shared library: "));
  CHECK_THAT(problem, Contains("invalid ELF header"));
  // The file name is not repeated: the loader's own prefix is stripped.
  CHECK(problem.find("recrl_reward_text.so", problem.find(": ")) == std::string::npos);
}

TEST_CASE("a file named after no plugin kind is refused without being loaded",
          "[plugin][registry]") {
  CHECK(only_problem("bad_file_name") ==
        fixture_file("bad_file_name", "recrl_widget_thing.so") +
            ": file name does not follow recrl_<kind>_<name>.so with kind one of environment, "
            "reward, algorithm");
}

TEST_CASE("a plugin whose kind disagrees with its file name is refused", "[plugin][registry]") {
  CHECK(only_problem("wrong_kind") ==
        fixture_file("wrong_kind", "recrl_algorithm_wrong_kind.so") +
            ": file name says it is an algorithm plugin but it declares a reward plugin named "
            "'wrong_kind'; name the file recrl_reward_wrong_kind.so");
}

TEST_CASE("a plugin whose name disagrees with its file name is refused", "[plugin][registry]") {
  CHECK(only_problem("name_mismatch") ==
        fixture_file("name_mismatch", "recrl_reward_mismatch.so") +
            ": file name says the plugin is named 'mismatch' but it declares the name "
            "'other_name'; name the file recrl_reward_other_name.so");
}

TEST_CASE("the same plugin in two folders is a problem naming both files", "[plugin][registry]") {
  PluginRegistry registry;
  registry.scan({fixture_folder("duplicate_a"), fixture_folder("duplicate_b")});
  REQUIRE(registry.problems().size() == 1);
  CHECK(registry.problems().front() == fixture_file("duplicate_b", "recrl_reward_twin.so") +
                                           ": duplicate reward plugin 'twin', also found in " +
                                           fixture_file("duplicate_a", "recrl_reward_twin.so") +
                                           "; remove one of the two files");
  const auto* twin = registry.find(Kind::Reward, "twin");
  REQUIRE(twin != nullptr);
  CHECK(twin->file == fixture_folder("duplicate_a") / "recrl_reward_twin.so");
}

TEST_CASE("scanning a folder twice is harmless", "[plugin][registry]") {
  PluginRegistry registry;
  registry.scan({fixture_folder("good")});
  registry.scan({fixture_folder("good"), fixture_folder("good") / ".." / "good"});
  CHECK(registry.problems().empty());
  CHECK(registry.list().size() == 2);
}

TEST_CASE("a folder that does not exist is a problem", "[plugin][registry]") {
  PluginRegistry registry;
  const fs::path missing = fixture_folder("no_such_folder");
  registry.scan({missing});
  REQUIRE(registry.problems().size() == 1);
  CHECK(registry.problems().front() == missing.string() + ": plugin folder does not exist");
}

TEST_CASE("a refused plugin does not stop the others from loading", "[plugin][registry]") {
  PluginRegistry registry;
  registry.scan(
      {fixture_folder("wrong_abi"), fixture_folder("not_a_library"), fixture_folder("good")});
  CHECK(registry.problems().size() == 2);
  CHECK(registry.find(Kind::Reward, "constant") != nullptr);
  CHECK(registry.find(Kind::Reward, "wrong_abi") == nullptr);
}

TEST_CASE("throw_if_problems reports every problem one per line", "[plugin][registry]") {
  PluginRegistry registry;
  registry.scan({fixture_folder("good")});
  CHECK_NOTHROW(registry.throw_if_problems());

  registry.scan({fixture_folder("wrong_abi"), fixture_folder("no_descriptor")});
  const std::string expected = registry.problems().at(0) + "\n" + registry.problems().at(1);
  CHECK_THROWS_AS(registry.throw_if_problems(), recrl::PluginError);
  CHECK_THROWS_WITH(registry.throw_if_problems(), expected);
}
