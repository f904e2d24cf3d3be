#include "recrl/run/coalition_network.hpp"

#include <algorithm>
#include <bit>

#include <fmt/format.h>

#include "recrl/core/errors.hpp"
#include "recrl/toolkit/mlp.hpp"
#include "recrl/toolkit/small_gemm.hpp"

namespace recrl {

namespace {

using ConstMatrixMap = Eigen::Map<const Matrix>;
using ConstVectorMap = Eigen::Map<const Vector>;

ConstMatrixMap weight_of(const DenseLayer& layer) {
  return ConstMatrixMap(layer.weight, layer.outputs, layer.inputs);
}
ConstVectorMap bias_of(const DenseLayer& layer) {
  return ConstVectorMap(layer.bias, layer.outputs);
}

// Why a network cannot be explained through its layers, or "".
std::string shape_problem(const std::vector<DenseLayer>& layers, Eigen::Index features, int action,
                          int runner_up) {
  if (layers.empty()) return "it has no layers";
  if (layers.front().inputs != features) {
    return fmt::format("its first layer reads {} features, not the policy's {}",
                       layers.front().inputs, features);
  }
  for (std::size_t l = 0; l < layers.size(); ++l) {
    const DenseLayer& layer = layers[l];
    if (layer.weight == nullptr || layer.bias == nullptr || layer.outputs < 1)
      return fmt::format("its layer {} has no weights", l);
    if (l > 0 && layer.inputs != layers[l - 1].outputs)
      return fmt::format("its layer {} reads {} values, not its layer {}'s {} outputs", l,
                         layer.inputs, l - 1, layers[l - 1].outputs);
  }
  if (std::max(action, runner_up) >= layers.back().outputs)
    return fmt::format("it scores {} actions, not action {}", layers.back().outputs,
                       std::max(action, runner_up));
  return "";
}

}  // namespace

void CoalitionNetwork::prepare(const DenseNetwork& network, int action, int runner_up,
                               const Eigen::Ref<const Vector>& x,
                               const Eigen::Ref<const Matrix>& background) {
  RECRL_ASSERT(
      background.rows() == x.size() && background.cols() > 0 && x.size() <= kMaxFeatures,
      "CoalitionNetwork: a background of the customer's features, at most kMaxFeatures");
  const std::string problem = shape_problem(network.layers, x.size(), action, runner_up);
  if (!problem.empty())
    throw PluginError(
        fmt::format("explain: the algorithm's score network is unusable: {}", problem));
  layers_ = network.layers;
  activation_ = network.activation;
  action_ = action;
  runner_up_ = runner_up;
  x_ = x;
  background_ = background;
  // Parts as even as kPartBits allows: 10 features are two parts of 5 (2 x 32 sums, not 256 + 4).
  const auto d = static_cast<int>(x.size());
  const int parts = std::max(1, (d + kPartBits - 1) / kPartBits);
  part_start_.clear();
  part_table_.clear();
  int columns = 0;
  for (int p = 0; p <= parts; ++p) {
    part_start_.push_back(p * d / parts);
    if (p < parts) {
      part_table_.push_back(columns);
      columns += 1 << ((p + 1) * d / parts - p * d / parts);
    }
  }
  tables_.resize(layers_.front().outputs, columns);
  tables_of_ = -1;
  activations_.resize(std::max<std::size_t>(1, layers_.size() - 1));
  if (layers_.size() > 1) {
    const ConstMatrixMap last = weight_of(layers_.back());
    last_row_difference_ = (last.row(action) - last.row(runner_up)).transpose();
    last_bias_difference_ = layers_.back().bias[action] - layers_.back().bias[runner_up];
  }
}

void CoalitionNetwork::build_tables(std::uint32_t b) {
  const ConstMatrixMap w = weight_of(layers_.front());
  const auto customer = background_.col(b);
  for (std::size_t p = 0; p + 1 < part_start_.size(); ++p) {
    const int first = part_start_[p];
    const int bits = part_start_[p + 1] - first;
    auto table = tables_.middleCols(part_table_[p], Eigen::Index{1} << bits);
    // The first part's empty sum carries W b, the others' are zero (the bias comes last, as in
    // the network's own pass).
    if (p == 0) {
      table.col(0).noalias() = w * customer;
    } else {
      table.col(0).setZero();
    }
    for (std::uint32_t m = 1; m < (1u << bits); ++m) {
      const int i = first + std::countr_zero(m);
      table.col(m) = table.col(m & (m - 1)) + w.col(i) * (x_[i] - customer[i]);
    }
  }
  tables_of_ = b;
}

void CoalitionNetwork::sum_table_columns(std::uint32_t coalition, float* out) const {
  namespace ei = Eigen::internal;
  using Packet = ei::packet_traits<float>::type;
  constexpr Eigen::Index kSize = toolkit::kSimdWidth<float>;
  const Eigen::Index rows = tables_.rows();
  const std::size_t parts = part_table_.size();
  const float* columns[kMaxParts];
  for (std::size_t p = 0; p < parts; ++p)
    columns[p] = tables_.col(table_column(p, coalition)).data();
  Eigen::Index i = 0;
  for (; i + kSize <= rows; i += kSize) {
    Packet sum = ei::ploadu<Packet>(columns[0] + i);
    for (std::size_t p = 1; p < parts; ++p) sum = ei::padd(sum, ei::ploadu<Packet>(columns[p] + i));
    ei::pstoreu(out + i, sum);
  }
  for (; i < rows; ++i) {
    float sum = columns[0][i];
    for (std::size_t p = 1; p < parts; ++p) sum += columns[p][i];
    out[i] = sum;
  }
}

void CoalitionNetwork::margins(std::span<const CoalitionInput> inputs, Eigen::VectorXd& out) {
  const auto n = static_cast<Eigen::Index>(inputs.size());
  out.resize(n);
  for (std::size_t l = 0; l < activations_.size(); ++l) {
    Matrix& a = activations_[l];
    // (A network of another shape since the last explanation resizes them too.)
    if (a.rows() != layers_[l].outputs || a.cols() < n) a.resize(layers_[l].outputs, n);
  }
  // The first layer: a sum of one table column per part, then its bias and activation (none for
  // a network of one layer, whose first layer gives the scores).
  auto first = activations_.front().leftCols(n);
  for (Eigen::Index j = 0; j < n; ++j) {
    const CoalitionInput& input = inputs[static_cast<std::size_t>(j)];
    RECRL_ASSERT(input.background < background_.cols(), "CoalitionNetwork: a background customer");
    if (input.background != tables_of_) build_tables(input.background);
    sum_table_columns(input.coalition, first.col(j).data());
  }
  toolkit::add_bias_and_activate<float>(first, bias_of(layers_.front()), activation_after(0));
  if (layers_.size() == 1) {
    const auto outputs = activations_.front().leftCols(n);
    for (Eigen::Index j = 0; j < n; ++j)
      out[j] =
          static_cast<double>(outputs(action_, j)) - static_cast<double>(outputs(runner_up_, j));
    return;
  }
  for (std::size_t l = 1; l + 1 < layers_.size(); ++l) {
    auto z = activations_[l].leftCols(n);
    toolkit::multiply<float>(weight_of(layers_[l]), activations_[l - 1].leftCols(n), z,
                             toolkit::Product::Assign);
    toolkit::add_bias_and_activate<float>(z, bias_of(layers_[l]), activation_after(l));
  }
  if (margins_.size() < n) margins_.resize(n);
  auto m = margins_.head(n);
  m.noalias() = activations_.back().leftCols(n).transpose() * last_row_difference_;
  for (Eigen::Index j = 0; j < n; ++j)
    out[j] = static_cast<double>(m[j]) + static_cast<double>(last_bias_difference_);
}

}  // namespace recrl
