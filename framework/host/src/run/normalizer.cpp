#include "recrl/run/normalizer.hpp"

#include <algorithm>
#include <istream>
#include <ostream>

#include "recrl/core/errors.hpp"
#include "recrl/toolkit/binary_io.hpp"

namespace recrl {

ObservationNormalizer::ObservationNormalizer(int dim, double clip, double epsilon)
    : mean_(Eigen::VectorXd::Zero(dim)),
      var_(Eigen::VectorXd::Ones(dim)),
      inv_std_(dim),
      batch_mean_(dim),
      batch_var_(dim),
      delta_(dim),
      clip_(clip),
      epsilon_(epsilon) {
  inv_std_ = (var_.array() + epsilon_).rsqrt().matrix();
}

void ObservationNormalizer::update(const Matrix& batch) {
  RECRL_ASSERT(batch.rows() == dim(), "normaliser batch has the wrong number of features");
  const Eigen::Index n = batch.cols();
  if (n == 0) return;
  batch_mean_.setZero();
  for (Eigen::Index j = 0; j < n; ++j) batch_mean_ += batch.col(j).cast<double>();
  batch_mean_ /= static_cast<double>(n);
  batch_var_.setZero();
  for (Eigen::Index j = 0; j < n; ++j) {
    batch_var_.array() += (batch.col(j).cast<double>() - batch_mean_).array().square();
  }
  batch_var_ /= static_cast<double>(n);  // population variance, as numpy's var()

  const double total = count_ + static_cast<double>(n);
  const double batch_share = static_cast<double>(n) / total;
  delta_ = batch_mean_ - mean_;
  mean_ += delta_ * batch_share;
  var_ = var_ * (count_ / total) + batch_var_ * batch_share +
         delta_.cwiseAbs2() * (count_ * batch_share / total);
  count_ = total;
  inv_std_ = (var_.array() + epsilon_).rsqrt().matrix();
}

void ObservationNormalizer::normalize(const Matrix& raw, Matrix& out) const {
  RECRL_ASSERT(raw.rows() == dim(), "normaliser input has the wrong number of features");
  if (out.rows() != raw.rows() || out.cols() != raw.cols()) out.resize(raw.rows(), raw.cols());
  for (Eigen::Index j = 0; j < raw.cols(); ++j) {
    for (Eigen::Index i = 0; i < raw.rows(); ++i) {
      const double z = (static_cast<double>(raw(i, j)) - mean_[i]) * inv_std_[i];
      out(i, j) = static_cast<Scalar>(std::clamp(z, -clip_, clip_));
    }
  }
}

void ObservationNormalizer::set_state(const Eigen::VectorXd& mean, const Eigen::VectorXd& var,
                                      double count) {
  RECRL_ASSERT(mean.size() == dim() && var.size() == dim(), "normaliser state size mismatch");
  mean_ = mean;
  var_ = var;
  count_ = count;
  inv_std_ = (var_.array() + epsilon_).rsqrt().matrix();
}

namespace {
constexpr char kNormalizerTag[] = "recrl.observation_normalizer.1";
}  // namespace

void ObservationNormalizer::save_state(std::ostream& out) const {
  toolkit::write_tag(out, kNormalizerTag);
  toolkit::write_array(out, mean_);
  toolkit::write_array(out, var_);
  toolkit::write_pod<double>(out, count_);
}

void ObservationNormalizer::load_state(std::istream& in) {
  toolkit::expect_tag(in, kNormalizerTag);
  Eigen::VectorXd mean(dim()), var(dim());
  toolkit::read_array(in, mean, kNormalizerTag);
  toolkit::read_array(in, var, kNormalizerTag);
  const auto count = toolkit::read_pod<double>(in, kNormalizerTag);
  set_state(mean, var, count);
}

}  // namespace recrl
