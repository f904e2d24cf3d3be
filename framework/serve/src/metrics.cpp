#include "recrl/serve/metrics.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace recrl::serve {

namespace {

// One unlabelled series: its HELP and TYPE lines, then its value.
template <typename T>
void series(std::string& out, const char* name, const char* type, const char* help, T value) {
  out += fmt::format("# HELP {} {}\n# TYPE {} {}\n{} {}\n", name, help, name, type, name, value);
}

}  // namespace

const char* endpoint_name(Endpoint e) {
  switch (e) {
    case Endpoint::Rank:
      return "rank";
    case Endpoint::RankBatch:
      return "rank_batch";
    case Endpoint::Reward:
      return "reward";
    case Endpoint::Activate:
      return "activate";
    case Endpoint::Health:
      return "health";
    case Endpoint::Model:
      return "model";
    case Endpoint::Models:
      return "models";
    case Endpoint::Metrics:
      return "metrics";
    case Endpoint::Other:
      break;
  }
  return "other";
}

void Metrics::request(Endpoint e, int status, double seconds) {
  PerEndpoint& m = endpoints_[static_cast<std::size_t>(e)];
  const int cls = std::clamp(status / 100, 1, 5) - 1;
  m.by_class[static_cast<std::size_t>(cls)].fetch_add(1, std::memory_order_relaxed);
  std::size_t b = 0;
  while (b < kBuckets.size() && seconds > kBuckets[b]) ++b;
  m.buckets[b].fetch_add(1, std::memory_order_relaxed);
  m.micros_sum.fetch_add(static_cast<std::uint64_t>(seconds * 1e6), std::memory_order_relaxed);
}

void Metrics::decision(bool explored) {
  decisions_.fetch_add(1, std::memory_order_relaxed);
  if (explored) explored_.fetch_add(1, std::memory_order_relaxed);
}

std::string Metrics::prometheus_text() const {
  const auto load = [](const std::atomic<std::uint64_t>& a) {
    return a.load(std::memory_order_relaxed);
  };
  std::string out;
  out += "# HELP recrl_requests_total HTTP requests answered, by endpoint and status class.\n";
  out += "# TYPE recrl_requests_total counter\n";
  for (std::size_t e = 0; e < kEndpoints; ++e) {
    const char* name = endpoint_name(static_cast<Endpoint>(e));
    for (std::size_t c = 0; c < 5; ++c) {
      const auto n = load(endpoints_[e].by_class[c]);
      if (n > 0)
        out += fmt::format("recrl_requests_total{{endpoint=\"{}\",code=\"{}xx\"}} {}\n", name,
                           c + 1, n);
    }
  }
  out += "# HELP recrl_request_seconds Time from a request read to its answer, by endpoint.\n";
  out += "# TYPE recrl_request_seconds histogram\n";
  for (std::size_t e = 0; e < kEndpoints; ++e) {
    const PerEndpoint& m = endpoints_[e];
    std::uint64_t count = 0;
    for (const auto& b : m.buckets) count += load(b);
    if (count == 0) continue;
    const char* name = endpoint_name(static_cast<Endpoint>(e));
    std::uint64_t cumulative = 0;
    for (std::size_t b = 0; b <= kBuckets.size(); ++b) {
      cumulative += load(m.buckets[b]);
      const std::string le = b < kBuckets.size() ? fmt::format("{}", kBuckets[b]) : "+Inf";
      out += fmt::format("recrl_request_seconds_bucket{{endpoint=\"{}\",le=\"{}\"}} {}\n", name, le,
                         cumulative);
    }
    out += fmt::format("recrl_request_seconds_sum{{endpoint=\"{}\"}} {}\n", name,
                       static_cast<double>(load(m.micros_sum)) * 1e-6);
    out += fmt::format("recrl_request_seconds_count{{endpoint=\"{}\"}} {}\n", name, count);
  }
  const std::uint64_t decisions = load(decisions_), explored = load(explored_);
  series(out, "recrl_decisions_total", "counter", "Decisions served (and logged).", decisions);
  series(out, "recrl_explored_total", "counter",
         "Decisions whose action was not the policy's first choice.", explored);
  series(out, "recrl_explored_share", "gauge", "Share of decisions that explored.",
         decisions > 0 ? static_cast<double>(explored) / decisions : 0.0);
  series(out, "recrl_rewards_joined_total", "counter", "Rewards recorded for a logged decision.",
         load(rewards_));
  series(out, "recrl_shed_total", "counter", "Connections answered 503 because the queue was full.",
         load(shed_));
  series(out, "recrl_shadow_decisions_total", "counter",
         "Decisions the model in shadow mode also made.", load(shadow_));
  series(out, "recrl_shadow_agreed_total", "counter",
         "Shadow decisions that chose the action served.", load(shadow_agreed_));
  series(out, "recrl_model_version", "gauge", "The model version serving decisions.",
         model_version_.load(std::memory_order_relaxed));
  return out;
}

}  // namespace recrl::serve
