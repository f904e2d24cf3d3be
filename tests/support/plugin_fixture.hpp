#pragma once

// Builds plugins the way a run does, for tests: the real .so files from RECRL_TEST_PLUGIN_DIR,
// parameters written as YAML and validated against the plugin's schema. Loading happens once
// per test process.

#include <memory>
#include <string>

#include <spdlog/logger.h>
#include <spdlog/sinks/null_sink.h>

#include "recrl/config/yaml_value.hpp"
#include "recrl/core/params.hpp"
#include "recrl/core/plugin_context.hpp"
#include "recrl/loader/registry.hpp"

namespace recrl::test {

// The bundled plugins of this build, scanned once.
inline plugin::PluginRegistry& bundled_plugins() {
  static const std::unique_ptr<plugin::PluginRegistry> registry = [] {
    auto r = std::make_unique<plugin::PluginRegistry>();
    r->scan({RECRL_TEST_PLUGIN_DIR});
    return r;
  }();
  return *registry;
}

// A logger that drops everything (plugins may log; tests do not want to see it).
inline std::shared_ptr<spdlog::logger> quiet_logger() {
  static const auto logger =
      std::make_shared<spdlog::logger>("test", std::make_shared<spdlog::sinks::null_sink_mt>());
  return logger;
}

// `yaml` is the `params:` map ("" for none). `file` names the text in messages; a relative
// path inside the parameters (a CSV of users) is relative to its folder.
inline Params plugin_params(plugin::Kind kind, const std::string& name, const std::string& yaml,
                            const std::string& key_path, const std::string& file) {
  const auto& info = bundled_plugins().get(kind, name, {}, key_path);
  const Value given = yaml.empty() ? Value::null() : config::parse_yaml(yaml, file);
  return Params::validate(info.schema, given, key_path + ".params", {file, 1, 1});
}

inline PluginContext plugin_context(const std::string& key_path, const EnvSpec* env = nullptr) {
  PluginContext ctx;
  ctx.env = env;
  ctx.logger = quiet_logger();
  ctx.key_path = key_path;
  return ctx;
}

inline std::shared_ptr<Environment> make_environment(const std::string& name,
                                                     const std::string& yaml = "",
                                                     const std::string& file = "env.yaml") {
  const Params params = plugin_params(plugin::Kind::Environment, name, yaml, "env", file);
  return bundled_plugins().create_environment(name, params, plugin_context("env"));
}

inline std::shared_ptr<RewardFunction> make_reward(const std::string& name, const EnvSpec& env,
                                                   const std::string& yaml = "",
                                                   const std::string& file = "reward.yaml") {
  const Params params = plugin_params(plugin::Kind::Reward, name, yaml, "reward", file);
  return bundled_plugins().create_reward(name, params, plugin_context("reward", &env));
}

// The bundled algorithm `name` for `env` and `reward` with parameters `yaml`, as an experiment
// entry at `where` (key_path) constructs it.
inline std::shared_ptr<Algorithm> make_algorithm(const std::string& name, const EnvSpec& env,
                                                 const RewardFunction& reward,
                                                 const std::string& yaml = "",
                                                 const SourceLocation& where = {},
                                                 const std::string& key_path = "algorithm") {
  const Params params = plugin_params(plugin::Kind::Algorithm, name, yaml, key_path, "exp.yaml");
  PluginContext ctx = plugin_context(key_path, &env);
  ctx.reward = &reward;
  ctx.where = where;
  return bundled_plugins().create_algorithm(name, params, ctx);
}

// The bundled `oracle` algorithm for `env` and `reward`.
inline std::shared_ptr<Algorithm> make_oracle(const EnvSpec& env, const RewardFunction& reward,
                                              const SourceLocation& where = {},
                                              const std::string& key_path = "oracle") {
  return make_algorithm("oracle", env, reward, "", where, key_path);
}

}  // namespace recrl::test
