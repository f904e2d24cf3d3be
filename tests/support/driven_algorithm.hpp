#pragma once

// Algorithms driven the way tests need them: one plugin instance fed synthetic contextual-bandit
// steps (Driven), and whole experiments written as YAML and run through the runner.

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include <unistd.h>

#include "cli.hpp"
#include "plugin_fixture.hpp"
#include "recrl/config/experiment.hpp"
#include "recrl/config/resolved_experiment.hpp"
#include "recrl/run/runner.hpp"

namespace recrl::test {

// A plugin instance on the recommendation environment's spec, fed synthetic steps.
struct Driven {
  std::shared_ptr<recrl::Environment> env = make_environment("recommendation");
  std::shared_ptr<recrl::Algorithm> algo;
  int n_envs;
  recrl::Matrix obs, next_obs;
  recrl::Vector rewards;
  std::vector<int> actions;
  std::vector<std::uint8_t> terminated, truncated;
  recrl::Metrics metrics;
  recrl::Rng data_rng{7};

  Driven(const std::string& plugin, const std::string& yaml, int envs) : n_envs(envs) {
    const recrl::Params params =
        plugin_params(recrl::plugin::Kind::Algorithm, plugin, yaml, "algorithms[0]", "algo.yaml");
    recrl::PluginContext ctx = plugin_context("algorithms[0]", &env->spec());
    ctx.n_envs = envs;
    ctx.total_timesteps = 100000;  // DQN's exploration schedule needs the run's budget
    algo = bundled_plugins().create_algorithm(plugin, params, ctx);
    const int dim = env->spec().observation.size;
    obs.resize(dim, envs);
    next_obs.resize(dim, envs);
    rewards.resize(envs);
    actions.assign(static_cast<std::size_t>(envs), 0);
    terminated.assign(static_cast<std::size_t>(envs), 1);  // a contextual bandit: every step ends
    truncated.assign(static_cast<std::size_t>(envs), 0);
    metrics.reserve(32);
    fill(obs);
  }
  void fill(recrl::Matrix& m) {
    for (Eigen::Index i = 0; i < m.size(); ++i) m(i) = static_cast<float>(data_rng.normal());
  }
  // One act + observe (+ update when due); the reward favours action 0 on a positive feature 0.
  void step(recrl::Rng& rng) {
    algo->act(recrl::ObsBatch{obs, obs}, recrl::ActMode::Explore, rng, actions);
    for (int e = 0; e < n_envs; ++e)
      rewards(e) = (actions[static_cast<std::size_t>(e)] == 0) == (obs(0, e) > 0) ? 1.0f : 0.0f;
    fill(next_obs);
    const recrl::StepBatch batch{obs, actions, rewards, next_obs, next_obs, terminated, truncated};
    if (algo->observe(batch)) {
      metrics.clear();
      algo->update(rng, metrics);
    }
    obs.swap(next_obs);
  }
};

// The folder of an experiment this test process runs: its own (ctest runs test cases as
// parallel processes, and several share a fixture such as a trained policy), removed when the
// process ends.
inline std::filesystem::path process_scratch_dir(const std::string& name) {
  struct Cleanup {
    std::vector<std::filesystem::path> dirs;
    ~Cleanup() {
      std::error_code ignored;
      for (const auto& dir : dirs) std::filesystem::remove_all(dir, ignored);
    }
  };
  static Cleanup cleanup;
  const auto dir = scratch_dir(name + "_" + std::to_string(::getpid()));
  cleanup.dirs.push_back(dir);
  return dir;
}

inline std::filesystem::path write_experiment(const std::string& name, const std::string& yaml) {
  const auto dir = process_scratch_dir(name);
  std::ofstream(dir / "experiment.yaml") << yaml << "output: " << (dir / "out").string() << "\n";
  return dir / "experiment.yaml";
}

inline recrl::ExperimentResult run_yaml(const std::string& name, const std::string& yaml) {
  const auto experiment = recrl::config::load_experiment(write_experiment(name, yaml));
  const auto resolved = recrl::resolve_experiment(experiment, bundled_plugins());
  return recrl::run_experiment(resolved, bundled_plugins());
}

}  // namespace recrl::test
