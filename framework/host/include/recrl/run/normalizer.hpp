#pragma once

#include <cstdint>
#include <iosfwd>

#include "recrl/core/export.hpp"
#include "recrl/core/types.hpp"

namespace recrl {

// Running observation normaliser, as Stable-Baselines3's VecNormalize does it for observations:
// a running mean and variance per feature (parallel update of Chan et al., initial count 1e-4),
// and normalised = clip((x - mean) / sqrt(var + epsilon), -clip, clip). Its statistics are part
// of a saved policy: the policy only makes sense with the normaliser it was trained behind.
class RECRL_API ObservationNormalizer {
 public:
  ObservationNormalizer() = default;
  ObservationNormalizer(int dim, double clip = 10.0, double epsilon = 1e-8);

  int dim() const { return static_cast<int>(mean_.size()); }
  // Folds a batch [dim x n] into the statistics.
  void update(const Matrix& batch);
  // Writes the normalised batch into `out` (same shape; resized only when the shape differs).
  void normalize(const Matrix& raw, Matrix& out) const;

  const Eigen::VectorXd& mean() const { return mean_; }
  const Eigen::VectorXd& var() const { return var_; }
  double count() const { return count_; }
  double clip() const { return clip_; }
  double epsilon() const { return epsilon_; }
  // Restores saved statistics (sizes must match dim()).
  void set_state(const Eigen::VectorXd& mean, const Eigen::VectorXd& var, double count);
  // The statistics in binary, bit for bit, for checkpoints; load_state() needs a normaliser of
  // the same dim() and throws DataError otherwise.
  void save_state(std::ostream& out) const;
  void load_state(std::istream& in);

 private:
  Eigen::VectorXd mean_;
  Eigen::VectorXd var_;
  Eigen::VectorXd inv_std_;     // 1 / sqrt(var + epsilon), kept in step with var_
  Eigen::VectorXd batch_mean_;  // scratch, so that update() does not allocate
  Eigen::VectorXd batch_var_;
  Eigen::VectorXd delta_;
  double count_ = 1e-4;
  double clip_ = 10.0;
  double epsilon_ = 1e-8;
};

}  // namespace recrl
