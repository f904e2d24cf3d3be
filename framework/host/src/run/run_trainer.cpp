#include "recrl/run/run_trainer.hpp"

#include <algorithm>

#include "training_run.hpp"

namespace recrl {

RunTrainer::~RunTrainer() = default;

LocalTrainer::LocalTrainer(const std::vector<ResolvedExperiment>& variants,
                           const plugin::PluginRegistry& registry, int jobs,
                           const std::atomic<int>* stop)
    : variants_(variants),
      registry_(registry),
      slots_(static_cast<std::size_t>(std::max(jobs, 1))),
      stop_(stop) {}

RunResult LocalTrainer::train(const PlannedRun& run, std::optional<double> oracle_mean,
                              const std::optional<ResumeFrom>& resume, RunObserver& events,
                              RunProgress& progress) {
  const ResolvedExperiment& x = variants_[run.variant];
  events.on_run_started(run, progress);
  TrainingRun training(x, x.algorithms[run.algorithm], run.seed, registry_, run.dir,
                       {&run, &events, &progress, stop_});
  RunResult result = training.execute(oracle_mean, resume);
  result.run_id = run.id;
  result.variant = x.experiment.variant;
  return result;
}

}  // namespace recrl
