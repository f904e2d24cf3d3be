#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <span>
#include <type_traits>

#include <Eigen/Core>

#include "recrl/core/errors.hpp"
#include "recrl/core/export.hpp"
#include "recrl/core/random.hpp"
#include "recrl/toolkit/simd_width.hpp"

namespace recrl::toolkit {

// Categorical<float>::set_logits() for fewer actions than a SIMD packet and a batch of whole
// packets: the column loops' operations with the samples across a packet's lanes (the logits
// transposed to [n x A] in log_probs_t / probs_t, scratch of at least that size, an action per
// column) instead of a few actions of one sample, then transposed back into log_probs and
// probs [A x n]. The same numbers: max, z - max, exp, the sum in action order, p = exp / sum and
// log p = z - max - log(sum) are per sample, and a batch of whole packets gives the column
// path's exp and log no scalar tail either. (In the library: compiled in a test's translation
// unit, GCC 12 emitted Eigen's AVX-512 transpose and log out of line and reported a false
// "used uninitialized" inside them.)
RECRL_API void log_softmax_sample_major(const Eigen::Ref<const Eigen::MatrixXf>& logits,
                                        Eigen::MatrixXf& log_probs_t, Eigen::MatrixXf& probs_t,
                                        Eigen::Ref<Eigen::MatrixXf> log_probs,
                                        Eigen::Ref<Eigen::MatrixXf> probs);

// A batch of categorical distributions given by unnormalised logits [A x n] (one column per
// sample, A actions), as torch.distributions.Categorical(logits=...) in SB3's
// CategoricalDistribution. set_logits() computes the normalised log-probabilities (stable
// log-softmax: z - max - log(sum exp(z - max))) and the probabilities into buffers reserved
// once, so nothing allocates per call. Per-sample results (log_prob, entropy) are [1 x n] rows,
// like a value network's output, so that they combine with it columnwise.
//
// Gradients (for PPO / A2C): with p = softmax(z),
//   d log p_a / d z_j = [j == a] - p_j
//   d H / d z_j = -p_j (log p_j + H),  H = -sum_j p_j log p_j
// The add_*_gradient functions ADD weight_i times these into column i of grad_logits, so a loss
// sum_i (w_i log p(a_i) + c_i H_i) is backpropagated by two calls into one dL/dlogits.
template <typename T>
class Categorical {
 public:
  using Index = Eigen::Index;
  using Mat = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>;
  using ConstBatch = typename Mat::ConstColsBlockXpr;

  Categorical() = default;
  Categorical(Index num_actions, Index max_batch) { reserve(num_actions, max_batch); }

  // Preallocates for up to max_batch columns of num_actions logits.
  void reserve(Index num_actions, Index max_batch) {
    RECRL_ASSERT(num_actions >= 1 && max_batch >= 1, "Categorical::reserve needs sizes >= 1");
    if (num_actions == log_probs_.rows() && max_batch <= log_probs_.cols()) return;
    log_probs_.resize(num_actions, std::max(max_batch, log_probs_.cols()));
    probs_.resize(log_probs_.rows(), log_probs_.cols());
    column_scratch_.resize(log_probs_.cols());
    sample_major_log_probs_.resize(log_probs_.cols(), log_probs_.rows());
    sample_major_probs_.resize(log_probs_.cols(), log_probs_.rows());
    batch_ = 0;
  }

  // Sets the distributions from logits [A x n] (grows the buffers when n is larger than
  // reserved).
  void set_logits(const Eigen::Ref<const Mat>& logits) {
    if (logits.rows() != log_probs_.rows() || logits.cols() > log_probs_.cols()) {
      reserve(logits.rows(), std::max<Index>(logits.cols(), 1));
    }
    batch_ = logits.cols();
    if constexpr (std::is_same_v<T, float>) {
      if (sums_in_order() && batch_ % kSimdWidth<T> == 0) {
        log_softmax_sample_major(logits, sample_major_log_probs_, sample_major_probs_,
                                 log_probs_.leftCols(batch_), probs_.leftCols(batch_));
        return;
      }
    }
    // p = exp(z - max) / sum, log p = z - max - log(sum). The column maxima go row after row,
    // all columns at once: colwise().maxCoeff() walks each column's few elements as one chain
    // of dependent operations (a maximum does not depend on the order). exp and log run over
    // whole contiguous blocks (vectorised; which elements fall in the scalar tail depends only
    // on the batch's size).
    auto log_probs = log_probs_.leftCols(batch_);
    auto probs = probs_.leftCols(batch_);
    auto per_column = column_scratch_.head(batch_);
    per_column = logits.row(0);
    for (Index a = 1; a < num_actions(); ++a) per_column = per_column.cwiseMax(logits.row(a));
    const Index actions = num_actions();
    if (!sums_in_order()) {
      log_probs = logits - per_column.replicate(actions, 1);
      probs.array() = log_probs.array().exp();
      per_column = probs.colwise().sum();
      probs.array().rowwise() /= per_column.array();
      per_column.array() = per_column.array().log();
      log_probs.rowwise() -= per_column;
      return;
    }
    // Fewer actions than a SIMD packet: Eigen sums a column one element after the other, and
    // the same operations go column by column here instead of through Eigen's row-wise and
    // replicated expressions (which cost a few nanoseconds per element at these sizes).
    for (Index i = 0; i < batch_; ++i) {
      const T max = per_column(i);
      for (Index a = 0; a < actions; ++a) log_probs(a, i) = logits(a, i) - max;
    }
    probs.array() = log_probs.array().exp();
    for (Index i = 0; i < batch_; ++i) {
      T sum = probs(0, i);
      for (Index a = 1; a < actions; ++a) sum += probs(a, i);
      per_column(i) = sum;
      for (Index a = 0; a < actions; ++a) probs(a, i) /= sum;
    }
    per_column.array() = per_column.array().log();
    for (Index i = 0; i < batch_; ++i) {
      const T log_sum = per_column(i);
      for (Index a = 0; a < actions; ++a) log_probs(a, i) -= log_sum;
    }
  }

  Index num_actions() const { return log_probs_.rows(); }
  Index batch_size() const { return batch_; }
  // Normalised log-probabilities and probabilities [A x n] of the last set_logits().
  ConstBatch log_probs() const { return log_probs_.leftCols(batch_); }
  ConstBatch probabilities() const { return probs_.leftCols(batch_); }

  // One action per column by the inverse CDF of one rng.uniform() each: the first a whose
  // cumulative probability exceeds u (the last action with p > 0 when rounding leaves the sum
  // below u).
  void sample(Rng& rng, std::span<int> actions) const {
    RECRL_ASSERT(static_cast<Index>(actions.size()) == batch_, "Categorical::sample: wrong size");
    for (Index i = 0; i < batch_; ++i) {
      const double u = rng.uniform();
      double cumulative = 0.0;
      int chosen = -1;
      for (Index a = 0; a < num_actions(); ++a) {
        const double p = static_cast<double>(probs_(a, i));
        if (p <= 0.0) continue;
        cumulative += p;
        chosen = static_cast<int>(a);
        if (u < cumulative) break;
      }
      actions[static_cast<std::size_t>(i)] = chosen;
    }
  }

  // The most likely action per column (the first one on ties, as torch.argmax).
  void mode(std::span<int> actions) const {
    RECRL_ASSERT(static_cast<Index>(actions.size()) == batch_, "Categorical::mode: wrong size");
    for (Index i = 0; i < batch_; ++i) {
      Index best = 0;
      for (Index a = 1; a < num_actions(); ++a) {
        if (log_probs_(a, i) > log_probs_(best, i)) best = a;
      }
      actions[static_cast<std::size_t>(i)] = static_cast<int>(best);
    }
  }

  // log p(actions[i]) into out [1 x n].
  void log_prob(std::span<const int> actions, Eigen::Ref<Mat> out) const {
    RECRL_ASSERT(
        static_cast<Index>(actions.size()) == batch_ && out.rows() == 1 && out.cols() == batch_,
        "Categorical::log_prob: actions [n] and out [1 x n] must match the batch");
    for (Index i = 0; i < batch_; ++i) {
      out(0, i) = log_probs_(checked_action(actions[static_cast<std::size_t>(i)]), i);
    }
  }

  // Entropy -sum_a p_a log p_a of each column into out [1 x n] (a term with p_a = 0 counts 0).
  void entropy(Eigen::Ref<Mat> out) const {
    RECRL_ASSERT(out.rows() == 1 && out.cols() == batch_,
                 "Categorical::entropy: out must be [1 x n]");
    // As torch: log p clamped at the lowest finite value, so that p = 0 contributes 0.
    if (!sums_in_order()) {
      out = -(probs_.leftCols(batch_).array() *
              log_probs_.leftCols(batch_).array().max(std::numeric_limits<T>::lowest()))
                 .colwise()
                 .sum()
                 .matrix();
      return;
    }
    // Column by column: Eigen's partial reduction over these blocks cost more than the
    // arithmetic.
    for (Index i = 0; i < batch_; ++i) out(0, i) = column_entropy(i);
  }

  // grad_logits [A x n] += weights_i * d log p(actions_i) / d logits (weights [1 x n]).
  void add_log_prob_gradient(std::span<const int> actions, const Eigen::Ref<const Mat>& weights,
                             Eigen::Ref<Mat> grad_logits) const {
    RECRL_ASSERT(static_cast<Index>(actions.size()) == batch_ && weights.rows() == 1 &&
                     weights.cols() == batch_ && grad_logits.rows() == num_actions() &&
                     grad_logits.cols() == batch_,
                 "Categorical::add_log_prob_gradient: shapes must match the batch");
    // Element by element: Eigen's column expressions over a Ref with a run-time stride spend
    // more on alignment bookkeeping than on a column of a few actions.
    const Index actions_count = num_actions();
    for (Index i = 0; i < batch_; ++i) {
      const T w = weights(0, i);
      for (Index a = 0; a < actions_count; ++a) grad_logits(a, i) -= w * probs_(a, i);
      grad_logits(checked_action(actions[static_cast<std::size_t>(i)]), i) += w;
    }
  }

  // grad_logits [A x n] += weights_i * d H_i / d logits (weights [1 x n]).
  void add_entropy_gradient(const Eigen::Ref<const Mat>& weights,
                            Eigen::Ref<Mat> grad_logits) const {
    RECRL_ASSERT(weights.rows() == 1 && weights.cols() == batch_ &&
                     grad_logits.rows() == num_actions() && grad_logits.cols() == batch_,
                 "Categorical::add_entropy_gradient: shapes must match the batch");
    for (Index i = 0; i < batch_; ++i) {
      const T h = column_entropy(i);
      // p_j (log p_j + H) is 0 where p_j is 0 (log p_j clamped finite, as in entropy()).
      grad_logits.col(i).array() -=
          weights(0, i) * probs_.col(i).array() *
          (log_probs_.col(i).array().max(std::numeric_limits<T>::lowest()) + h);
    }
  }

 private:
  // Whether Eigen's colwise().sum() adds a column's elements one after the other (a column
  // shorter than a SIMD packet), the order the column loops of set_logits() and
  // column_entropy() keep.
  bool sums_in_order() const { return num_actions() < kSimdWidth<T>; }
  T column_entropy(Index i) const {
    if (!sums_in_order()) {
      return -(probs_.col(i).array() *
               log_probs_.col(i).array().max(std::numeric_limits<T>::lowest()))
                  .sum();
    }
    // The terms added in order, as Eigen's sum does for so few.
    const auto term = [&](Index a) {
      return probs_(a, i) * std::max(log_probs_(a, i), std::numeric_limits<T>::lowest());
    };
    T sum = term(0);
    for (Index a = 1; a < num_actions(); ++a) sum += term(a);
    return -sum;
  }
  Index checked_action(int action) const {
    RECRL_ASSERT(action >= 0 && action < num_actions(), "Categorical: action out of range");
    return static_cast<Index>(action);
  }

  Mat log_probs_;                                       // [A x capacity]
  Mat probs_;                                           // [A x capacity]
  Eigen::Matrix<T, 1, Eigen::Dynamic> column_scratch_;  // [1 x capacity] per-column max, sum
  Mat sample_major_log_probs_;  // [capacity x A]: log_softmax_sample_major()'s scratch
  Mat sample_major_probs_;      // [capacity x A]
  Index batch_ = 0;
};

}  // namespace recrl::toolkit
