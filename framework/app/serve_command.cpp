// recrl serve
#include <csignal>
#include <fstream>
#include <iostream>
#include <thread>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "commands.hpp"
#include "options.hpp"
#include "recrl/core/errors.hpp"
#include "recrl/serve/server.hpp"
#include "recrl/store/store_error.hpp"
#include "recrl/util/number_text.hpp"
#include "recrl/util/read_file.hpp"

namespace recrl::app {

namespace {

constexpr double kMaxRewardWindowSeconds = 365 * 86400.0;
constexpr double kMaxTimeoutSeconds = 3600;
constexpr double kMaxLearnEverySeconds = 86400;
constexpr std::size_t kMaxBodyLimit = 16 * 1024 * 1024;

// The key is the file's first line, without surrounding blanks; at least 16 characters.
std::string read_api_key(const std::string& file) {
  std::string text = util::read_file(file, "the API key file", 4096);
  const auto end = text.find_first_of("\r\n");
  if (end != std::string::npos) text.resize(end);
  const auto b = text.find_first_not_of(" \t");
  const auto e = text.find_last_not_of(" \t");
  text = b == std::string::npos ? "" : text.substr(b, e - b + 1);
  if (text.size() < 16)
    throw DataError({file, 1, 1}, "an API key must be at least 16 characters on the first line");
  return text;
}

// --reward-weight NAME=WEIGHT, repeated.
void read_weights(const std::vector<std::string>& items, serve::ServeOptions& o) {
  o.components.clear();
  o.weights.clear();
  for (const std::string& item : items) {
    const auto eq = item.find('=');
    const auto weight =
        eq == std::string::npos ? std::nullopt : util::parse_finite_number(item.substr(eq + 1));
    if (eq == 0 || !weight)
      throw ConfigError(
          fmt::format("serve: --reward-weight expects NAME=WEIGHT (click=1), got '{}'", item));
    o.components.push_back(item.substr(0, eq));
    o.weights.push_back(*weight);
  }
}

store::RewardAggregation aggregation_option(const std::string& value) {
  if (value == "earliest") return store::RewardAggregation::Earliest;
  if (value == "sum") return store::RewardAggregation::Sum;
  throw ConfigError("serve: --reward-aggregation must be earliest or sum, got '" + value + "'");
}

}  // namespace

int serve_command(const std::vector<std::string>& args) {
  CommonOptions common;
  serve::ServeOptions o;
  std::string policy, db = o.db.string(), key_file, aggregation = "earliest";
  std::vector<std::string> weights;
  double window_seconds = 600, timeout_seconds = 5, learn_seconds = 1;
  std::string promote = "always", promote_estimator = "dr";
  o.exploration.floor = 0.05;
  po::options_description options("options");
  options.add_options()("policy", po::value(&policy), "the policy file to serve")(
      "bind", po::value(&o.bind), "the address to listen on (default 127.0.0.1)")(
      "port", po::value(&o.port), "the port (default 8080; 0 picks a free one)")(
      "db", po::value(&db), "the decision log, SQLite (default serve.db; created if absent)")(
      "api-key-file", po::value(&key_file),
      "a file whose first line is the API key clients send as 'Authorization: Bearer KEY' "
      "(required to bind other than loopback)")("threads", po::value(&o.threads),
                                                "threads answering requests, each serving every "
                                                "connection (default: one per core)")(
      "queue", po::value(&o.queue),
      "connections open at once beyond --threads; one more is answered 503 (default 256)")(
      "body-limit", po::value(&o.body_limit),
      "largest request body in bytes (default 65536; /v1/rank:batch takes 64 times that)")(
      "timeout", po::value(&timeout_seconds),
      "seconds to read a request or write an answer, and to keep an idle connection (default 5)")(
      "exploration-floor", po::value(&o.exploration.floor),
      "share of each decision drawn uniformly over the allowed actions, in [0, 1] (default "
      "0.05)")("seed", po::value(&o.exploration.seed),
               "seeds the draws: the same event id and seed draw the same action (default 0)")(
      "reward-window", po::value(&window_seconds),
      "seconds after activation a reward counts (default 600)")(
      "default-reward", po::value(&o.default_reward),
      "the reward of a decision none came for (default 0)")(
      "reward-aggregation", po::value(&aggregation),
      "earliest (the first reward counts) or sum (all within the window)")(
      "reward-weight", po::value(&weights)->composing(),
      "NAME=WEIGHT: a reward component clients may send, and its weight (repeat; default the "
      "policy's reward components, weight 1)")(
      "explain-background", po::value(&o.explain.background_file),
      "a CSV of customers explanations are measured against (default: drawn from the "
      "policy's simulator; required to explain a policy fitted from a log)")(
      "explain-prototypes", po::value(&o.explain.prototypes),
      "how many customers stand for that background (k-means medoids; default 8)")(
      "learn", po::bool_switch(&o.learn),
      "a bandit policy learns from the rewards of its decisions as they come, publishing a new "
      "version every --learn-every seconds")("learn-every", po::value(&learn_seconds),
                                             "seconds between online updates (default 1)")(
      "promote", po::value(&promote),
      "how a candidate (POST /v1/models, SIGHUP) takes over: always (default) or ope (only "
      "when the lower bound of its off-policy estimate on the log is not below the live "
      "model's estimate)")("promote-estimator", po::value(&promote_estimator),
                           "the estimator --promote ope judges by: dr (default) or snipw")(
      "durable", po::bool_switch(&o.durable),
      "sync the log to disk at every commit: decisions also survive a power loss (slower)");
  common.add_plugin_path(options);
  common.add_verbosity(options);
  po::variables_map vm;
  if (!parse(args,
             "usage: recrl serve --policy FILE [--bind 127.0.0.1] [--port 8080] [--db serve.db] "
             "[--api-key-file FILE] [--threads N] [options]",
             options, {}, vm)) {
    return 0;
  }
  if (policy.empty()) throw ConfigError("serve: --policy FILE is required");
  if (!(o.exploration.floor >= 0 && o.exploration.floor <= 1))
    throw ConfigError("serve: --exploration-floor must be in [0, 1]");
  // Bounded so that their milliseconds fit a 64-bit count: a year, an hour, a day.
  const auto in_range = [](double seconds, double most) { return seconds > 0 && seconds <= most; };
  if (!in_range(window_seconds, kMaxRewardWindowSeconds))
    throw ConfigError(fmt::format("serve: --reward-window must be a number of seconds in (0, {}] "
                                  "(a year), got {}",
                                  kMaxRewardWindowSeconds, window_seconds));
  if (!in_range(timeout_seconds, kMaxTimeoutSeconds))
    throw ConfigError(fmt::format(
        "serve: --timeout must be a number of seconds in (0, {}], got {}", kMaxTimeoutSeconds,
        timeout_seconds));
  // A batch may be 64 times the limit, read whole into memory: 16 MiB makes it 1 GiB at most.
  // (A negative number comes here as a huge one: program_options wraps it.)
  if (o.body_limit < 256 || o.body_limit > kMaxBodyLimit)
    throw ConfigError(fmt::format("serve: --body-limit must be 256 to {} bytes", kMaxBodyLimit));
  o.db = db;
  o.reward_window_ms = static_cast<std::int64_t>(window_seconds * 1000);
  o.timeout = std::chrono::seconds(std::max<std::int64_t>(1, std::llround(timeout_seconds)));
  o.aggregation = aggregation_option(aggregation);
  if (!in_range(learn_seconds, kMaxLearnEverySeconds))
    throw ConfigError(fmt::format(
        "serve: --learn-every must be a number of seconds in (0, {}] (a day), got {}",
        kMaxLearnEverySeconds, learn_seconds));
  o.learn_every = std::chrono::milliseconds(std::llround(learn_seconds * 1000));
  if (promote != "always" && promote != "ope")
    throw ConfigError("serve: --promote must be always or ope, got '" + promote + "'");
  o.promote = promote == "ope" ? serve::ServeOptions::Promotion::Ope
                               : serve::ServeOptions::Promotion::Always;
  if (promote_estimator != "dr" && promote_estimator != "snipw")
    throw ConfigError("serve: --promote-estimator must be dr or snipw, got '" + promote_estimator +
                      "'");
  o.promote_estimator = *stats::parse_estimator(promote_estimator);
  if (!key_file.empty()) o.api_key = read_api_key(key_file);

  plugin::PluginRegistry registry;
  common.load_plugins_quietly(registry);
  if (o.explain.prototypes < 1 || o.explain.prototypes > 256)
    throw ConfigError("serve: --explain-prototypes must be in [1, 256]");
  PolicyRecord record = read_policy_file(policy);
  if (!weights.empty()) {
    read_weights(weights, o);
  } else {
    Recommender probe(record, policy, registry);
    if (probe.has_simulator()) {
      o.components = probe.reward().components();
      o.weights.assign(o.components.size(), 1.0);
    }
  }

  // SIGINT/SIGTERM/SIGHUP are taken by a thread of their own (blocked everywhere else before
  // any thread starts): SIGHUP reads --policy again as a candidate, the others stop the server,
  // which drains and closes the log.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::unique_ptr<serve::Server> started;
  try {
    started = std::make_unique<serve::Server>(o, std::move(record), "file " + policy, registry);
  } catch (const store::InvalidStoreError& e) {
    throw ConfigError::combined({e.what()});  // bad input: exit 2
  }
  serve::Server& server = *started;
  std::cout << fmt::format("recrl serve: {} on http://{}:{} (decision log {})\n", policy, o.bind,
                           server.port(), o.db.string())
            << std::flush;
  std::thread watcher([&] {
    for (;;) {
      int signal = 0;
      sigwait(&signals, &signal);
      if (signal != SIGHUP) break;
      try {
        spdlog::info("SIGHUP: {}: {}", policy, server.reload(policy));
      } catch (const Error& e) {
        spdlog::error("SIGHUP: {} was not loaded: {}", policy, e.what());
      }
    }
    spdlog::info("finishing the requests in flight and closing the log");
    server.stop();
  });
  server.run();
  // Stopped other than by a signal: wake the watcher so that it ends.
  pthread_kill(watcher.native_handle(), SIGTERM);
  watcher.join();
  std::cout << "recrl serve: stopped; the decision log is complete\n";
  return 0;
}

}  // namespace recrl::app
