#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <fstream>
#include <optional>
#include <string>

#include "plugin_instances.hpp"
#include "recrl/core/algorithm.hpp"
#include "recrl/run/evaluation.hpp"
#include "recrl/run/normalizer.hpp"
#include "recrl/run/policy_file.hpp"
#include "recrl/run/results.hpp"
#include "recrl/run/runner.hpp"
#include "recrl/run/vec_env.hpp"

namespace recrl {

// One (algorithm, seed) run: train on its own environment copies, evaluate on the held-out
// episodes, save the policy and the learning curve into its folder.
class TrainingRun {
 public:
  TrainingRun(const ResolvedExperiment& x, const ResolvedAlgorithm& algo, std::uint64_t seed,
              const plugin::PluginRegistry& registry, std::filesystem::path dir);

  RunResult execute(std::optional<double> oracle_mean);

 private:
  static Evaluator make_evaluator(const ResolvedExperiment& x,
                                  const plugin::PluginRegistry& registry,
                                  const std::shared_ptr<spdlog::logger>& logger);

  static std::ofstream open_csv(const std::filesystem::path& file, const char* header);

  // What the algorithm sees of a raw observation batch.
  void observe_into(const Matrix& raw, Matrix& out) const;

  EvalResult evaluate(std::uint64_t index);

  PolicyRecord policy_record() const;

  const ResolvedExperiment& x_;
  const ResolvedAlgorithm& algo_;
  std::uint64_t seed_;
  std::filesystem::path dir_;
  std::shared_ptr<spdlog::logger> logger_;
  EnvCopies train_;
  VecEnv vec_;
  Evaluator eval_;
  std::shared_ptr<Algorithm> algorithm_;
  ObservationNormalizer normalizer_;
};

}  // namespace recrl
