#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include <Eigen/Core>

#include "recrl/core/dense_network.hpp"
#include "recrl/core/export.hpp"
#include "recrl/core/types.hpp"

namespace recrl {

// One input an explanation scores: the customer's features in `coalition` (a bit per feature),
// background customer `background`'s elsewhere.
struct CoalitionInput {
  std::uint32_t coalition = 0;
  std::uint32_t background = 0;
};

// The explained margin score(action) - score(runner-up) of coalition inputs through a dense
// network (Algorithm::score_network), without building the inputs. For background customer b,
// an input's first layer is W (b + sum over i in S of (x_i - b_i) e_i) + c: the features are
// split into parts of at most kPartBits, and each part's 2^bits partial sums of the columns
// W_i (x_i - b_i) are tabled once per b, so a coalition's first layer is one sum per part
// instead of a product. Of the last layer only the difference of the two actions' rows is
// needed. The numbers are the network's up to float rounding (the sums are taken in another
// order).
class RECRL_API CoalitionNetwork {
 public:
  static constexpr int kPartBits = 8;

  // For one explanation: `x` and the background customers ([d x |B|]) as the network sees them
  // (normalised where training normalised). Throws PluginError when the network's layers do not
  // chain from d inputs to outputs that include both actions.
  void prepare(const DenseNetwork& network, int action, int runner_up,
               const Eigen::Ref<const Vector>& x, const Eigen::Ref<const Matrix>& background);
  // out[j] = the margin of inputs[j].
  void margins(std::span<const CoalitionInput> inputs, Eigen::VectorXd& out);

 private:
  // A coalition is a 32-bit mask, so at most 32 features, in parts of kPartBits.
  static constexpr int kMaxFeatures = 32;
  static constexpr int kMaxParts = kMaxFeatures / kPartBits;
  // The first layer's tables for background customer b.
  void build_tables(std::uint32_t b);
  // out[0, first layer's outputs) = the coalition's first layer before its bias: one table
  // column per part, summed a packet at a time (Eigen would set up each column's sum anew).
  void sum_table_columns(std::uint32_t coalition, float* out) const;
  // The activation after layer `layer`: none after the last.
  std::optional<Activation> activation_after(std::size_t layer) const {
    return layer + 1 < layers_.size() ? std::optional<Activation>(activation_) : std::nullopt;
  }
  // The column of part p's table that holds the coalition's partial sum.
  Eigen::Index table_column(std::size_t p, std::uint32_t coalition) const {
    const int bits = part_start_[p + 1] - part_start_[p];
    return part_table_[p] + static_cast<Eigen::Index>((coalition >> part_start_[p]) &
                                                      ((std::uint32_t{1} << bits) - 1));
  }

  std::vector<DenseLayer> layers_;
  Activation activation_ = Activation::Tanh;
  int action_ = 0, runner_up_ = 0;
  Vector x_;
  Matrix background_;
  std::vector<int> part_start_;      // the first feature of each part, and d at the end
  std::vector<int> part_table_;      // the first column of each part's table in tables_
  Matrix tables_;                    // [first layer's outputs x sum over parts of 2^bits]
  std::int64_t tables_of_ = -1;      // the background customer the tables are for
  std::vector<Matrix> activations_;  // per layer but the last: [outputs x inputs' count]
  Vector last_row_difference_;       // the last layer's row of action - that of runner-up
  float last_bias_difference_ = 0;
  Vector margins_;
};

}  // namespace recrl
