// Using plugins that loaded: listing, lookup with located errors, creation, exceptions from a
// plugin's constructor, the lifetime of created objects, and the default search path.

#include <catch2/catch.hpp>

#include <dlfcn.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "recrl/core/errors.hpp"
#include "recrl/core/params.hpp"
#include "recrl/core/random.hpp"
#include "recrl/core/reward.hpp"
#include "recrl/core/types.hpp"
#include "recrl/core/value.hpp"
#include "recrl/loader/registry.hpp"

namespace fs = std::filesystem;
using Catch::Matchers::Contains;
using recrl::plugin::Kind;
using recrl::plugin::PluginRegistry;

namespace {

fs::path fixture_folder(const std::string& name) { return fs::path(RECRL_TEST_FIXTURE_DIR) / name; }

recrl::Params default_params(const PluginRegistry& registry, const std::string& reward) {
  const auto* info = registry.find(Kind::Reward, reward);
  REQUIRE(info != nullptr);
  return recrl::Params::validate(info->schema, recrl::Value::null(), "reward.params", {});
}

recrl::PluginContext reward_context() {
  recrl::PluginContext context;
  context.key_path = "reward";
  return context;
}

// Whether the dynamic loader still has `file` mapped (RTLD_NOLOAD opens nothing new).
bool is_mapped(const fs::path& file) {
  void* handle = ::dlopen(file.c_str(), RTLD_NOW | RTLD_NOLOAD);
  if (handle == nullptr) return false;
  ::dlclose(handle);
  return true;
}

// Sets an environment variable for one scope and restores what was there before.
class ScopedEnvironmentVariable {
 public:
  ScopedEnvironmentVariable(const char* name, const std::string& value) : name_(name) {
    if (const char* old = std::getenv(name)) previous_ = old;
    ::setenv(name, value.c_str(), 1);
  }
  ~ScopedEnvironmentVariable() {
    if (previous_) {
      ::setenv(name_, previous_->c_str(), 1);
    } else {
      ::unsetenv(name_);
    }
  }
  ScopedEnvironmentVariable(const ScopedEnvironmentVariable&) = delete;
  ScopedEnvironmentVariable& operator=(const ScopedEnvironmentVariable&) = delete;

 private:
  const char* name_;
  std::optional<std::string> previous_;
};

}  // namespace

TEST_CASE("the registry lists plugins by kind then name with their descriptors copied",
          "[plugin][registry]") {
  PluginRegistry registry;
  registry.scan({fixture_folder("good")});
  REQUIRE(registry.problems().empty());

  const auto plugins = registry.list();
  REQUIRE(plugins.size() == 2);
  CHECK(plugins[0]->name == "alpha");
  CHECK(plugins[1]->name == "constant");

  const auto& constant = *plugins[1];
  CHECK(constant.kind == Kind::Reward);
  CHECK(constant.version == "1.2.3");
  CHECK(constant.summary == "pays a constant (test fixture)");
  CHECK(constant.file == fixture_folder("good") / "recrl_reward_constant.so");
  REQUIRE(constant.schema.find("value") != nullptr);
  CHECK(constant.schema.find("value")->default_value.as_double() == Approx(0.5));
  CHECK(std::string(recrl::plugin::to_string(constant.kind)) == "reward");
}

TEST_CASE("find and get return a plugin only for its own kind", "[plugin][registry]") {
  PluginRegistry registry;
  registry.scan({fixture_folder("good")});
  CHECK(registry.find(Kind::Reward, "constant") != nullptr);
  CHECK(registry.find(Kind::Algorithm, "constant") == nullptr);
  CHECK(registry.get(Kind::Reward, "alpha", {}, "reward").name == "alpha");
}

TEST_CASE("get of an unknown plugin is a located ConfigError listing the plugins of its kind",
          "[plugin][registry]") {
  PluginRegistry registry;
  registry.scan({fixture_folder("good")});
  const recrl::SourceLocation where{"experiment.yaml", 4, 11};
  CHECK_THROWS_AS(registry.get(Kind::Reward, "constnt", where, "reward"), recrl::ConfigError);
  CHECK_THROWS_WITH(registry.get(Kind::Reward, "constnt", where, "reward"),
                    "experiment.yaml:4:11: error: reward: no reward plugin named 'constnt'; "
                    "did you mean 'constant'? (accepted: alpha, constant)");
  CHECK_THROWS_WITH(registry.get(Kind::Reward, "zzz", where, "reward"),
                    "experiment.yaml:4:11: error: reward: no reward plugin named 'zzz' "
                    "(accepted: alpha, constant)");
}

TEST_CASE("get of a kind with no plugins names the folders searched", "[plugin][registry]") {
  PluginRegistry registry;
  registry.scan({fixture_folder("good")});
  CHECK_THROWS_WITH(
      registry.get(Kind::Algorithm, "ppo", {"experiment.yaml", 9, 3}, "algorithms[0]"),
      Contains("experiment.yaml:9:3: error: algorithms[0]: no algorithm plugin "
               "named 'ppo'; no algorithm plugins were found (searched: " +
               fixture_folder("good").string() + ")"));
}

TEST_CASE("creating an unknown plugin is a PluginError", "[plugin][registry]") {
  PluginRegistry registry;
  registry.scan({fixture_folder("good")});
  CHECK_THROWS_AS(registry.create_reward("nope", recrl::Params{}, reward_context()),
                  recrl::PluginError);
  CHECK_THROWS_WITH(registry.create_reward("nope", recrl::Params{}, reward_context()),
                    Contains("no reward plugin named 'nope'"));
}

TEST_CASE("a created reward computes with its validated parameters", "[plugin][registry]") {
  PluginRegistry registry;
  registry.scan({fixture_folder("good")});
  const auto* info = registry.find(Kind::Reward, "constant");
  REQUIRE(info != nullptr);
  const auto given = recrl::Value::map({{"value", recrl::Value::real(0.25)}});
  const auto params = recrl::Params::validate(info->schema, given, "reward.params", {});
  auto reward = registry.create_reward("constant", params, reward_context());
  REQUIRE(reward != nullptr);

  recrl::Vector obs = recrl::Vector::Zero(1);
  recrl::Rng rng(7);
  std::vector<double> parts(reward->components().size());
  const recrl::Transition step{obs, 0, obs, 0.0, true, false};
  CHECK(reward->compute(step, rng, parts) == Approx(0.25));
  CHECK(parts.at(0) == Approx(0.25));
}

TEST_CASE("a std exception from a plugin constructor becomes a PluginError naming the plugin",
          "[plugin][registry]") {
  PluginRegistry registry;
  registry.scan({fixture_folder("throwing")});
  REQUIRE(registry.problems().empty());
  const auto params = default_params(registry, "throws_runtime");
  const std::string file = (fixture_folder("throwing") / "recrl_reward_throws_runtime.so").string();
  CHECK_THROWS_AS(registry.create_reward("throws_runtime", params, reward_context()),
                  recrl::PluginError);
  CHECK_THROWS_WITH(registry.create_reward("throws_runtime", params, reward_context()),
                    "reward: reward plugin 'throws_runtime' (" + file +
                        ") failed to construct: fixture constructor fails on purpose");
}

TEST_CASE("a ConfigError from a plugin constructor passes through unchanged",
          "[plugin][registry]") {
  PluginRegistry registry;
  registry.scan({fixture_folder("throwing")});
  const auto params = default_params(registry, "throws_config");
  CHECK_THROWS_AS(registry.create_reward("throws_config", params, reward_context()),
                  recrl::ConfigError);
  CHECK_THROWS_WITH(registry.create_reward("throws_config", params, reward_context()),
                    "fixture.yaml:3:7: error: reward.params.value: rejected on purpose by the "
                    "fixture");
}

TEST_CASE("an object created by the registry stays usable after the registry is destroyed",
          "[plugin][registry]") {
  const fs::path file = fixture_folder("good") / "recrl_reward_constant.so";
  std::shared_ptr<recrl::RewardFunction> reward;
  {
    PluginRegistry registry;
    registry.scan({fixture_folder("good")});
    reward =
        registry.create_reward("constant", default_params(registry, "constant"), reward_context());
  }
  // The object holds its library: still mapped, and its virtual functions still callable.
  CHECK(is_mapped(file));
  recrl::Vector obs = recrl::Vector::Zero(1);
  recrl::Rng rng(1);
  std::vector<double> parts(reward->components().size());
  CHECK(reward->components() == std::vector<std::string>{"constant"});
  CHECK(reward->compute({obs, 0, obs, 0.0, true, false}, rng, parts) == Approx(0.5));
  CHECK(reward->expected({obs, 0, obs, 0.0, true, false}).value() == Approx(0.5));
  // The destructor runs in plugin code, and only then is the library released. (The fixture
  // has no STB_GNU_UNIQUE symbols, which would make glibc keep it mapped for good.)
  reward.reset();
  CHECK_FALSE(is_mapped(file));
}

TEST_CASE("the default search path adds existing RECRL_PLUGIN_PATH folders in order",
          "[plugin][registry]") {
  const fs::path good = fixture_folder("good");
  const fs::path throwing = fixture_folder("throwing");
  const fs::path missing = fixture_folder("no_such_folder");
  ScopedEnvironmentVariable variable(
      "RECRL_PLUGIN_PATH", throwing.string() + "::" + missing.string() + ":" + good.string());

  const auto folders = PluginRegistry::default_search_path();
  REQUIRE(folders.size() >= 2);
  CHECK(folders[folders.size() - 2] == throwing);
  CHECK(folders.back() == good);
  for (const auto& folder : folders) CHECK(folder != missing);
}
