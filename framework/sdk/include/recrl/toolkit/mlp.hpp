#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <istream>
#include <optional>
#include <ostream>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <Eigen/Core>
#include <Eigen/QR>

#include "recrl/core/dense_network.hpp"
#include "recrl/core/errors.hpp"
#include "recrl/core/export.hpp"
#include "recrl/core/random.hpp"
#include "recrl/toolkit/binary_io.hpp"
#include "recrl/toolkit/simd_width.hpp"
#include "recrl/toolkit/small_gemm.hpp"

namespace recrl::toolkit {

// delta[i] = a[i] > 0 ? delta[i] : 0 for i < n, a packet at a time: relu's backward pass.
// (Eigen 3.4's select() has no packet path, and GCC's own vectorisation of it kept a register
// on the stack from one iteration to the next.)
template <typename T>
void keep_where_positive(const T* a, T* delta, Eigen::Index n) {
  namespace ei = Eigen::internal;
  using Packet = typename ei::packet_traits<T>::type;
  constexpr Eigen::Index kSize = kSimdWidth<T>;
  const Packet zero = ei::pset1<Packet>(T(0));
  Eigen::Index i = 0;
  for (; i + kSize <= n; i += kSize) {
    const Packet positive = ei::pcmp_lt(zero, ei::ploadu<Packet>(a + i));
    ei::pstoreu(delta + i, ei::pand(ei::ploadu<Packet>(delta + i), positive));
  }
  for (; i < n; ++i) delta[i] = a[i] > T(0) ? delta[i] : T(0);
}

// a b + c as the build's SIMD packets compute it, for a scalar: rounded once where the packets
// have fused multiply-adds, a multiply and an add otherwise.
template <typename T>
T packet_multiply_add(T a, T b, T c) {
#if defined(EIGEN_VECTORIZE_FMA)
  return std::fma(a, b, c);
#else
  return a * b + c;
#endif
}

// y[0, n) = a x + y (Product::Accumulate) or a x + 0 (Product::Assign), each element with the
// multiply-add the matrix products use, so that a product's sum of one nonzero term and zeros
// comes out the same (+0 for a zero term, as the products' sums of zeros give).
template <typename T>
void multiply_add_column(T a, const T* x, T* y, Eigen::Index n, Product mode) {
  namespace ei = Eigen::internal;
  using Packet = typename ei::packet_traits<T>::type;
  constexpr Eigen::Index kSize = kSimdWidth<T>;
  const bool accumulate = mode == Product::Accumulate;
  const Packet factor = ei::pset1<Packet>(a);
  const Packet zero = ei::pset1<Packet>(T(0));
  Eigen::Index i = 0;
  for (; i + kSize <= n; i += kSize) {
    const Packet addend = accumulate ? ei::ploadu<Packet>(y + i) : zero;
    ei::pstoreu(y + i, ei::pmadd(factor, ei::ploadu<Packet>(x + i), addend));
  }
  for (; i < n; ++i) y[i] = packet_multiply_add(a, x[i], accumulate ? y[i] : T(0));
}

// The hidden-layer nonlinearity of an Mlp (the core's, which a DenseNetwork view names).
using recrl::Activation;

// z = activation(z + bias), or z + bias for a linear layer (no activation): one pass over z, column
// by column (Eigen vectorises a column's expression but not tanh over `z.colwise() + bias`; and
// which elements a column's scalar tail holds does not depend on the batch's width).
template <typename T>
void add_bias_and_activate(MatrixRef<T> z, const Eigen::Ref<const Eigen::Matrix<T, -1, 1>>& bias,
                           std::optional<Activation> activation) {
  const auto b = bias.array();
  for (Eigen::Index j = 0; j < z.cols(); ++j) {
    auto column = z.col(j).array();
    if (!activation) {
      column += b;
    } else if (*activation == Activation::Tanh) {
      column = (column + b).tanh();
    } else {
      column = (column + b).max(T(0));
    }
  }
}

// "tanh", "relu", and SB3 / rl-zoo spellings of the same ("nn.Tanh", "th.nn.ReLU",
// "torch.nn.ReLU", "ReLU"), so that rl-zoo's policy_kwargs paste in; nullopt otherwise.
RECRL_API std::optional<Activation> activation_from_name(std::string_view name);
// "tanh" or "relu".
RECRL_API const char* activation_name(Activation activation);

// A dense multilayer perceptron: input -> hidden layers (activation) -> linear output, as
// SB3's create_mlp / MlpExtractor build it. T is float for training and double for the
// finite-difference tests (the same code).
//
// Layout. All parameters live in ONE contiguous vector, layer by layer: W_0 (column-major,
// [out_0 x in_0]), b_0, W_1, b_1, ... The gradient vector has the same layout. So an
// optimiser or a global-norm clip works on one vector, a target network copies one vector, and
// saving is one write. weight(l) / bias(l) are Eigen::Map views into it, made on each call (the
// Mlp stores offsets, not pointers, so copying an Mlp is safe).
//
// Batches. A column is a sample: forward takes X [input x n] and returns Y [output x n].
// reserve(max_batch) preallocates every activation; a batch of n uses the first n columns, so
// switching between batch sizes (acting on n_envs, training on minibatches) allocates nothing.
// A batch larger than the reserved width grows the buffers once (an allocation).
//
// Training. forward() keeps what backward() needs (a copy of X and each layer's output);
// backward(dL/dY) ADDS dL/dparameters into gradients() (call zero_gradients() before each
// minibatch, as optimizer.zero_grad()) and can also return dL/dX. zero_gradients() does not
// write the vector: it marks it as zero, so that the next backward() writes the gradients
// instead of adding them (the same bits, one pass fewer over the vector per minibatch), and a
// read of the gradients before that backward() sees zeros. backward() must follow the
// forward() of the same batch. forward() is not const: a const caller (e.g.
// Algorithm::action_probabilities) keeps its Mlp `mutable`.
template <typename T>
class Mlp {
 public:
  using Scalar = T;
  using Index = Eigen::Index;
  using Mat = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>;
  using Vec = Eigen::Matrix<T, Eigen::Dynamic, 1>;
  using MatMap = Eigen::Map<Mat>;
  using ConstMatMap = Eigen::Map<const Mat>;
  using VecMap = Eigen::Map<Vec>;
  using ConstVecMap = Eigen::Map<const Vec>;
  // The first n columns of a preallocated buffer: [rows x n], contiguous.
  using ConstBatch = typename Mat::ConstColsBlockXpr;

  // An empty network (no layers); assign a constructed one before use.
  Mlp() = default;
  // hidden_sizes may be empty (then one linear layer input -> output). Parameters start at
  // zero: call init_orthogonal() or init_pytorch_default(). Reserves a batch of 1.
  Mlp(Index input_size, std::vector<Index> hidden_sizes, Index output_size, Activation activation);

  Index input_size() const { return sizes_.empty() ? 0 : sizes_.front(); }
  Index output_size() const { return sizes_.empty() ? 0 : sizes_.back(); }
  const std::vector<Index>& hidden_sizes() const { return hidden_sizes_; }
  Activation activation() const { return activation_; }
  // Linear layers: hidden_sizes().size() + 1.
  Index num_layers() const { return static_cast<Index>(weight_offsets_.size()); }
  // The activation after layer `layer`: none after the last.
  std::optional<Activation> activation_after(Index layer) const {
    return layer + 1 < num_layers() ? std::optional<Activation>(activation_) : std::nullopt;
  }
  Index layer_input_size(Index layer) const { return sizes_[static_cast<std::size_t>(layer)]; }
  Index layer_output_size(Index layer) const { return sizes_[static_cast<std::size_t>(layer) + 1]; }
  // True when `other` has the same sizes and activation (so parameters can be copied).
  bool same_shape(const Mlp& other) const {
    return sizes_ == other.sizes_ && activation_ == other.activation_;
  }

  Index num_parameters() const { return parameters_.size(); }
  Vec& parameters() { return parameters_; }
  const Vec& parameters() const { return parameters_; }
  Vec& gradients() { return settled_gradients(); }
  const Vec& gradients() const { return settled_gradients(); }
  void zero_gradients() { gradients_are_zero_ = true; }

  // Views of layer `layer`'s weight [out x in] and bias [out], in parameters() / gradients().
  MatMap weight(Index layer) { return weight_view(parameters_.data(), layer); }
  ConstMatMap weight(Index layer) const { return const_weight_view(parameters_.data(), layer); }
  VecMap bias(Index layer) { return bias_view(parameters_.data(), layer); }
  ConstVecMap bias(Index layer) const { return const_bias_view(parameters_.data(), layer); }
  MatMap weight_gradient(Index layer) { return weight_view(settled_gradients().data(), layer); }
  ConstMatMap weight_gradient(Index layer) const {
    return const_weight_view(settled_gradients().data(), layer);
  }
  VecMap bias_gradient(Index layer) { return bias_view(settled_gradients().data(), layer); }
  ConstVecMap bias_gradient(Index layer) const {
    return const_bias_view(settled_gradients().data(), layer);
  }

  // SB3's ActorCriticPolicy initialisation (ortho_init=True): every weight drawn as
  // torch.nn.init.orthogonal_ (QR of a standard normal matrix, signs fixed by diag(R)) scaled by
  // hidden_gain for hidden layers and output_gain for the output layer; biases zero. SB3 uses
  // hidden_gain sqrt(2), output_gain 0.01 for a policy head and 1 for a value head. The normal
  // draws come from rng.normal(), layer by layer, each matrix in row-major order (as torch
  // fills it). Gives W W^T = gain^2 I when out <= in, W^T W = gain^2 I otherwise.
  void init_orthogonal(Rng& rng, T output_gain, T hidden_gain = static_cast<T>(std::sqrt(2.0)));
  // torch.nn.Linear's own reset_parameters() (what SB3's DQN QNetwork uses: it does not
  // orthogonalise): W and b uniform in [-1/sqrt(in), 1/sqrt(in)] (kaiming_uniform_ with
  // a = sqrt(5)), drawn as -bound + 2 bound rng.uniform(), W row-major then b, layer by layer.
  void init_pytorch_default(Rng& rng);

  // The layers as views into parameters(), for tools that take the network apart (the
  // explainer), written into `view` (whose vector keeps its memory from one call to the next):
  // valid while this Mlp lives and its parameters are not replaced.
  void dense_view(DenseNetwork& view) const requires std::is_same_v<T, float> {
    view.activation = activation_;
    view.layers.clear();
    for (Index l = 0; l < num_layers(); ++l) {
      view.layers.push_back(
          {weight(l).data(), bias(l).data(), layer_output_size(l), layer_input_size(l)});
    }
  }

  // Preallocates the buffers for batches of up to max_batch columns.
  void reserve(Index max_batch);
  Index reserved_batch() const { return capacity_; }

  // Y = f(X), X [input_size x n]. Keeps a copy of X and each layer's output for backward().
  // The returned view (and output()) stays valid until the next forward() or reserve().
  ConstBatch forward(const Eigen::Ref<const Mat>& input);
  // The last forward()'s output [output_size x n] and n.
  ConstBatch output() const { return outputs_.back().leftCols(batch_); }
  Index batch_size() const { return batch_; }

  // grad_output = dL/dY [output_size x n] for the last forward()'s batch. Adds dL/dparameters
  // to gradients().
  void backward(const Eigen::Ref<const Mat>& grad_output);
  // The same, and writes dL/dX into grad_input [input_size x n].
  void backward(const Eigen::Ref<const Mat>& grad_output, Eigen::Ref<Mat> grad_input);

  // backward() for a dL/dY that is zero but for one element per column: dL/dY(rows[i], i) =
  // values(0, i), a loss on one output of each sample (DQN's TD loss on the Q-value of the
  // action taken). The same gradients as backward() of that matrix (a zero's sign aside),
  // without multiplying its zeros: the output layer's weight gradient and the gradient it
  // passes back take one multiply-add per sample and input instead of one per output and
  // input. (When the output layer or the one before is narrower than a SIMD packet, whose
  // products go through Eigen, it builds the matrix and calls backward().)
  void backward_selected(std::span<const int> rows, const Eigen::Ref<const Mat>& values);

  // Target networks (DQN): parameters = source's (same shape required).
  void copy_parameters_from(const Mlp& source);
  // SB3's polyak_update: p = (1 - tau) p + tau p_source (tau = 1 copies).
  void polyak_update(const Mlp& source, T tau);

  // True when forward() gives a sample the same output bits whatever other samples share its
  // batch: every layer's product is computed column by column (see batch_independent_rows in
  // small_gemm.hpp; not for a layer narrower than a SIMD packet, e.g. two actions).
  bool batch_independent() const {
    for (Index l = 0; l < num_layers(); ++l) {
      if (!batch_independent_rows<T>(layer_output_size(l))) return false;
    }
    return true;
  }

  // Binary: the shape (sizes, activation, scalar size) then the parameter vector. load() needs
  // an Mlp of the same shape and throws DataError otherwise.
  void save(std::ostream& out) const;
  void load(std::istream& in);

  // Floating-point operations of one forward pass over `batch` samples (2 per multiply-add of
  // the matrix products; activations and bias adds not counted). backward() without dL/dX
  // costs about twice as much (weight gradients plus hidden-layer input gradients).
  double forward_flops(Index batch) const;
  // The same for backward() without dL/dX: the weight gradients of every layer and the input
  // gradients of every layer but the first.
  double backward_flops(Index batch) const;
  // The same for backward_selected().
  double backward_selected_flops(Index batch) const;

 private:
  MatMap weight_view(T* base, Index layer) const {
    return MatMap(base + weight_offsets_[static_cast<std::size_t>(layer)], layer_output_size(layer),
                  layer_input_size(layer));
  }
  ConstMatMap const_weight_view(const T* base, Index layer) const {
    return ConstMatMap(base + weight_offsets_[static_cast<std::size_t>(layer)],
                       layer_output_size(layer), layer_input_size(layer));
  }
  VecMap bias_view(T* base, Index layer) const {
    return VecMap(base + bias_offsets_[static_cast<std::size_t>(layer)], layer_output_size(layer));
  }
  ConstVecMap const_bias_view(const T* base, Index layer) const {
    return ConstVecMap(base + bias_offsets_[static_cast<std::size_t>(layer)],
                       layer_output_size(layer));
  }
  // Output of layer `layer - 1` (the input of `layer`), first batch_ columns.
  ConstBatch layer_input(Index layer) const {
    return layer == 0 ? input_.leftCols(batch_)
                      : outputs_[static_cast<std::size_t>(layer) - 1].leftCols(batch_);
  }
  // The gradient vector with a pending zero_gradients() carried out.
  Vec& settled_gradients() const {
    if (gradients_are_zero_) {
      gradients_.setZero();
      gradients_are_zero_ = false;
    }
    return gradients_;
  }
  // Backpropagates grad (dL/d output of `layer`, pre-activation derivative already applied)
  // through layers `layer`, `layer - 1`, ..., 0, adding to the parameter gradients or (mode
  // Assign) overwriting them.
  void backward_from(Index layer, const Eigen::Ref<const Mat>& grad, Eigen::Ref<Mat>* grad_input,
                     Product mode);
  // Whether layer `layer`'s weight gradient is computed transposed: its outputs fill less than
  // one SIMD packet (an output layer of a few actions) and its inputs at least one, both
  // through the packet kernel (so that the sums are the same either way), and the batch, the
  // sums' length, fills a packet too (shorter sums do not pay for the transposes;
  // bench/README.md has the figures).
  bool transpose_weight_gradient(Index layer) const {
    return batch_independent_rows<T>(layer_output_size(layer)) &&
           layer_output_size(layer) < kSimdWidth<T> && layer_input_size(layer) >= kSimdWidth<T> &&
           batch_ >= kSimdWidth<T>;
  }
  // Gives `fill` layer `layer`'s weight gradient transposed, [in x out] (holding the gradient
  // so far in Accumulate mode; fill must write every element in Assign mode), and writes it
  // back. The scratch is transposed_weights_[layer], free until the input gradient.
  template <typename Fill>
  void with_transposed_weight_gradient(Index layer, Product mode, const Fill& fill) {
    Mat& weight_grad_t = transposed_weights_[static_cast<std::size_t>(layer)];
    auto weight_grad = weight_view(gradients_.data(), layer);
    if (mode == Product::Accumulate) transpose<T>(weight_grad, weight_grad_t);
    fill(weight_grad_t);
    transpose<T>(weight_grad_t, weight_grad);
  }
  // deltas_[layer] *= the activation's derivative at the layer's input (layer >= 1).
  void multiply_by_activation_derivative(Index layer);
  // Whether backward_selected() gives backward()'s numbers: both products it replaces go
  // through the packet kernel.
  bool selected_backward_is_exact() const;
  // backward_from() the output layer in the mode a pending zero_gradients() allows.
  void backward_all(const Eigen::Ref<const Mat>& grad_output, Eigen::Ref<Mat>* grad_input);

  std::vector<Index> sizes_;  // input, hidden..., output
  std::vector<Index> hidden_sizes_;
  Activation activation_ = Activation::Tanh;
  std::vector<Index> weight_offsets_;  // per layer, into parameters_ / gradients_
  std::vector<Index> bias_offsets_;
  Vec parameters_;
  // Mutable: a const read settles a pending zero_gradients() (see settled_gradients()).
  mutable Vec gradients_;
  mutable bool gradients_are_zero_ = false;  // zero_gradients() pending

  Index capacity_ = 0;        // reserved batch width
  Index batch_ = 0;           // columns of the last forward()
  Mat input_;                 // [input_size x capacity_]
  std::vector<Mat> outputs_;  // per layer [out_l x capacity_]: activated for hidden layers
  std::vector<Mat> deltas_;   // per layer l >= 1: dL/d(input of l) [in_l x capacity_]
  std::vector<Mat> transposed_weights_;  // per layer: W_l^T [in_l x out_l], backward's scratch
  Vec row_sums_;                         // [widest layer output]: backward's bias sums
  Mat selected_one_hot_;  // [output_size x capacity_]: backward_selected()'s dL/dY when
                          //   it calls backward()
};

// ---------------------------------------------------------------------------------------------
// Implementation
// ---------------------------------------------------------------------------------------------

template <typename T>
Mlp<T>::Mlp(Index input_size, std::vector<Index> hidden_sizes, Index output_size,
            Activation activation)
    : hidden_sizes_(std::move(hidden_sizes)), activation_(activation) {
  RECRL_ASSERT(input_size >= 1 && output_size >= 1, "Mlp needs input and output sizes >= 1");
  sizes_.push_back(input_size);
  for (Index h : hidden_sizes_) {
    RECRL_ASSERT(h >= 1, "Mlp hidden sizes must be >= 1");
    sizes_.push_back(h);
  }
  sizes_.push_back(output_size);
  Index offset = 0;
  for (std::size_t l = 0; l + 1 < sizes_.size(); ++l) {
    weight_offsets_.push_back(offset);
    offset += sizes_[l + 1] * sizes_[l];
    bias_offsets_.push_back(offset);
    offset += sizes_[l + 1];
  }
  parameters_ = Vec::Zero(offset);
  gradients_ = Vec::Zero(offset);
  for (Index l = 0; l < num_layers(); ++l) {
    transposed_weights_.emplace_back(layer_input_size(l), layer_output_size(l));
  }
  row_sums_.resize(*std::max_element(sizes_.begin() + 1, sizes_.end()));
  reserve(1);
}

template <typename T>
void Mlp<T>::init_orthogonal(Rng& rng, T output_gain, T hidden_gain) {
  using MatD = Eigen::MatrixXd;
  for (Index l = 0; l < num_layers(); ++l) {
    const Index rows = layer_output_size(l);
    const Index cols = layer_input_size(l);
    MatD draws(rows, cols);
    for (Index r = 0; r < rows; ++r) {
      for (Index c = 0; c < cols; ++c) draws(r, c) = rng.normal();
    }
    // torch factorises the tall orientation: transpose a wide matrix first and back after.
    const bool wide = rows < cols;
    MatD tall = wide ? MatD(draws.transpose()) : draws;
    Eigen::HouseholderQR<MatD> qr(tall);
    MatD q = qr.householderQ() * MatD::Identity(tall.rows(), tall.cols());
    // Q R with a positive diagonal of R is unique, so this is torch's Q for the same draws
    // whatever sign convention the QR routine follows (torch: q *= sign(diag(r))).
    for (Index j = 0; j < q.cols(); ++j) {
      if (qr.matrixQR()(j, j) < 0) q.col(j) *= -1.0;
    }
    const double gain = static_cast<double>(l + 1 == num_layers() ? output_gain : hidden_gain);
    if (wide) {
      weight(l) = (gain * q.transpose()).template cast<T>();
    } else {
      weight(l) = (gain * q).template cast<T>();
    }
    bias(l).setZero();
  }
}

template <typename T>
void Mlp<T>::init_pytorch_default(Rng& rng) {
  for (Index l = 0; l < num_layers(); ++l) {
    const double bound = 1.0 / std::sqrt(static_cast<double>(layer_input_size(l)));
    auto w = weight(l);
    for (Index r = 0; r < w.rows(); ++r) {
      for (Index c = 0; c < w.cols(); ++c)
        w(r, c) = static_cast<T>(-bound + 2.0 * bound * rng.uniform());
    }
    auto b = bias(l);
    for (Index r = 0; r < b.size(); ++r)
      b(r) = static_cast<T>(-bound + 2.0 * bound * rng.uniform());
  }
}

template <typename T>
void Mlp<T>::reserve(Index max_batch) {
  RECRL_ASSERT(max_batch >= 1, "Mlp::reserve needs a batch >= 1");
  if (max_batch <= capacity_) return;
  capacity_ = max_batch;
  input_.resize(input_size(), capacity_);
  outputs_.resize(static_cast<std::size_t>(num_layers()));
  deltas_.resize(static_cast<std::size_t>(num_layers()));
  for (Index l = 0; l < num_layers(); ++l) {
    outputs_[static_cast<std::size_t>(l)].resize(layer_output_size(l), capacity_);
    if (l >= 1) deltas_[static_cast<std::size_t>(l)].resize(layer_input_size(l), capacity_);
  }
  selected_one_hot_.resize(output_size(), capacity_);
  batch_ = 0;
}

template <typename T>
typename Mlp<T>::ConstBatch Mlp<T>::forward(const Eigen::Ref<const Mat>& input) {
  RECRL_ASSERT(num_layers() > 0, "Mlp::forward on an empty network");
  RECRL_ASSERT(input.rows() == input_size(), "Mlp::forward: input rows != input size");
  const Index n = input.cols();
  if (n > capacity_) reserve(n);
  batch_ = n;
  input_.leftCols(n) = input;
  for (Index l = 0; l < num_layers(); ++l) {
    auto z = outputs_[static_cast<std::size_t>(l)].leftCols(n);
    multiply<T>(weight(l), layer_input(l), z, Product::Assign);
    add_bias_and_activate<T>(z, bias(l), activation_after(l));
  }
  return output();
}

template <typename T>
void Mlp<T>::backward_from(Index layer, const Eigen::Ref<const Mat>& grad,
                           Eigen::Ref<Mat>* grad_input, Product mode) {
  const auto a_in = layer_input(layer);
  if (transpose_weight_gradient(layer)) {
    // dW^T = a_in grad^T, whose rows (the layer's inputs) fill packets where dW's (a few
    // outputs) would not; the same sums in the same order.
    with_transposed_weight_gradient(layer, mode, [&](Mat& weight_grad_t) {
      multiply_transposed<T>(a_in, grad, weight_grad_t, mode);
    });
  } else {
    multiply_transposed<T>(grad, a_in, weight_view(gradients_.data(), layer), mode);
  }
  // The bias gradient: grad's row sums, summed column after column in packets (Eigen's
  // rowwise().sum() walks each row of a column-major matrix with a stride, one scalar at a
  // time), then added to the gradient (to a zero one in Assign mode: 0 + s, as the
  // accumulating pass gives it, sign of zero included).
  auto bias_grad = bias_view(gradients_.data(), layer);
  if (mode == Product::Assign) bias_grad.setZero();
  if (grad.cols() > 0) {
    auto sums = row_sums_.head(grad.rows());
    sums = grad.col(0);
    for (Index j = 1; j < grad.cols(); ++j) sums += grad.col(j);
    bias_grad += sums;
  }
  if (layer == 0 && grad_input == nullptr) return;
  // dL/d(input) = W^T grad, through a transposed copy of W so that the product reads columns.
  Mat& weight_t = transposed_weights_[static_cast<std::size_t>(layer)];
  transpose<T>(weight(layer), weight_t);
  if (layer == 0) {
    multiply<T>(weight_t, grad, *grad_input, Product::Assign);
    return;
  }
  auto delta = deltas_[static_cast<std::size_t>(layer)].leftCols(batch_);
  multiply<T>(weight_t, grad, delta, Product::Assign);
  multiply_by_activation_derivative(layer);
  backward_from(layer - 1, delta, grad_input, mode);
}

template <typename T>
void Mlp<T>::multiply_by_activation_derivative(Index layer) {
  const auto a_in = layer_input(layer);
  auto delta = deltas_[static_cast<std::size_t>(layer)].leftCols(batch_);
  // The activation's derivative from its output: tanh' = 1 - a^2; relu' = [a > 0] (a > 0
  // exactly where the pre-activation was > 0; torch's threshold_backward also gives 0 at 0).
  if (activation_ == Activation::Tanh) {
    delta.array() *= T(1) - a_in.array().square();
  } else {
    for (Index j = 0; j < batch_; ++j) {
      keep_where_positive<T>(a_in.col(j).data(), delta.col(j).data(), delta.rows());
    }
  }
}

template <typename T>
bool Mlp<T>::selected_backward_is_exact() const {
  const Index last = num_layers() - 1;
  return batch_independent_rows<T>(output_size()) &&
         (last == 0 || batch_independent_rows<T>(layer_input_size(last)));
}

template <typename T>
void Mlp<T>::backward_selected(std::span<const int> rows, const Eigen::Ref<const Mat>& values) {
  const Index outputs = output_size();
  RECRL_ASSERT(
      static_cast<Index>(rows.size()) == batch_ && values.rows() == 1 && values.cols() == batch_,
      "Mlp::backward_selected: rows and values must have the last forward's batch");
  for (const int r : rows) {
    RECRL_ASSERT(r >= 0 && r < outputs, "Mlp::backward_selected: a row outside the output");
  }
  const auto row = [&](Index i) { return static_cast<Index>(rows[static_cast<std::size_t>(i)]); };
  if (!selected_backward_is_exact()) {
    auto grad = selected_one_hot_.leftCols(batch_);
    grad.setZero();
    for (Index i = 0; i < batch_; ++i) grad(row(i), i) = values(0, i);
    backward_all(grad, nullptr);
    return;
  }
  const Product mode = gradients_are_zero_ ? Product::Assign : Product::Accumulate;
  gradients_are_zero_ = false;
  const Index last = num_layers() - 1;
  const Index inputs = layer_input_size(last);
  const auto a_in = layer_input(last);
  // The weight gradient, transposed so that an output's row is a contiguous column: the
  // product's terms for output r are values(i) a_in(:, i) for the samples i with rows[i] = r,
  // added in sample order (the order of the product, whose other terms are zeros) to the
  // gradient so far.
  with_transposed_weight_gradient(last, mode, [&](Mat& weight_grad_t) {
    if (mode == Product::Assign) weight_grad_t.setZero();
    for (Index i = 0; i < batch_; ++i) {
      multiply_add_column<T>(values(0, i), a_in.col(i).data(), weight_grad_t.col(row(i)).data(),
                             inputs, Product::Accumulate);
    }
  });
  // The bias gradient: the values summed per output in sample order (as backward()'s sums of
  // the matrix's columns, whose other terms are zeros).
  auto bias_grad = bias_view(gradients_.data(), last);
  if (mode == Product::Assign) bias_grad.setZero();
  auto sums = row_sums_.head(outputs);
  sums.setZero();
  for (Index i = 0; i < batch_; ++i) sums(row(i)) += values(0, i);
  bias_grad += sums;
  if (last == 0) return;
  // dL/d(input) = W^T dL/dY: column i is values(i) times column rows[i] of W^T.
  Mat& weight_t = transposed_weights_[static_cast<std::size_t>(last)];
  transpose<T>(weight(last), weight_t);
  auto delta = deltas_[static_cast<std::size_t>(last)].leftCols(batch_);
  for (Index i = 0; i < batch_; ++i) {
    multiply_add_column<T>(values(0, i), weight_t.col(row(i)).data(), delta.col(i).data(), inputs,
                           Product::Assign);
  }
  multiply_by_activation_derivative(last);
  backward_from(last - 1, delta, nullptr, mode);
}

template <typename T>
void Mlp<T>::backward_all(const Eigen::Ref<const Mat>& grad_output, Eigen::Ref<Mat>* grad_input) {
  // Every layer's weight and bias gradient is written below, so a pending zero_gradients()
  // becomes Assign mode instead of a pass that writes zeros.
  const Product mode = gradients_are_zero_ ? Product::Assign : Product::Accumulate;
  gradients_are_zero_ = false;
  backward_from(num_layers() - 1, grad_output, grad_input, mode);
}

template <typename T>
void Mlp<T>::backward(const Eigen::Ref<const Mat>& grad_output) {
  RECRL_ASSERT(grad_output.rows() == output_size() && grad_output.cols() == batch_,
               "Mlp::backward: grad_output must be [output_size x batch of the last forward]");
  backward_all(grad_output, nullptr);
}

template <typename T>
void Mlp<T>::backward(const Eigen::Ref<const Mat>& grad_output, Eigen::Ref<Mat> grad_input) {
  RECRL_ASSERT(grad_output.rows() == output_size() && grad_output.cols() == batch_,
               "Mlp::backward: grad_output must be [output_size x batch of the last forward]");
  RECRL_ASSERT(grad_input.rows() == input_size() && grad_input.cols() == batch_,
               "Mlp::backward: grad_input must be [input_size x batch of the last forward]");
  backward_all(grad_output, &grad_input);
}

template <typename T>
void Mlp<T>::copy_parameters_from(const Mlp& source) {
  RECRL_ASSERT(same_shape(source), "Mlp::copy_parameters_from needs networks of the same shape");
  parameters_ = source.parameters_;
}

template <typename T>
void Mlp<T>::polyak_update(const Mlp& source, T tau) {
  RECRL_ASSERT(same_shape(source), "Mlp::polyak_update needs networks of the same shape");
  // As torch: mul_(1 - tau) then add_(source, alpha=tau), 1 - tau formed in double.
  const T keep = static_cast<T>(1.0 - static_cast<double>(tau));
  parameters_.array() = parameters_.array() * keep + source.parameters_.array() * tau;
}

template <typename T>
void Mlp<T>::save(std::ostream& out) const {
  write_pod<std::int64_t>(out, static_cast<std::int64_t>(sizes_.size()));
  for (Index s : sizes_) write_pod<std::int64_t>(out, static_cast<std::int64_t>(s));
  write_pod<std::int32_t>(out, static_cast<std::int32_t>(activation_));
  write_pod<std::int32_t>(out, static_cast<std::int32_t>(sizeof(T)));
  write_array(out, parameters_);
}

template <typename T>
void Mlp<T>::load(std::istream& in) {
  const std::string what = "mlp";
  const auto count = read_pod<std::int64_t>(in, what);
  bool same = count == static_cast<std::int64_t>(sizes_.size());
  for (std::int64_t i = 0; i < count && in; ++i) {
    const auto size = read_pod<std::int64_t>(in, what);
    if (same && size != static_cast<std::int64_t>(sizes_[static_cast<std::size_t>(i)]))
      same = false;
    if (count > 1000) break;  // not an Mlp record: stop reading before the shape check throws
  }
  const auto activation = read_pod<std::int32_t>(in, what);
  const auto scalar_size = read_pod<std::int32_t>(in, what);
  if (!same || activation != static_cast<std::int32_t>(activation_) ||
      scalar_size != static_cast<std::int32_t>(sizeof(T))) {
    throw DataError(SourceLocation{},
                    "mlp: the saved network's layer sizes, activation or "
                    "scalar type differ from this one's");
  }
  read_array(in, parameters_, what);
}

template <typename T>
double Mlp<T>::forward_flops(Index batch) const {
  double multiply_adds = 0;
  for (Index l = 0; l < num_layers(); ++l) {
    multiply_adds += static_cast<double>(layer_input_size(l) * layer_output_size(l));
  }
  return 2.0 * multiply_adds * static_cast<double>(batch);
}

template <typename T>
double Mlp<T>::backward_flops(Index batch) const {
  double multiply_adds = 0;
  for (Index l = 0; l < num_layers(); ++l) {
    multiply_adds +=
        static_cast<double>(layer_input_size(l) * layer_output_size(l)) * (l == 0 ? 1.0 : 2.0);
  }
  return 2.0 * multiply_adds * static_cast<double>(batch);
}

template <typename T>
double Mlp<T>::backward_selected_flops(Index batch) const {
  if (!selected_backward_is_exact()) return backward_flops(batch);
  // The output layer's products take one multiply-add per input instead of one per output and
  // input (two products, or only the weight gradient's for a network of one layer).
  const Index last = num_layers() - 1;
  const double products = last == 0 ? 1.0 : 2.0;
  const double saved = products * static_cast<double>(layer_input_size(last)) *
                       static_cast<double>(output_size() - 1);
  return backward_flops(batch) - 2.0 * saved * static_cast<double>(batch);
}

}  // namespace recrl::toolkit
