#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <string>

#include "recrl/core/export.hpp"

namespace recrl::serve {

enum class Endpoint { Rank, RankBatch, Reward, Activate, Health, Model, Models, Metrics, Other };
inline constexpr std::size_t kEndpoints = 9;
RECRL_API const char* endpoint_name(Endpoint e);  // "rank", "rank_batch", ...

// The server's counters, read by GET /metrics in Prometheus' text format. Every update is one
// relaxed atomic add: requests never wait on each other for them.
class RECRL_API Metrics {
 public:
  // Upper bounds of the latency histogram's buckets, in seconds.
  static constexpr std::array<double, 14> kBuckets = {
      0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5};

  void request(Endpoint e, int status, double seconds);
  void decision(bool explored);
  // A decision of the model in shadow mode, and whether it agreed with the one served.
  void shadow_decision(bool agreed) {
    shadow_.fetch_add(1, std::memory_order_relaxed);
    if (agreed) shadow_agreed_.fetch_add(1, std::memory_order_relaxed);
  }
  void reward_recorded() { rewards_.fetch_add(1, std::memory_order_relaxed); }
  void shed() { shed_.fetch_add(1, std::memory_order_relaxed); }
  void model_version(int version) { model_version_.store(version, std::memory_order_relaxed); }

  std::string prometheus_text() const;

 private:
  struct PerEndpoint {
    std::array<std::atomic<std::uint64_t>, 5> by_class{};                   // 1xx .. 5xx
    std::array<std::atomic<std::uint64_t>, kBuckets.size() + 1> buckets{};  // the last: +Inf
    std::atomic<std::uint64_t> micros_sum{0};
  };
  std::array<PerEndpoint, kEndpoints> endpoints_;
  std::atomic<std::uint64_t> decisions_{0}, explored_{0}, rewards_{0}, shed_{0}, shadow_{0},
      shadow_agreed_{0};
  std::atomic<int> model_version_{0};
};

}  // namespace recrl::serve
