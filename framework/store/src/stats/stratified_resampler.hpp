#pragma once

// Stratified resampling with replacement (rliable's StratifiedBootstrap): the strata are the
// tasks, the columns of a ScoreMatrix. Internal to recrl_core.

#include "recrl/core/random.hpp"
#include "recrl/stats/aggregate.hpp"

namespace recrl::stats::detail {

class StratifiedResampler {
 public:
  // Keeps a reference to `scores`, which must outlive the resampler, and allocates the one
  // buffer every draw reuses.
  explicit StratifiedResampler(const ScoreMatrix& scores);

  // A new resample, same shape as the scores: for each task in column order, for each run slot
  // in order, resample(slot, task) = scores(rng.uniform_int(runs), task). The result may be
  // reordered by the caller; the next draw overwrites it.
  ScoreMatrix& draw(Rng& rng);

 private:
  const ScoreMatrix& scores_;
  ScoreMatrix resample_;  // [runs x tasks]
};

}  // namespace recrl::stats::detail
