#include "multiply_add_peak.hpp"

#include <algorithm>
#include <chrono>

#include <Eigen/Core>

namespace recrl::app {

namespace {

using Packet = Eigen::internal::packet_traits<float>::type;
constexpr int kLanes = static_cast<int>(sizeof(Packet) / sizeof(float));

// Twelve independent chains: more than the multiply-adds in flight that two units with a
// latency of four cycles keep busy. acc = acc a + b converges to b / (1 - a) = 1: no overflow,
// no sub-normals.
constexpr int kChains = 12;

__attribute__((noinline)) float run_chains(long iterations, float start) {
  namespace ei = Eigen::internal;
  const Packet a = ei::pset1<Packet>(0.9999f);
  const Packet b = ei::pset1<Packet>(0.0001f);
  Packet acc[kChains];
  for (int c = 0; c < kChains; ++c) acc[c] = ei::pset1<Packet>(start + 0.001f * c);
  for (long i = 0; i < iterations; ++i) {
    for (int c = 0; c < kChains; ++c) acc[c] = ei::pmadd(acc[c], a, b);
  }
  Packet sum = acc[0];
  for (int c = 1; c < kChains; ++c) sum = ei::padd(sum, acc[c]);
  return ei::predux(sum);
}

}  // namespace

double multiply_add_peak_gflops() {
  constexpr long kIterations = 4'000'000;
  constexpr double kFlops = 2.0 * kLanes * kChains * static_cast<double>(kIterations);
  double best = 0;
  volatile float sink = 0;
  // The best of a few rounds: the first may still be waking the core from a lower clock.
  for (int round = 0; round < 4; ++round) {
    const auto start = std::chrono::steady_clock::now();
    sink = sink + run_chains(kIterations, static_cast<float>(round));
    const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
    if (elapsed.count() > 0) best = std::max(best, kFlops / elapsed.count() / 1e9);
  }
  return best;
}

}  // namespace recrl::app
