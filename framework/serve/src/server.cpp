#include "recrl/serve/server.hpp"

#include <atomic>
#include <mutex>
#include <optional>
#include <random>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "recrl/core/errors.hpp"
#include "recrl/run/policy_file.hpp"
#include "recrl/serve/decision_journal.hpp"
#include "recrl/serve/metrics.hpp"
#include "recrl/serve/requests.hpp"
#include "recrl/store/store_error.hpp"
#include "responses.hpp"
#include "task_pool.hpp"

namespace recrl::serve {

namespace {

using Clock = std::chrono::steady_clock;

// A batch request (up to kMaxBatch contexts) may be this many times the body limit.
constexpr std::size_t kBatchBodyFactor = 64;

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Equal keys compare in time independent of where they differ, so that timing does not leak
// the key a byte at a time.
bool same_key(std::string_view given, std::string_view key) {
  unsigned char difference = given.size() == key.size() ? 0 : 1;
  for (std::size_t i = 0; i < given.size(); ++i)
    difference |= static_cast<unsigned char>(given[i] ^ key[i % key.size()]);
  return difference == 0;
}

// A fresh event id, 32 hex digits: the time in milliseconds (12), then 20 random ones from a
// per-thread generator seeded by the system. Ids in time order are appended to the end of the
// log's index instead of into a random page of it: a third of the cost of logging a decision.
std::string new_event_id() {
  thread_local std::mt19937_64 generator{std::random_device{}()};
  const auto ms = static_cast<std::uint64_t>(now_ms());
  return fmt::format("{:012x}{:04x}{:016x}", ms & 0xffff'ffff'ffffull, generator() & 0xffff,
                     generator());
}

store::DecisionLogSchema log_schema(const ServeOptions& o, const EnvSpec& spec) {
  store::DecisionLogSchema schema;
  schema.features = spec.observation.labels;
  schema.actions = spec.action.labels;
  if (schema.actions.empty())
    for (int a = 0; a < spec.action.size; ++a) schema.actions.push_back(std::to_string(a));
  schema.reward_window_ms = o.reward_window_ms;
  schema.default_reward = o.default_reward;
  schema.aggregation = o.aggregation;
  return schema;
}

}  // namespace

bool is_loopback(const std::string& address) {
  return address == "localhost" || address == "::1" || address.rfind("127.", 0) == 0;
}

struct Server::Impl {
  Impl(ServeOptions o, std::unique_ptr<ServedModel> model, const plugin::PluginRegistry& r)
      : options(std::move(o)),
        registry(r),
        schema(log_schema(options, model->spec())),
        shape(model->spec().observation, schema.actions, model->sparse_features(),
              options.components, options.weights),
        journal(store::DecisionLog::open(options.db, schema, options.durable)),
        live(std::move(model)),
        live_raw(live.get()) {}

  ServeOptions options;
  const plugin::PluginRegistry& registry;
  store::DecisionLogSchema schema;
  RequestShape shape;
  DecisionJournal journal;
  Metrics metrics;
  httplib::Server http;
  int port = 0;
  Clock::time_point started = Clock::now();

  std::mutex live_mutex;
  std::shared_ptr<const ServedModel> live;
  std::atomic<const ServedModel*> live_raw{nullptr};  // live.get(), read without the lock
  std::shared_ptr<const ServedModel> live_model() {
    std::lock_guard lock(live_mutex);
    return live;
  }
  // This thread's instance of the live model, kept from request to request: a request takes no
  // lock for it until the live model changes.
  struct Leased {
    std::shared_ptr<const ServedModel> model;
    std::optional<ServedModel::Lease> lease;
  };
  Leased& this_thread_scorer() {
    thread_local Leased mine;
    if (mine.model.get() != live_raw.load(std::memory_order_acquire)) {
      mine.lease.reset();
      mine.model = live_model();
      mine.lease.emplace(mine.model->lease());
    }
    return mine;
  }

  void routes();
  void rank(const httplib::Request& req, httplib::Response& res);
  void rank_batch(const httplib::Request& req, httplib::Response& res);
  void reward(const httplib::Request& req, httplib::Response& res);
  void activate(const httplib::Request& req, httplib::Response& res);
  void model_info(httplib::Response& res);
  void health(httplib::Response& res);
  bool authorised(const httplib::Request& req, httplib::Response& res);
  // Decides for one parsed request on `model` and logs it; the decision as logged.
  void decide_and_log(const ServedModel& model, Scorer& scorer, const RankRequest& request,
                      store::LoggedDecision& logged, std::int64_t created_ms);
};

void Server::Impl::decide_and_log(const ServedModel& model, Scorer& scorer,
                                  const RankRequest& request, store::LoggedDecision& logged,
                                  std::int64_t created_ms) {
  thread_local RankDecision decision;
  logged.event_id = request.event_id.empty() ? new_event_id() : request.event_id;
  decide(scorer, request.context, request.excluded, logged.event_id, options.exploration, decision);
  logged.created_ms = created_ms;
  logged.model_version = model.version();
  logged.action = decision.action;
  logged.explored = decision.explored;
  logged.deferred = request.defer_activation;
  logged.context.assign(request.context.data(), request.context.data() + request.context.size());
  logged.probabilities = decision.probabilities;
}

void Server::Impl::rank(const httplib::Request& req, httplib::Response& res) {
  thread_local RankRequest request;
  thread_local store::LoggedDecision logged;
  if (auto error = parse_rank(req.body, shape, request)) return bad_request(res, *error);
  Leased& mine = this_thread_scorer();
  const ServedModel& model = *mine.model;
  if (request.explain && model.background().cols() == 0)
    return bad_request(res,
                       {"explain", "this policy cannot be explained: " + model.unexplainable()});
  decide_and_log(model, **mine.lease, request, logged, now_ms());
  const bool is_new = journal.log_decision(logged);
  if (is_new) metrics.decision(logged.explored);
  std::string& body = response_buffer();
  write_decision(body, logged, schema.actions, request.explain);
  if (request.explain) {
    // The decision as logged (a repeated event id explains the first answer), by the model
    // serving now.
    Scorer& scorer = **mine.lease;
    const Vector context = Eigen::Map<const Vector>(
        logged.context.data(), static_cast<Eigen::Index>(logged.context.size()));
    const Explanation e =
        explain_decision(*scorer.policy, context, logged.action,
                         logged.probabilities[static_cast<std::size_t>(logged.action)],
                         request.excluded, model.background(), scorer.explain);
    append_explanation(body, e, model.version());
  }
  res.set_content(body, "application/json");
}

void Server::Impl::rank_batch(const httplib::Request& req, httplib::Response& res) {
  std::vector<RankRequest> requests;
  if (auto error = parse_rank_batch(req.body, shape, requests)) return bad_request(res, *error);
  Leased& mine = this_thread_scorer();
  std::vector<store::LoggedDecision> logged(requests.size());
  const std::int64_t created = now_ms();
  for (std::size_t i = 0; i < requests.size(); ++i)
    decide_and_log(*mine.model, **mine.lease, requests[i], logged[i], created);
  std::vector<char> is_new(logged.size());
  journal.log_decisions(logged, is_new);
  std::string& body = response_buffer();
  body = "{\"results\":[";
  std::string one;
  for (std::size_t i = 0; i < logged.size(); ++i) {
    if (is_new[i]) metrics.decision(logged[i].explored);
    write_decision(one, logged[i], schema.actions);
    if (i > 0) body += ',';
    body += one;
  }
  body += "]}";
  res.set_content(body, "application/json");
}

void Server::Impl::reward(const httplib::Request& req, httplib::Response& res) {
  const std::string event_id = req.matches[1];
  if (!valid_event_id(event_id))
    return bad_request(res, {"eventId", "expected 1 to 128 characters of A-Z a-z 0-9 . _ : -"});
  RewardRequest parsed;
  if (auto error = parse_reward(req.body, shape, parsed)) return bad_request(res, *error);
  store::LoggedReward r{event_id, parsed.value, parsed.components, now_ms()};
  switch (journal.log_reward(r)) {
    case store::RewardOutcome::UnknownEvent:
      return error_answer(res, 404, "eventId",
                          fmt::format("no decision with event id '{}'", event_id));
    case store::RewardOutcome::WindowClosed:
      return error_answer(res, 409, "eventId",
                          fmt::format("the reward window of event '{}' has closed ({} s after its "
                                      "activation): the reward was not recorded",
                                      event_id, schema.reward_window_ms / 1000.0));
    case store::RewardOutcome::Recorded:
      break;
  }
  metrics.reward_recorded();
  res.set_content(fmt::format("{{\"eventId\":\"{}\",\"recorded\":true,\"value\":{}}}", event_id,
                              json_number(parsed.value)),
                  "application/json");
}

void Server::Impl::activate(const httplib::Request& req, httplib::Response& res) {
  const std::string event_id = req.matches[1];
  if (!valid_event_id(event_id))
    return bad_request(res, {"eventId", "expected 1 to 128 characters of A-Z a-z 0-9 . _ : -"});
  switch (journal.activate(event_id, now_ms())) {
    case store::ActivationOutcome::UnknownEvent:
      return error_answer(res, 404, "eventId",
                          fmt::format("no decision with event id '{}'", event_id));
    case store::ActivationOutcome::AlreadyActive:
      res.set_content(fmt::format("{{\"eventId\":\"{}\",\"activated\":false,\"reason\":\"already "
                                  "active\"}}",
                                  event_id),
                      "application/json");
      return;
    case store::ActivationOutcome::Activated:
      break;
  }
  res.set_content(fmt::format("{{\"eventId\":\"{}\",\"activated\":true}}", event_id),
                  "application/json");
}

void Server::Impl::model_info(httplib::Response& res) {
  const auto model = live_model();
  const PolicyRecord& record = model->record();
  const Space& features = model->spec().observation;
  nlohmann::json j;
  j["version"] = model->version();
  j["source"] = model->source();
  j["algorithm"] = record.algorithm.plugin;
  j["parameters"] = nlohmann::json::parse(params_json_text(record.algorithm.params));
  if (!record.experiment.empty()) j["experiment"] = record.experiment;
  nlohmann::json list = nlohmann::json::array();
  for (int f = 0; f < features.size; ++f) {
    nlohmann::json item = {{"name", features.labels[f]}};
    if (!features.low.empty() && std::isfinite(features.low[f])) item["low"] = features.low[f];
    if (!features.high.empty() && std::isfinite(features.high[f])) item["high"] = features.high[f];
    list.push_back(item);
  }
  j["features"] = list;
  j["featuresOptional"] = model->sparse_features();
  j["actions"] = schema.actions;
  j["exploration"] = {{"floor", options.exploration.floor}};
  nlohmann::json components = nlohmann::json::object();
  for (std::size_t c = 0; c < options.components.size(); ++c)
    components[options.components[c]] = options.weights[c];
  j["reward"] = {{"windowSeconds", schema.reward_window_ms / 1000.0},
                 {"default", schema.default_reward},
                 {"aggregation",
                  schema.aggregation == store::RewardAggregation::Earliest ? "earliest" : "sum"},
                 {"components", components}};
  res.set_content(j.dump(), "application/json");
}

void Server::Impl::health(httplib::Response& res) {
  const double uptime = std::chrono::duration<double>(Clock::now() - started).count();
  res.set_content(fmt::format("{{\"status\":\"ok\",\"modelVersion\":{},\"uptimeSeconds\":{:.0f}}}",
                              live_model()->version(), uptime),
                  "application/json");
}

bool Server::Impl::authorised(const httplib::Request& req, httplib::Response& res) {
  if (options.api_key.empty()) return true;
  const std::string header = req.get_header_value("Authorization");
  constexpr std::string_view kBearer = "Bearer ";
  if (header.rfind(kBearer, 0) == 0 &&
      same_key(std::string_view(header).substr(kBearer.size()), options.api_key))
    return true;
  res.set_header("WWW-Authenticate", "Bearer");
  error_answer(res, 401, "Authorization", "expected the header 'Authorization: Bearer <api key>'");
  return false;
}

void Server::Impl::routes() {
  // Every route answers JSON, times itself into the metrics and turns a failure of the log into
  // 503: a decision that could not be logged is not served.
  const auto route = [this](Endpoint endpoint, auto handler) {
    return [this, endpoint, handler](const httplib::Request& req, httplib::Response& res) {
      const auto began = Clock::now();
      try {
        if (req.body.size() > options.body_limit && endpoint != Endpoint::RankBatch) {
          error_answer(res, 413, "",
                       fmt::format("the request body is over the server's limit of {} bytes",
                                   options.body_limit));
        } else {
          handler(req, res);
        }
      } catch (const store::StoreError& e) {
        spdlog::error("{}", e.what());
        error_answer(res, 503, "", "the decision log cannot be written; nothing was logged");
      }
      metrics.request(endpoint, res.status,
                      std::chrono::duration<double>(Clock::now() - began).count());
    };
  };
  http.Post("/v1/rank", route(Endpoint::Rank, [this](const auto& q, auto& r) { rank(q, r); }));
  http.Post("/v1/rank:batch",
            route(Endpoint::RankBatch, [this](const auto& q, auto& r) { rank_batch(q, r); }));
  http.Post(R"(/v1/events/([^/]+)/reward)",
            route(Endpoint::Reward, [this](const auto& q, auto& r) { reward(q, r); }));
  http.Post(R"(/v1/events/([^/]+)/activate)",
            route(Endpoint::Activate, [this](const auto& q, auto& r) { activate(q, r); }));
  http.Get("/v1/health", route(Endpoint::Health, [this](const auto&, auto& r) { health(r); }));
  http.Get("/v1/model", route(Endpoint::Model, [this](const auto&, auto& r) { model_info(r); }));
  http.Get("/metrics", route(Endpoint::Metrics, [this](const auto&, auto& r) {
             r.set_content(metrics.prometheus_text(), "text/plain; version=0.0.4");
           }));

  http.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    if (detail::shedding()) {
      res.set_header("Retry-After", "1");
      res.set_header("Connection", "close");
      error_answer(res, 503, "", "the server is at capacity; retry shortly");
      metrics.request(Endpoint::Other, 503, 0);
      return httplib::Server::HandlerResponse::Handled;
    }
    if (!authorised(req, res)) {
      metrics.request(Endpoint::Other, 401, 0);
      return httplib::Server::HandlerResponse::Handled;
    }

    return httplib::Server::HandlerResponse::Unhandled;
  });
  // httplib's own refusals (no such route, a body over the limit) get a JSON body too.
  http.set_error_handler([this](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return;
    if (res.status == 404)
      error_answer(res, 404, "",
                   fmt::format("no route {} {}: see GET /v1/model and "
                               "docs/serving.md for the API",
                               req.method, req.path));
    else if (res.status == 413 &&
             req.get_header_value("Content-Type") == "application/x-www-form-urlencoded")
      // The library's own cap on form-encoded bodies (curl -d sends that type by default).
      error_answer(res, 413, "",
                   "a form-encoded body is limited to 8 KiB: send the JSON with 'Content-Type: "
                   "application/json'");
    else if (res.status == 413)
      error_answer(res, 413, "",
                   fmt::format("the request body is over the server's limit of {} bytes",
                               options.body_limit * kBatchBodyFactor));
    else
      error_answer(res, res.status, "", "the request was refused");
  });
  http.set_exception_handler(
      [this](const httplib::Request&, httplib::Response& res, std::exception_ptr error) {
        std::string what = "unknown";
        try {
          std::rethrow_exception(error);
        } catch (const std::exception& e) {
          what = e.what();
        } catch (...) {
        }
        spdlog::error("request failed: {}", what);
        error_answer(res, 500, "", "the server failed on this request; it keeps serving");
        metrics.request(Endpoint::Other, 500, 0);
      });
}

Server::Server(ServeOptions options, std::unique_ptr<ServedModel> model,
               const plugin::PluginRegistry& registry) {
  if (!is_loopback(options.bind) && options.api_key.empty())
    throw ConfigError(fmt::format(
        "serve: --bind {} is reachable from other machines: give --api-key-file (or bind "
        "127.0.0.1 behind a reverse proxy)",
        options.bind));
  if (options.threads < 1 || options.queue < 0)
    throw ConfigError("serve: --threads must be >= 1 and --queue >= 0");
  impl_ = std::make_unique<Impl>(std::move(options), std::move(model), registry);
  Impl& s = *impl_;
  {
    const auto live = s.live_model();
    s.metrics.model_version(live->version());
    s.journal.on_writer([&](store::DecisionLog& log) {
      if (log.last_model_version() >= live->version()) return;
      log.add_model({live->version(), live->source(), now_ms(), policy_bytes(live->record())});
    });
  }
  const auto threads = static_cast<std::size_t>(s.options.threads);
  const auto queue = static_cast<std::size_t>(s.options.queue);
  s.http.new_task_queue = [&s, threads, queue] {
    return new detail::BoundedPool(threads, queue, [&s] { s.metrics.shed(); });
  };
  // The library reads a body whole before its route sees it, so its limit is the batch
  // route's; the other routes hold theirs to body_limit.
  s.http.set_payload_max_length(s.options.body_limit * kBatchBodyFactor);
  s.http.set_read_timeout(s.options.timeout);
  s.http.set_write_timeout(s.options.timeout);
  s.http.set_keep_alive_timeout(s.options.timeout.count());
  s.http.set_keep_alive_max_count(100'000);
  // An answer goes out at once, not held back by Nagle's algorithm for the client's ACK (40 ms
  // on Linux).
  s.http.set_tcp_nodelay(true);
  s.routes();
  if (s.options.port == 0) {
    s.port = s.http.bind_to_any_port(s.options.bind);
    if (s.port < 0) s.port = 0;
  } else if (s.http.bind_to_port(s.options.bind, s.options.port)) {
    s.port = s.options.port;
  }
  if (s.port == 0)
    throw Error(
        fmt::format("error: serve: cannot listen on {}:{} (in use, or not an address of "
                    "this machine)",
                    s.options.bind, s.options.port));
}

Server::~Server() = default;

int Server::port() const { return impl_->port; }

void Server::run() {
  impl_->http.listen_after_bind();
  // listen returns once stopped and every connection's thread has finished: then the log takes
  // the last decisions and closes.
  impl_->journal.close();
}

void Server::stop() { impl_->http.stop(); }

}  // namespace recrl::serve
