#pragma once

// What the server's source files share: the state behind recrl::serve::Server and its
// handlers (server.cpp: set-up and routing; decision_routes.cpp: rank, reward, activate,
// health, model; model_routes.cpp: candidate models, shadow mode, online learning).
#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "http_server.hpp"
#include "online_learner.hpp"
#include "recrl/serve/decision_journal.hpp"
#include "recrl/serve/metrics.hpp"
#include "recrl/serve/requests.hpp"
#include "recrl/serve/server.hpp"
#include "responses.hpp"

namespace recrl::serve {

using Clock = std::chrono::steady_clock;

inline std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// One model slot (the live model, or the one in shadow) that request threads read without a
// lock: each thread keeps its own instance of the slot's model until the slot changes.
class ModelSlot {
 public:
  std::shared_ptr<const ServedModel> get() const {
    std::lock_guard lock(mutex_);
    return model_;
  }
  void set(std::shared_ptr<const ServedModel> model) {
    std::lock_guard lock(mutex_);
    model_ = std::move(model);
    raw_.store(model_.get(), std::memory_order_release);
  }
  bool empty() const { return raw_.load(std::memory_order_acquire) == nullptr; }

  struct Leased {
    std::shared_ptr<const ServedModel> model;
    std::optional<ServedModel::Lease> lease;
    const ModelSlot* slot = nullptr;
  };
  // This thread's instance of the slot's model (`mine` is a thread_local of the caller's, one
  // per slot); null model when the slot is empty.
  Leased& lease(Leased& mine) const {
    if (mine.slot != this || mine.model.get() != raw_.load(std::memory_order_acquire)) {
      mine.lease.reset();
      mine.model = get();
      mine.slot = this;
      if (mine.model) mine.lease.emplace(mine.model->lease());
    }
    return mine;
  }

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<const ServedModel> model_;
  std::atomic<const ServedModel*> raw_{nullptr};
};

struct Server::Impl {
  Impl(ServeOptions o, PolicyRecord policy, const std::string& source,
       const plugin::PluginRegistry& r);

  ServeOptions options;
  const plugin::PluginRegistry& registry;
  std::unique_ptr<ServedModel> first;  // the model given, until installed
  store::DecisionLogSchema schema;
  RequestShape shape;
  DecisionJournal journal;
  Metrics metrics;
  std::unique_ptr<detail::HttpServer> http;
  Clock::time_point started = Clock::now();

  ModelSlot live, shadow;
  std::mutex models_mutex;  // one candidate at a time
  std::atomic<int> next_version{1};
  std::unique_ptr<detail::OnlineLearner> learner;

  // Every request's answer: refusals, the key, the route and its metrics (server.cpp).
  void answer(detail::HttpRequest& req, detail::HttpResponse& res, const detail::Defer& defer);
  bool authorised(const detail::HttpRequest& req, detail::HttpResponse& res);

  // A connection's answer that waits for its write to commit (rank, reward, activate), kept with
  // the connection from request to request so that its strings and vectors keep their memory:
  // a served rank request allocates nothing here once the connection is warm.
  struct Pending : detail::RouteState {
    enum class Kind { Rank, Reward, Activate };
    explicit Pending(Impl& s) : server(s) {}
    Impl& server;
    Kind kind = Kind::Rank;
    Endpoint endpoint = Endpoint::Rank;
    Clock::time_point began;
    detail::Resume resume;
    DecisionJournal::Outcome outcome;
    store::LoggedDecision logged;  // rank
    bool explain = false;
    std::vector<char> excluded;
    store::LoggedReward reward;  // reward
    std::string event_id;        // activate
  };
  // This connection's Pending.
  Pending& pending(detail::HttpRequest& req);
  // Defers the answer and hands p's write to the journal (`submit`, given its callback); once
  // committed, answers from p on a thread of the server (answer_pending), a failed write with
  // 503 (nothing of it was logged).
  void answer_after(Pending& p, const detail::Defer& defer,
                    const std::function<void(DecisionJournal::Done)>& submit);
  void answer_pending(Pending& p, detail::HttpResponse& res);

  // decision_routes.cpp
  // The three that answer once their write committed: a route fills `p` and calls answer_after,
  // or answers at once (a bad request); the finish_ functions fill the answer from `p` once its
  // write committed.
  void rank(const detail::HttpRequest& req, detail::HttpResponse& res, Pending& p,
            const detail::Defer& defer);
  void reward(const detail::HttpRequest& req, detail::HttpResponse& res, Pending& p,
              const detail::Defer& defer);
  void activate(const detail::HttpRequest& req, detail::HttpResponse& res, Pending& p,
                const detail::Defer& defer);
  void finish_rank(const Pending& p, detail::HttpResponse& res);
  void finish_reward(const Pending& p, detail::HttpResponse& res);
  void finish_activate(const Pending& p, detail::HttpResponse& res);
  void rank_batch(const detail::HttpRequest& req, detail::HttpResponse& res);
  void model_info(detail::HttpResponse& res);
  void health(detail::HttpResponse& res);
  // Decides for one parsed request on `model` and fills `logged` (and its shadow decision when
  // a model is in shadow mode).
  void decide(const ServedModel& model, Scorer& scorer, const RankRequest& request,
              store::LoggedDecision& logged, std::int64_t created_ms);

  // model_routes.cpp
  // The next model version of `record`, recorded in the log. Throws DataError for a policy that
  // cannot be loaded, ConfigError for one that does not fit this log.
  std::shared_ptr<const ServedModel> make_model(PolicyRecord record, const std::string& source);
  // Records `model` (its version, source and policy) in the log's models.
  void log_model(const ServedModel& model);
  // Makes `model` the live one; the learner, if any, learns on from it unless it made it.
  void install(std::shared_ptr<const ServedModel> model, bool learned);
  // Promotes `candidate` under the server's rule; the verdict as JSON.
  nlohmann::json promote(std::shared_ptr<const ServedModel> candidate);
  void post_model(const detail::HttpRequest& req, detail::HttpResponse& res);
  void promote_shadow(detail::HttpResponse& res);
  void drop_shadow(detail::HttpResponse& res);
  void start_learning();
};

}  // namespace recrl::serve
