#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "recrl/core/export.hpp"
#include "recrl/loader/registry.hpp"
#include "recrl/serve/served_model.hpp"
#include "recrl/stats/off_policy.hpp"
#include "recrl/store/decision_log.hpp"

namespace recrl::serve {

// What `recrl serve` is told (docs/serving.md).
struct ServeOptions {
  std::string bind = "127.0.0.1";
  int port = 8080;  // 0: any free port (tests)
  std::filesystem::path db = "serve.db";
  std::string api_key;  // "" for none; required unless bound to loopback
  int threads = 0;      // threads answering requests (every one serves every connection);
                        // 0: one per core
  int queue = 256;      // connections open beyond `threads`; one more is answered 503
  std::size_t body_limit = 64 * 1024;
  std::chrono::seconds timeout{5};  // to read a request, or write an answer
  Exploration exploration;
  std::int64_t reward_window_ms = 600'000;
  double default_reward = 0;
  store::RewardAggregation aggregation = store::RewardAggregation::Earliest;
  // Named reward components a reward request may give, with their weights.
  std::vector<std::string> components;
  std::vector<double> weights;
  bool durable = false;  // synchronous=FULL: also survive a power loss
  ExplainSettings explain;
  // --learn: a bandit policy learns from the rewards of its decisions, a new version every
  // learn_every.
  bool learn = false;
  std::chrono::milliseconds learn_every{1000};
  // How a candidate model (POST /v1/models, SIGHUP) takes over: at once, or only when its
  // off-policy estimate's lower bound on the log is not below the live model's estimate.
  enum class Promotion { Always, Ope };
  Promotion promote = Promotion::Always;
  stats::OpeEstimator promote_estimator = stats::OpeEstimator::Dr;
};

// True for an address only this machine can reach (127.0.0.0/8, ::1, localhost).
RECRL_API bool is_loopback(const std::string& address);

// The HTTP server of `recrl serve`: rank, reward, activate, health, model, metrics (the routes
// are in docs/serving.md). `threads` threads wait on every connection at once and answer each
// request on the thread that read it; decisions are committed to the log in groups
// (DecisionJournal).
class RECRL_API Server {
 public:
  // Opens (or creates) the decision log and binds the address; serves `policy` (`source` names
  // it: "file p.recrl") as the log's next model version. Throws ConfigError for options that do
  // not go together, DataError for a policy that cannot be served, StoreError for a log that
  // cannot be used, Error for an address that cannot be bound.
  Server(ServeOptions options, PolicyRecord policy, const std::string& source,
         const plugin::PluginRegistry& registry);
  ~Server();

  int port() const;
  // A candidate read from `policy_file` (SIGHUP), promoted as POST /v1/models would; the
  // verdict in a sentence.
  std::string reload(const std::filesystem::path& policy_file);
  // Serves until stop(); then in-flight requests finish and the log is flushed and closed.
  void run();
  // Safe from any thread (a signal watcher).
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace recrl::serve
