#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "recrl/config/resolved_experiment.hpp"
#include "recrl/core/export.hpp"

namespace recrl {

// One run of an experiment: (variant, algorithm, seed), with its stable id and its folder.
struct PlannedRun {
  std::size_t variant;    // index into the variants
  std::size_t algorithm;  // index into the variant's algorithms
  std::uint64_t seed;
  std::string id;
  std::filesystem::path dir;
  std::string label;           // for people: "ppo s3", "ppo s3 channel=0.2" in a sweep
  std::int64_t timesteps = 0;  // its training budget in environment steps
};

// A run's stable id: a hash of everything that determines its numbers (plugins with their
// versions and full parameters, training and evaluation settings, seed) and of the experiment's
// name and the variant's assignments. The same run gets the same id tomorrow.
RECRL_API std::string run_id(const ResolvedExperiment& x, const ResolvedAlgorithm& algo,
                             std::uint64_t seed);

// The experiment's run list, in a fixed order (variant, then algorithm, then seed), cut to the
// requested share: run k belongs to share (k mod shard_count) + 1.
RECRL_API std::vector<PlannedRun> plan_runs(const std::vector<ResolvedExperiment>& variants,
                                            int shard_index = 1, int shard_count = 1);

// Where a variant's runs go: <output>/runs, or <output>/runs/<variant> in a sweep.
RECRL_API std::filesystem::path variant_dir(const ResolvedExperiment& x);

}  // namespace recrl
