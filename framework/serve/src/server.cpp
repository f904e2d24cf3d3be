// recrl serve's set-up and routing: options checked, the log opened, the routes bound, and
// the refusals that come before any route (load shed, no key) or from the HTTP library.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "recrl/core/errors.hpp"
#include "recrl/store/store_error.hpp"
#include "server_impl.hpp"
#include "task_pool.hpp"

namespace recrl::serve {

namespace {

// A batch request (up to kMaxBatch contexts) may be this many times the body limit.
constexpr std::size_t kBatchBodyFactor = 64;

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
      // A handler that sets no status answers 200 (the library fills it in afterwards).
      metrics.request(endpoint, res.status < 0 ? 200 : res.status,
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
  http.Post("/v1/models",
            route(Endpoint::Models, [this](const auto& q, auto& r) { post_model(q, r); }));
  http.Post("/v1/models/shadow:promote",
            route(Endpoint::Models, [this](const auto&, auto& r) { promote_shadow(r); }));
  http.Delete("/v1/models/shadow",
              route(Endpoint::Models, [this](const auto&, auto& r) { drop_shadow(r); }));

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
    else if (res.status == 400)
      error_answer(res, 400, "",
                   "the HTTP request could not be read: a malformed request line or header, or "
                   "a POST without a body (send an empty one: Content-Length: 0, curl -d '')");
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

Server::Server(ServeOptions options, PolicyRecord policy, const std::string& source,
               const plugin::PluginRegistry& registry) {
  if (!is_loopback(options.bind) && options.api_key.empty())
    throw ConfigError(fmt::format(
        "serve: --bind {} is reachable from other machines: give --api-key-file (or bind "
        "127.0.0.1 behind a reverse proxy)",
        options.bind));
  if (options.threads < 1 || options.queue < 0)
    throw ConfigError("serve: --threads must be >= 1 and --queue >= 0");
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

int Server::port() const { return impl_->port; }

void Server::run() {
  impl_->http.listen_after_bind();
  // listen returns once stopped and every connection's thread has finished: then the learner
  // stops and the log takes the last decisions and closes.
  if (impl_->learner) impl_->learner->stop();
  impl_->journal.close();
}

void Server::stop() { impl_->http.stop(); }

Server::~Server() = default;

}  // namespace recrl::serve
