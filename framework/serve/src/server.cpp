// recrl serve's set-up and routing: options checked, the log opened, the routes bound, and
// the refusals that come before any route (load shed, no key) or from the HTTP library.
#include <algorithm>
#include <cmath>
#include <thread>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "recrl/core/errors.hpp"
#include "recrl/store/store_error.hpp"
#include "server_impl.hpp"

namespace recrl::serve {

namespace {

// A batch request (up to kMaxBatch contexts) may be this many times the body limit.
constexpr std::size_t kBatchBodyFactor = 64;
// More threads than this serve no faster on any machine recrl runs on, and past the process's
// limits a thread that cannot be started would end the server.
constexpr int kMaxThreads = 256;

// Equal keys compare in time independent of where they differ, so that timing does not leak
// the key a byte at a time.
bool same_key(std::string_view given, std::string_view key) {
  unsigned char difference = given.size() == key.size() ? 0 : 1;
  for (std::size_t i = 0; i < given.size(); ++i)
    difference |= static_cast<unsigned char>(given[i] ^ key[i % key.size()]);
  return difference == 0;
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

Server::Impl::Impl(ServeOptions o, PolicyRecord policy, const std::string& source,
                   const plugin::PluginRegistry& r)
    : options(std::move(o)),
      registry(r),
      first(std::make_unique<ServedModel>(0, source, std::move(policy), r, options.explain)),
      schema(log_schema(options, first->spec())),
      shape(first->spec().observation, schema.actions, first->sparse_features(), options.components,
            options.weights),
      journal(store::DecisionLog::open(options.db, schema, options.durable)) {}

bool is_loopback(const std::string& address) {
  return address == "localhost" || address == "::1" || address.rfind("127.", 0) == 0;
}

bool Server::Impl::authorised(const detail::HttpRequest& req, detail::HttpResponse& res) {
  if (options.api_key.empty()) return true;
  constexpr std::string_view kBearer = "Bearer ";
  if (req.authorization.rfind(kBearer, 0) == 0 &&
      same_key(std::string_view(req.authorization).substr(kBearer.size()), options.api_key))
    return true;
  res.set_header("WWW-Authenticate", "Bearer");
  error_answer(res, 401, "Authorization", "expected the header 'Authorization: Bearer <api key>'");
  return false;
}

namespace {

enum class Handler {
  Rank,
  RankBatch,
  Reward,
  Activate,
  Health,
  Model,
  Metrics,
  PostModel,
  PromoteShadow,
  DropShadow
};
struct Route {
  std::string_view method, path;  // a path's "{}" is one segment: the event id
  Handler handler;
  Endpoint endpoint;
};
constexpr Route kRoutes[] = {
    {"POST", "/v1/rank", Handler::Rank, Endpoint::Rank},
    {"POST", "/v1/rank:batch", Handler::RankBatch, Endpoint::RankBatch},
    {"POST", "/v1/events/{}/reward", Handler::Reward, Endpoint::Reward},
    {"POST", "/v1/events/{}/activate", Handler::Activate, Endpoint::Activate},
    {"GET", "/v1/health", Handler::Health, Endpoint::Health},
    {"GET", "/v1/model", Handler::Model, Endpoint::Model},
    {"GET", "/metrics", Handler::Metrics, Endpoint::Metrics},
    {"POST", "/v1/models", Handler::PostModel, Endpoint::Models},
    {"POST", "/v1/models/shadow:promote", Handler::PromoteShadow, Endpoint::Models},
    {"DELETE", "/v1/models/shadow", Handler::DropShadow, Endpoint::Models},
};

// Whether `path` is `pattern`'s, with the segment in place of "{}" into `segment`.
bool matches(std::string_view pattern, std::string_view path, std::string& segment) {
  const std::size_t hole = pattern.find("{}");
  if (hole == std::string_view::npos) return pattern == path;
  const std::string_view before = pattern.substr(0, hole), after = pattern.substr(hole + 2);
  if (path.size() <= before.size() + after.size() || path.substr(0, before.size()) != before ||
      path.substr(path.size() - after.size()) != after)
    return false;
  const std::string_view middle =
      path.substr(before.size(), path.size() - before.size() - after.size());
  if (middle.find('/') != std::string_view::npos) return false;
  segment = middle;
  return true;
}

// Runs `fill` on `res`: a failure of the log answers 503 (a decision that could not be logged
// is not served), any other failure 500, and the server serves on.
template <typename Fill>
void guarded(detail::HttpResponse& res, Fill&& fill) {
  try {
    fill(res);
  } catch (const store::StoreError& e) {
    spdlog::error("{}", e.what());
    res = detail::HttpResponse{};
    error_answer(res, 503, "", "the decision log cannot be written; nothing was logged");
  } catch (const std::exception& e) {
    spdlog::error("request failed: {}", e.what());
    res = detail::HttpResponse{};
    error_answer(res, 500, "", "the server failed on this request; it keeps serving");
  }
}

}  // namespace

// Every request ends here: refusals before any route (over capacity, unreadable, too large, no
// key), then its route, timed into the metrics.
void Server::Impl::answer(detail::HttpRequest& req, detail::HttpResponse& res,
                          const detail::Defer& defer) {
  using Refusal = detail::HttpRequest::Refusal;
  const auto refuse = [&](int status, const std::string& message) {
    error_answer(res, status, "", message);
    metrics.request(Endpoint::Other, status, 0);
  };
  switch (req.refusal) {
    case Refusal::OverCapacity:
      metrics.shed();
      res.set_header("Retry-After", "1");
      return refuse(503, "the server is at capacity; retry shortly");
    case Refusal::HeadTooLarge:
      return refuse(431, fmt::format("the request's head (its request line and headers) is over "
                                     "the server's limit of {} bytes",
                                     detail::kHeadLimit));
    case Refusal::TooLarge:
      return refuse(413, fmt::format("the request is over the server's limit of {} bytes",
                                     options.body_limit * kBatchBodyFactor));
    case Refusal::VersionNotSupported:
      return refuse(505,
                    "the request line's HTTP version is not one this server speaks: HTTP/1.0 or "
                    "HTTP/1.1 (behind a proxy that speaks HTTP/2 to clients, see docs/serving.md)");
    case Refusal::Malformed:
      return refuse(400,
                    "the HTTP request could not be read: a malformed request line, header "
                    "or body framing");
    case Refusal::None:
      break;
  }
  if (!authorised(req, res)) return metrics.request(Endpoint::Other, 401, 0);
  const Route* route = nullptr;
  std::string allowed;  // the methods of the path, where it is known
  for (const Route& r : kRoutes) {
    if (!matches(r.path, req.path, req.event_id)) continue;
    if (r.method == req.method) {
      route = &r;
      break;
    }
    allowed += std::string(allowed.empty() ? "" : ", ") + std::string(r.method);
  }
  if (route == nullptr && !allowed.empty()) {
    res.set_header("Allow", allowed);
    return refuse(405, fmt::format("{} is not a method of {} (it takes {}): see docs/serving.md",
                                   req.method, req.path, allowed));
  }
  if (route == nullptr)
    return refuse(404, fmt::format("no route {} {}: see GET /v1/model and docs/serving.md for "
                                   "the API",
                                   req.method, req.path));
  const auto began = Clock::now();
  const Endpoint endpoint = route->endpoint;
  // A route that answers once its write committed is counted when its answer is filled.
  bool deferred = false;
  const auto later = [&]() -> Pending& {
    Pending& p = pending(req);
    p.endpoint = endpoint;
    p.began = began;
    deferred = true;
    return p;
  };
  guarded(res, [&](detail::HttpResponse& r) {
    if (req.body.size() > options.body_limit && route->handler != Handler::RankBatch)
      return error_answer(r, 413, "",
                          fmt::format("the request body is over the server's limit of {} bytes",
                                      options.body_limit));
    switch (route->handler) {
      case Handler::Rank:
        return rank(req, r, later(), defer);
      case Handler::RankBatch:
        return rank_batch(req, r);
      case Handler::Reward:
        return reward(req, r, later(), defer);
      case Handler::Activate:
        return activate(req, r, later(), defer);
      case Handler::Health:
        return health(r);
      case Handler::Model:
        return model_info(r);
      case Handler::Metrics:
        return r.set_content(metrics.prometheus_text(), "text/plain; version=0.0.4");
      case Handler::PostModel:
        return post_model(req, r);
      case Handler::PromoteShadow:
        return promote_shadow(r);
      case Handler::DropShadow:
        return drop_shadow(r);
    }
  });
  // A deferring route that answered at once (a bad request) has an empty resume.
  if (!deferred || !pending(req).resume)
    metrics.request(endpoint, res.status,
                    std::chrono::duration<double>(Clock::now() - began).count());
}

Server::Impl::Pending& Server::Impl::pending(detail::HttpRequest& req) {
  if (!req.state) req.state = std::make_unique<Pending>(*this);
  return static_cast<Pending&>(*req.state);
}

void Server::Impl::answer_after(Pending& p, const detail::Defer& defer,
                                const std::function<void(DecisionJournal::Done)>& submit) {
  p.resume = defer();
  p.outcome = DecisionJournal::Outcome{};
  // Each callback holds one pointer: std::function keeps it without allocating.
  const auto fill = [&p](detail::HttpResponse& res) { p.server.answer_pending(p, res); };
  try {
    submit([&p, fill](const DecisionJournal::Outcome& outcome) {
      p.outcome = outcome;
      p.resume(fill);
    });
  } catch (...) {
    // Not handed in (the log is closing): answered all the same.
    p.outcome.error = std::current_exception();
    p.resume(fill);
  }
}

void Server::Impl::answer_pending(Pending& p, detail::HttpResponse& res) {
  guarded(res, [&](detail::HttpResponse& r) {
    if (p.outcome.error) std::rethrow_exception(p.outcome.error);
    switch (p.kind) {
      case Pending::Kind::Rank:
        return finish_rank(p, r);
      case Pending::Kind::Reward:
        return finish_reward(p, r);
      case Pending::Kind::Activate:
        return finish_activate(p, r);
    }
  });
  metrics.request(p.endpoint, res.status,
                  std::chrono::duration<double>(Clock::now() - p.began).count());
  p.resume = nullptr;
  p.outcome.error = nullptr;
}

Server::Server(ServeOptions options, PolicyRecord policy, const std::string& source,
               const plugin::PluginRegistry& registry) {
  if (!is_loopback(options.bind) && options.api_key.empty())
    throw ConfigError(fmt::format(
        "serve: --bind {} is reachable from other machines: give --api-key-file (or bind "
        "127.0.0.1 behind a reverse proxy)",
        options.bind));
  if (options.port < 0 || options.port > 65535)
    throw ConfigError(fmt::format("serve: --port must be 0 to 65535 (0: any free port), got {}",
                                  options.port));
  if (options.threads < 0 || options.threads > kMaxThreads || options.queue < 0)
    throw ConfigError(fmt::format(
        "serve: --threads must be 0 (one per core) to {} and --queue >= 0, got {} and {}",
        kMaxThreads, options.threads, options.queue));
  // A decision without a reward in its window is logged with this one: OPE reads it.
  if (!std::isfinite(options.default_reward))
    throw ConfigError(fmt::format("serve: --default-reward must be a finite number, got {}",
                                  options.default_reward));
  if (options.threads == 0)
    options.threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  impl_ = std::make_unique<Impl>(std::move(options), std::move(policy), source, registry);
  Impl& s = *impl_;
  // Versions go on from the log's last: each one names one model for good.
  s.journal.on_writer(
      [&](store::DecisionLog& log) { s.next_version = log.last_model_version() + 1; });
  if (s.options.learn) detail::OnlineLearner::check_learns(*s.first, registry);
  {
    std::unique_ptr<ServedModel> given = std::move(s.first);
    given->set_version(s.next_version++);
    std::shared_ptr<const ServedModel> model(std::move(given));
    s.log_model(*model);
    s.install(model, false);
  }
  if (s.options.learn) s.start_learning();
  detail::HttpServer::Options http;
  http.bind = s.options.bind;
  http.port = s.options.port;
  http.threads = s.options.threads;
  http.connections = static_cast<std::size_t>(s.options.threads + s.options.queue);
  // The batch route's limit: the others hold theirs to body_limit once routed.
  http.body_limit = s.options.body_limit * kBatchBodyFactor;
  http.timeout = s.options.timeout;
  s.http = std::make_unique<detail::HttpServer>(
      http,
      [&s](detail::HttpRequest& req, detail::HttpResponse& res, const detail::Defer& defer) {
        s.answer(req, res, defer);
      },
      // A model upload may be evaluated off-policy for seconds.
      [](const detail::HttpRequest& req) { return req.path.rfind("/v1/models", 0) == 0; });
  if (s.http->port() == 0)
    throw Error(
        fmt::format("error: serve: cannot listen on {}:{} (in use, or not an address of "
                    "this machine)",
                    s.options.bind, s.options.port));
}

int Server::port() const { return impl_->http->port(); }

void Server::run() {
  impl_->http->run();
  // run returns once stopped and every request read has been answered: then the learner stops
  // and the log takes the last decisions and closes.
  if (impl_->learner) impl_->learner->stop();
  impl_->journal.close();
}

void Server::stop() { impl_->http->stop(); }

Server::~Server() = default;

}  // namespace recrl::serve
