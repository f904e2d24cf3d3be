#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "recrl/core/export.hpp"
#include "recrl/run/training_loop.hpp"

namespace recrl {

// What a training run keeps besides its TrainingLoop between two steps: the bookkeeping of
// its learning curve and output files, so that a resumed run writes what an uninterrupted one
// would have. (RunProgress, in run_observer.hpp, is what a run shows its displays.)
struct RunBookkeeping {
  std::int64_t next_eval = -1;      // environment step of the next evaluation; -1: none
  std::int64_t episodes_since = 0;  // training episodes since the last curve point
  double returns_since = 0;         // and the sum of their returns
  std::string curve;                // curve.csv as written so far, header included
  std::uint64_t metrics_bytes = 0;  // length of the metrics file at the checkpoint
  double elapsed_seconds = 0;       // wall time before the checkpoint (informative only)
  double eval_seconds = 0;          // of which evaluating
  PhaseTimes phase_times;           // env, act, update seconds before it (eval: above)
  double update_flops = 0;          // sum of the updates' perf/update_flops so far
};

// A checkpoint file: the state of a TrainingLoop and its RunBookkeeping, written atomically (a
// crash while writing leaves the previous checkpoint whole). `identity` is text that names
// the run and everything its result depends on (the run id, or its resolved configuration);
// only its hash is stored, and a checkpoint written with another identity is refused, so that
// a run never continues from another algorithm's or another configuration's state.
// Format and guarantees: docs/checkpoints.md.
RECRL_API void write_checkpoint(const std::filesystem::path& file, const std::string& identity,
                                const TrainingLoop& loop, const RunBookkeeping& progress);

// Restores `loop` (instead of TrainingLoop::start()) and returns the progress saved with it.
// A missing, truncated, damaged or foreign file, or one written for another identity, throws
// DataError naming the file; `loop` is then unusable (build a fresh one and start() it).
RECRL_API RunBookkeeping read_checkpoint(const std::filesystem::path& file,
                                         const std::string& identity, TrainingLoop& loop);

}  // namespace recrl
