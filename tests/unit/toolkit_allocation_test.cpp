// The toolkit's hot paths allocate nothing once reserved: forward and backward passes at
// changing batch sizes, losses, the categorical distribution, optimiser steps, clipping, and
// the rollout and replay buffers. Counted by interposing glibc's allocator (below).
#include <array>
#include <atomic>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include <catch2/catch.hpp>

#include "recrl/core/random.hpp"
#include "recrl/toolkit/categorical.hpp"
#include "recrl/toolkit/losses.hpp"
#include "recrl/toolkit/mlp.hpp"
#include "recrl/toolkit/optimizers.hpp"
#include "recrl/toolkit/replay_buffer.hpp"
#include "recrl/toolkit/rollout_buffer.hpp"
#include "toolkit_allocation_counter.hpp"

#if defined(__SANITIZE_ADDRESS__)
#define RECRL_TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define RECRL_TEST_ASAN 1
#endif
#endif

namespace {
std::atomic<std::uint64_t> g_heap_allocations{0};
void count_allocation() { g_heap_allocations.fetch_add(1, std::memory_order_relaxed); }
}  // namespace

#ifdef RECRL_TEST_ASAN
// ---------------------------------------------------------------------------------------------
// Under AddressSanitizer, which owns malloc, its allocator calls a hook for every allocation.
// (Declared here as sanitizer/allocator_interface.h declares it: GCC does not install that
// header.)
// ---------------------------------------------------------------------------------------------
extern "C" int __sanitizer_install_malloc_and_free_hooks(void (*malloc_hook)(const volatile void*,
                                                                             std::size_t),
                                                         void (*free_hook)(const volatile void*));

namespace {
void on_malloc(const volatile void*, std::size_t) { count_allocation(); }
void on_free(const volatile void*) {}
const int g_hooks_installed = __sanitizer_install_malloc_and_free_hooks(on_malloc, on_free);
}  // namespace
#else
// ---------------------------------------------------------------------------------------------
// The counting allocator: glibc exports its implementation under __libc_* names, so these
// definitions (which the executable exports and every library binds to) count and forward.
// glibc documents replacing malloc, free, calloc and realloc together; the aligned entry points
// are replaced too so that aligned operator new and posix_memalign are counted.
// ---------------------------------------------------------------------------------------------
extern "C" {
void* __libc_malloc(std::size_t size);
void* __libc_calloc(std::size_t count, std::size_t size);
void* __libc_realloc(void* pointer, std::size_t size);
void* __libc_memalign(std::size_t alignment, std::size_t size);
void __libc_free(void* pointer);
}

extern "C" {
void* malloc(std::size_t size) noexcept {
  count_allocation();
  return __libc_malloc(size);
}
void* calloc(std::size_t count, std::size_t size) noexcept {
  count_allocation();
  return __libc_calloc(count, size);
}
void* realloc(void* pointer, std::size_t size) noexcept {
  count_allocation();
  return __libc_realloc(pointer, size);
}
void free(void* pointer) noexcept { __libc_free(pointer); }
void* aligned_alloc(std::size_t alignment, std::size_t size) noexcept {
  count_allocation();
  return __libc_memalign(alignment, size);
}
void* memalign(std::size_t alignment, std::size_t size) noexcept {
  count_allocation();
  return __libc_memalign(alignment, size);
}
int posix_memalign(void** out, std::size_t alignment, std::size_t size) noexcept {
  count_allocation();
  if (alignment % sizeof(void*) != 0 || (alignment & (alignment - 1)) != 0) return EINVAL;
  void* pointer = __libc_memalign(alignment, size);
  if (pointer == nullptr) return ENOMEM;
  *out = pointer;
  return 0;
}
}

#endif

std::uint64_t recrl::test::heap_allocations() {
  return g_heap_allocations.load(std::memory_order_relaxed);
}

// ---------------------------------------------------------------------------------------------

namespace {

using recrl::Matrix;
using recrl::Rng;
using recrl::Vector;
namespace tk = recrl::toolkit;

}  // namespace

TEST_CASE("the allocation counter sees allocations", "[unit][toolkit]") {
  // Guards the tests below: a counter that never counts would make them pass vacuously.
  const auto vector_allocations = recrl::test::allocations_during([] {
    std::vector<int> v(1000, 1);
    REQUIRE(v[999] == 1);
  });
  CHECK(vector_allocations >= 1);
  const auto eigen_allocations = recrl::test::allocations_during([] {
    Matrix m = Matrix::Ones(64, 64);
    REQUIRE(m.sum() > 0);
  });
  CHECK(eigen_allocations >= 1);
}

TEST_CASE("forward backward and optimiser steps allocate nothing after reserve",
          "[unit][toolkit]") {
  Rng rng(1);
  const Eigen::Index obs_dim = 10;
  const Eigen::Index actions = 4;
  tk::Mlp<float> policy(obs_dim, {64, 64}, actions, tk::Activation::Tanh);
  tk::Mlp<float> value(obs_dim, {64, 64}, 1, tk::Activation::Tanh);
  policy.init_orthogonal(rng, 0.01f);
  value.init_orthogonal(rng, 1.0f);
  policy.reserve(64);
  value.reserve(64);
  tk::Categorical<float> dist(actions, 64);
  tk::Adam<float> adam(policy.num_parameters(), 3e-4, 0.9, 0.999, 1e-5);
  tk::RmsProp<float> rmsprop(value.num_parameters(), 7e-4, 0.99, 1e-5);

  Matrix obs = Matrix::Random(obs_dim, 64);
  Matrix targets = Matrix::Random(1, 64);
  Matrix weights = Matrix::Random(1, 64);
  Matrix grad_logits(actions, 64);
  Matrix grad_value(1, 64);
  Matrix grad_input(obs_dim, 64);
  Matrix log_probs(1, 64);
  Matrix entropies(1, 64);
  std::vector<int> sampled(64);

  auto iteration = [&](Eigen::Index n) {
    // Acting on n environments, then training on a minibatch of n.
    dist.set_logits(policy.forward(obs.leftCols(n)));
    dist.sample(rng, std::span<int>(sampled.data(), static_cast<std::size_t>(n)));
    dist.mode(std::span<int>(sampled.data(), static_cast<std::size_t>(n)));
    const std::span<const int> acts(sampled.data(), static_cast<std::size_t>(n));
    dist.log_prob(acts, log_probs.leftCols(n));
    dist.entropy(entropies.leftCols(n));
    grad_logits.leftCols(n).setZero();
    dist.add_log_prob_gradient(acts, weights.leftCols(n), grad_logits.leftCols(n));
    dist.add_entropy_gradient(weights.leftCols(n), grad_logits.leftCols(n));
    policy.zero_gradients();
    policy.backward(grad_logits.leftCols(n), grad_input.leftCols(n));
    tk::mse_loss(value.forward(obs.leftCols(n)), targets.leftCols(n), grad_value.leftCols(n), 0.5f);
    tk::smooth_l1_loss(value.output(), targets.leftCols(n), grad_value.leftCols(n));
    value.zero_gradients();
    value.backward(grad_value.leftCols(n));
    tk::clip_grad_norm<float>({&policy.gradients(), &value.gradients()}, 0.5f);
    adam.step(policy.parameters(), policy.gradients());
    rmsprop.step(value.parameters(), value.gradients());
    value.polyak_update(value, 0.5f);
  };
  iteration(64);  // warm-up: nothing is expected to allocate, but keep first-use effects out
  const auto allocations = recrl::test::allocations_during([&] {
    for (int k = 0; k < 300; ++k) iteration(k % 3 == 0 ? 8 : (k % 3 == 1 ? 64 : 1));
  });
  CHECK(allocations == 0);
}

TEST_CASE("rollout and replay buffers allocate nothing in steady state", "[unit][toolkit]") {
  const Eigen::Index n_envs = 8;
  const Eigen::Index obs_dim = 10;
  tk::RolloutBuffer rollout(16, n_envs, obs_dim, 0.99, 0.95);
  tk::RolloutMinibatch minibatch;
  minibatch.reserve(obs_dim, 32);
  tk::ReplayBuffer replay(100, n_envs, obs_dim);
  tk::ReplayBatch batch;
  batch.reserve(obs_dim, 32);
  Rng rng(2);

  Matrix obs = Matrix::Random(obs_dim, n_envs);
  Vector rewards = Vector::Random(n_envs);
  Matrix values = Matrix::Random(1, n_envs);
  Matrix log_probs = Matrix::Random(1, n_envs);
  const std::array<int, 8> actions{0, 1, 2, 3, 0, 1, 2, 3};
  const std::array<std::uint8_t, 8> flags{0, 1, 0, 0, 1, 0, 0, 0};

  auto rollout_cycle = [&] {
    rollout.reset();
    while (!rollout.full()) {
      rollout.add(obs, actions, rewards, flags, values, log_probs);
      rollout.add_truncation_bootstrap(1, 0.5f);
      replay.add(obs, obs, actions, rewards, flags);
    }
    rollout.compute_returns_and_advantage(values, flags);
    for (int epoch = 0; epoch < 2; ++epoch) {
      rollout.shuffle(rng);
      for (Eigen::Index start = 0; start < rollout.size(); start += 32) {
        rollout.gather_minibatch(start, 32, minibatch);
      }
    }
    replay.sample(rng, 32, batch);
  };
  rollout_cycle();  // warm-up: the replay sampler's index scratch grows once
  const auto allocations = recrl::test::allocations_during([&] {
    for (int k = 0; k < 50; ++k) rollout_cycle();
  });
  CHECK(allocations == 0);
}
