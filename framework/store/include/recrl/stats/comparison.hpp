#pragma once

#include <string>

#include "recrl/core/export.hpp"
#include "recrl/core/random.hpp"
#include "recrl/stats/aggregate.hpp"
#include "recrl/stats/bootstrap.hpp"

namespace recrl::stats {

// Whether two algorithms are distinguishable at the chosen confidence. The rule (see
// docs/statistics.md): X beats Y when the whole interval of P(X > Y) lies above 0.5, Y beats X
// when it lies below 0.5, and otherwise they are not distinguishable. Fewer than 2 runs on
// either side gives no interval and so no verdict.
enum class Verdict {
  FirstBetter,
  SecondBetter,
  NotDistinguishable,
  TooFewRuns,
};

struct RECRL_API Comparison {
  std::string first;
  std::string second;
  long first_runs = 0;  // runs per task
  long second_runs = 0;
  ConfidenceInterval improvement;  // P(first > second)
  Verdict verdict = Verdict::NotDistinguishable;

  bool distinguishable() const {
    return verdict == Verdict::FirstBetter || verdict == Verdict::SecondBetter;
  }
  // One line for a table, the better algorithm first:
  //   "ppo > a2c (P = 0.83 [0.61, 0.97])"
  //   "ppo ~ a2c: not distinguishable at 95% (P = 0.55 [0.30, 0.80])"
  //   "ppo ~ a2c: not distinguishable (a2c has 1 run; an interval needs at least 2)"
  std::string str() const;
};

RECRL_API Comparison compare_algorithms(const std::string& first_name, const ScoreMatrix& first,
                                        const std::string& second_name, const ScoreMatrix& second,
                                        Rng& rng, const BootstrapOptions& options = {});

}  // namespace recrl::stats
