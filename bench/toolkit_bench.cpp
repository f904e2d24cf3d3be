// Micro-benchmarks of the neural toolkit at the sizes PPO, A2C and DQN use: an MLP
// [10 -> 64 -> 64 -> 10] in float at batch 8 (acting on 8 environments) and 64 (a minibatch),
// optimiser steps over its parameter vector, and categorical sampling.
//
// Counters: FLOP/s counts 2 flops per multiply-add of the matrix products (activations, bias
// adds and the optimiser's elementwise work are not counted); ns/sample is time per
// sample of the batch.
#include <cstdint>
#include <span>
#include <vector>

#include <benchmark/benchmark.h>

#include "recrl/core/random.hpp"
#include "recrl/core/types.hpp"
#include "recrl/toolkit/categorical.hpp"
#include "recrl/toolkit/mlp.hpp"
#include "recrl/toolkit/optimizers.hpp"
#include "recrl/toolkit/replay_buffer.hpp"
#include "recrl/toolkit/rollout_buffer.hpp"
#include "recrl/toolkit/small_gemm.hpp"

namespace {

using recrl::Matrix;
using recrl::Rng;
namespace tk = recrl::toolkit;

constexpr Eigen::Index kInput = 10;
constexpr Eigen::Index kOutput = 10;

tk::Mlp<float> make_network(tk::Activation activation) {
  tk::Mlp<float> mlp(kInput, {64, 64}, kOutput, activation);
  Rng rng(1);
  mlp.init_orthogonal(rng, 0.01f);
  return mlp;
}

Matrix random_inputs(Eigen::Index rows, Eigen::Index cols) {
  Rng rng(2);
  Matrix m(rows, cols);
  for (Eigen::Index i = 0; i < m.size(); ++i) m(i) = static_cast<float>(rng.normal());
  return m;
}

void set_flops(benchmark::State& state, double flops_per_iteration) {
  state.counters["FLOP/s"] =
      benchmark::Counter(flops_per_iteration, benchmark::Counter::kIsIterationInvariantRate,
                         benchmark::Counter::kIs1000);
}

void set_per_sample(benchmark::State& state, Eigen::Index batch) {
  // Seconds per sample, printed with an SI prefix ("2.1u" = 2.1 microseconds).
  state.counters["s/sample"] =
      benchmark::Counter(static_cast<double>(batch), benchmark::Counter::kIsIterationInvariantRate |
                                                         benchmark::Counter::kInvert);
  state.SetItemsProcessed(state.iterations() * batch);
}

// A hidden layer's product, [64 x 64] weights by a batch of samples: the toolkit's kernel
// against Eigen's general product (what Mlp used before small_gemm).
void BM_HiddenLayerProduct(benchmark::State& state, bool eigen) {
  const Eigen::Index batch = state.range(0);
  const Matrix weights = random_inputs(64, 64);
  const Matrix inputs = random_inputs(64, batch);
  Matrix outputs(64, batch);
  for (auto _ : state) {
    if (eigen) {
      outputs.noalias() = weights * inputs;
    } else {
      tk::multiply<float>(weights, inputs, outputs, tk::Product::Assign);
    }
    benchmark::DoNotOptimize(outputs.data());
    benchmark::ClobberMemory();
  }
  set_flops(state, 2.0 * 64 * 64 * static_cast<double>(batch));
}

// The products of the table network's 10-wide layers at a minibatch of 64, which run well
// below the hidden layer's rate: the input layer's forward product sums over only 10 inputs
// (a block's loads and stores weigh more against its multiply-adds), and the output layer's
// products fill 10 of a packet's lanes per column (16 with AVX-512).
enum class EdgeProduct { InputForward, OutputForward, OutputWeightGradient };

void BM_EdgeLayerProduct(benchmark::State& state, EdgeProduct product) {
  constexpr Eigen::Index kBatch = 64;
  constexpr Eigen::Index kHidden = 64;
  const bool input_layer = product == EdgeProduct::InputForward;
  const Matrix weights =
      input_layer ? random_inputs(kHidden, kInput) : random_inputs(kOutput, kHidden);
  const Matrix inputs = random_inputs(input_layer ? kInput : kHidden, kBatch);
  const Matrix grad_outputs = random_inputs(kOutput, kBatch);
  Matrix outputs(weights.rows(), kBatch);
  Matrix weight_gradient(kOutput, kHidden);
  for (auto _ : state) {
    if (product == EdgeProduct::OutputWeightGradient) {
      tk::multiply_transposed<float>(grad_outputs, inputs, weight_gradient, tk::Product::Assign);
      benchmark::DoNotOptimize(weight_gradient.data());
    } else {
      tk::multiply<float>(weights, inputs, outputs, tk::Product::Assign);
      benchmark::DoNotOptimize(outputs.data());
    }
    benchmark::ClobberMemory();
  }
  set_flops(state, 2.0 * static_cast<double>(weights.size()) * kBatch);
}

void BM_MlpForward(benchmark::State& state, tk::Activation activation) {
  const Eigen::Index batch = state.range(0);
  tk::Mlp<float> mlp = make_network(activation);
  mlp.reserve(batch);
  const Matrix x = random_inputs(kInput, batch);
  for (auto _ : state) {
    auto y = mlp.forward(x);
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
  }
  set_flops(state, mlp.forward_flops(batch));
  set_per_sample(state, batch);
}

void BM_MlpForwardBackward(benchmark::State& state, tk::Activation activation) {
  const Eigen::Index batch = state.range(0);
  tk::Mlp<float> mlp = make_network(activation);
  mlp.reserve(batch);
  const Matrix x = random_inputs(kInput, batch);
  const Matrix grad_output = random_inputs(kOutput, batch);
  for (auto _ : state) {
    mlp.zero_gradients();
    mlp.forward(x);
    mlp.backward(grad_output);
    benchmark::DoNotOptimize(mlp.gradients().data());
    benchmark::ClobberMemory();
  }
  set_flops(state, mlp.forward_flops(batch) + mlp.backward_flops(batch));
  set_per_sample(state, batch);
}

void BM_AdamStep(benchmark::State& state) {
  tk::Mlp<float> mlp = make_network(tk::Activation::Tanh);
  mlp.gradients() = random_inputs(mlp.num_parameters(), 1);
  tk::Adam<float> adam(mlp.num_parameters(), 3e-4, 0.9, 0.999, 1e-5);
  for (auto _ : state) {
    adam.step(mlp.parameters(), mlp.gradients());
    benchmark::DoNotOptimize(mlp.parameters().data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * mlp.num_parameters());
  state.counters["parameters"] = static_cast<double>(mlp.num_parameters());
}

void BM_RmsPropStep(benchmark::State& state) {
  tk::Mlp<float> mlp = make_network(tk::Activation::Tanh);
  mlp.gradients() = random_inputs(mlp.num_parameters(), 1);
  tk::RmsProp<float> rmsprop(mlp.num_parameters(), 7e-4, 0.99, 1e-5);
  for (auto _ : state) {
    rmsprop.step(mlp.parameters(), mlp.gradients());
    benchmark::DoNotOptimize(mlp.parameters().data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * mlp.num_parameters());
}

void BM_ClipGradNorm(benchmark::State& state) {
  tk::Mlp<float> mlp = make_network(tk::Activation::Tanh);
  mlp.gradients() = random_inputs(mlp.num_parameters(), 1);
  for (auto _ : state) {
    // A limit above the norm: measures the norm, leaves the gradients as they are.
    benchmark::DoNotOptimize(tk::clip_grad_norm(mlp.gradients(), 1e9f));
  }
  state.SetItemsProcessed(state.iterations() * mlp.num_parameters());
}

// set_logits (log-softmax) and one sample per column, as acting does.
void BM_CategoricalSample(benchmark::State& state) {
  const Eigen::Index batch = state.range(0);
  const Matrix logits = random_inputs(kOutput, batch);
  tk::Categorical<float> dist(kOutput, batch);
  std::vector<int> actions(static_cast<std::size_t>(batch));
  Rng rng(3);
  for (auto _ : state) {
    dist.set_logits(logits);
    dist.sample(rng, actions);
    benchmark::DoNotOptimize(actions.data());
    benchmark::ClobberMemory();
  }
  set_per_sample(state, batch);
}

// What PPO's loss needs from the distribution per minibatch: log_prob, entropy and both
// gradients.
void BM_CategoricalLossGradients(benchmark::State& state) {
  const Eigen::Index batch = state.range(0);
  const Matrix logits = random_inputs(kOutput, batch);
  const Matrix weights = random_inputs(1, batch);
  tk::Categorical<float> dist(kOutput, batch);
  std::vector<int> actions(static_cast<std::size_t>(batch));
  Rng rng(4);
  dist.set_logits(logits);
  dist.sample(rng, actions);
  Matrix log_probs(1, batch);
  Matrix entropy(1, batch);
  Matrix grad(kOutput, batch);
  for (auto _ : state) {
    dist.set_logits(logits);
    dist.log_prob(actions, log_probs);
    dist.entropy(entropy);
    grad.setZero();
    dist.add_log_prob_gradient(actions, weights, grad);
    dist.add_entropy_gradient(weights, grad);
    benchmark::DoNotOptimize(grad.data());
    benchmark::ClobberMemory();
  }
  set_per_sample(state, batch);
}

// DQN's minibatch draw: 32 transitions from a buffer holding state.range(0) of them (one
// environment, 10 features). Each drawn slot is a cache miss once the buffer outgrows the
// cache, so this measures the memory layout more than the copying.
void BM_ReplaySample(benchmark::State& state) {
  const Eigen::Index filled = state.range(0);
  constexpr Eigen::Index kBatch = 32;
  tk::ReplayBuffer buffer(filled, 1, kInput);
  const Matrix obs = random_inputs(kInput, 1);
  const recrl::Vector reward = recrl::Vector::Constant(1, 0.5f);
  const int action = 3;
  const std::uint8_t terminated = 1;
  for (Eigen::Index i = 0; i < filled; ++i) {
    buffer.add(obs, obs, std::span<const int>(&action, 1), reward,
               std::span<const std::uint8_t>(&terminated, 1));
  }
  tk::ReplayBatch batch;
  batch.reserve(kInput, kBatch);
  Rng rng(5);
  for (auto _ : state) {
    buffer.sample(rng, kBatch, batch);
    benchmark::DoNotOptimize(batch.obs.data());
    benchmark::ClobberMemory();
  }
  set_per_sample(state, kBatch);
}

// PPO's minibatch gather: 64 samples of a shuffled rollout of 2048 steps x 8 environments (10
// features), one minibatch after the other through the whole rollout.
void BM_RolloutGather(benchmark::State& state) {
  constexpr Eigen::Index kSteps = 2048, kEnvs = 8, kBatch = 64;
  tk::RolloutBuffer buffer(kSteps, kEnvs, kInput, 0.99, 0.95);
  const Matrix obs = random_inputs(kInput, kEnvs);
  const std::vector<int> actions(kEnvs, 3);
  const recrl::Vector rewards = recrl::Vector::Constant(kEnvs, 0.5f);
  const std::vector<std::uint8_t> starts(kEnvs, 1);
  const Matrix values = random_inputs(1, kEnvs);
  for (Eigen::Index step = 0; step < kSteps; ++step) {
    buffer.add(obs, actions, rewards, starts, values, values);
  }
  buffer.compute_returns_and_advantage(values, starts);
  Rng rng(6);
  buffer.shuffle(rng);
  tk::RolloutMinibatch minibatch;
  minibatch.reserve(kInput, kBatch);
  Eigen::Index start = 0;
  for (auto _ : state) {
    buffer.gather_minibatch(start, kBatch, minibatch);
    start = (start + kBatch) % buffer.size();
    benchmark::DoNotOptimize(minibatch.obs.data());
    benchmark::ClobberMemory();
  }
  set_per_sample(state, kBatch);
}

}  // namespace

BENCHMARK_CAPTURE(BM_HiddenLayerProduct, small_gemm, false)->Arg(8)->Arg(64);
BENCHMARK_CAPTURE(BM_HiddenLayerProduct, eigen, true)->Arg(8)->Arg(64);
BENCHMARK_CAPTURE(BM_EdgeLayerProduct, input_forward, EdgeProduct::InputForward);
BENCHMARK_CAPTURE(BM_EdgeLayerProduct, output_forward, EdgeProduct::OutputForward);
BENCHMARK_CAPTURE(BM_EdgeLayerProduct, output_weight_gradient, EdgeProduct::OutputWeightGradient);
BENCHMARK_CAPTURE(BM_MlpForward, tanh, tk::Activation::Tanh)->Arg(1)->Arg(8)->Arg(64);
BENCHMARK_CAPTURE(BM_MlpForward, relu, tk::Activation::Relu)->Arg(8)->Arg(64);
BENCHMARK_CAPTURE(BM_MlpForwardBackward, tanh, tk::Activation::Tanh)->Arg(8)->Arg(64);
BENCHMARK_CAPTURE(BM_MlpForwardBackward, relu, tk::Activation::Relu)->Arg(8)->Arg(64);
BENCHMARK(BM_AdamStep);
BENCHMARK(BM_RmsPropStep);
BENCHMARK(BM_ClipGradNorm);
BENCHMARK(BM_CategoricalSample)->Arg(8)->Arg(64);
BENCHMARK(BM_CategoricalLossGradients)->Arg(64);
BENCHMARK(BM_RolloutGather);
BENCHMARK(BM_ReplaySample)->Arg(10'000)->Arg(100'000)->Arg(1'000'000);

BENCHMARK_MAIN();
