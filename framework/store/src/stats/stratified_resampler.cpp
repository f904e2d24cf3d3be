#include "stratified_resampler.hpp"

#include <cstdint>

namespace recrl::stats::detail {

StratifiedResampler::StratifiedResampler(const ScoreMatrix& scores)
    : scores_(scores), resample_(scores.rows(), scores.cols()) {}

ScoreMatrix& StratifiedResampler::draw(Rng& rng) {
  const auto runs = static_cast<std::uint64_t>(scores_.rows());
  for (Eigen::Index task = 0; task < scores_.cols(); ++task) {
    for (Eigen::Index slot = 0; slot < scores_.rows(); ++slot) {
      resample_(slot, task) = scores_(static_cast<Eigen::Index>(rng.uniform_int(runs)), task);
    }
  }
  return resample_;
}

}  // namespace recrl::stats::detail
