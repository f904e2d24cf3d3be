#pragma once

#include <cstdint>
#include <vector>

namespace recrl {

// The hidden-layer nonlinearity of a dense network (toolkit::Mlp's).
enum class Activation : std::int32_t { Tanh = 0, Relu = 1 };

// One layer of a dense network, as views into its owner's parameters: outputs = W inputs + b,
// W column-major [outputs x inputs].
struct DenseLayer {
  const float* weight = nullptr;
  const float* bias = nullptr;
  std::int64_t outputs = 0;
  std::int64_t inputs = 0;
};

// A dense network's layers, first to last: the activation after every layer but the last,
// whose outputs are linear. The views stay valid while their owner lives and does not learn.
struct DenseNetwork {
  std::vector<DenseLayer> layers;
  Activation activation = Activation::Tanh;
};

}  // namespace recrl
