#include "online_learner.hpp"

#include <sstream>

#include <pthread.h>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "recrl/core/errors.hpp"
#include "recrl/store/decision_log.hpp"

namespace recrl::serve::detail {

namespace {

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A reward is stamped when its request arrives and committed a moment later: decisions whose
// window closed less than this ago are read next time, so that no such reward is missed.
constexpr std::int64_t kGraceMs = 1000;

}  // namespace

OnlineLearner::OnlineLearner(std::filesystem::path db, std::chrono::milliseconds every,
                             const plugin::PluginRegistry& registry, Publish publish)
    : db_(std::move(db)), every_(every), registry_(registry), publish_(std::move(publish)) {}

OnlineLearner::~OnlineLearner() { stop(); }

void OnlineLearner::check_learns(const ServedModel& model, const plugin::PluginRegistry& registry) {
  Recommender probe(model.record(), model.source(), registry);
  const Matrix none(model.spec().observation.size, 0);
  if (!probe.algorithm().learn_from_log({none, {}, {}, {}})) {
    throw ConfigError(fmt::format(
        "serve: --learn needs a policy that learns from logged rewards (eps_greedy, linucb, "
        "lin_ts, squarecb); '{}' does not: serve it without --learn, retrain it and POST it to "
        "/v1/models",
        model.record().algorithm.plugin));
  }
}

void OnlineLearner::follow(const ServedModel& model) {
  std::lock_guard lock(mutex_);
  policy_ = std::make_unique<Recommender>(model.record(), model.source(), registry_);
  record_ = model.record();
  base_source_ = model.source();
  base_version_ = model.version();
  learned_ = 0;
  if (!thread_.joinable()) {
    read_until_ = now_ms() - kGraceMs;
    thread_ = std::thread([this] { run(); });
  }
}

void OnlineLearner::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void OnlineLearner::run() {
  ::pthread_setname_np(::pthread_self(), "recrl-learner");
  std::unique_lock lock(mutex_);
  while (!wake_.wait_for(lock, every_, [&] { return stopping_; })) {
    try {
      learn_once(now_ms() - kGraceMs);
    } catch (const std::exception& e) {
      // The server keeps serving the last version; the next round tries again.
      spdlog::error("serve: online learning failed: {}", e.what());
    }
  }
}

void OnlineLearner::learn_once(std::int64_t until_ms) {
  Recommender& policy = *policy_;
  const auto d = static_cast<Eigen::Index>(policy.spec().observation.size);
  std::vector<float> contexts;
  std::vector<int> actions;
  std::vector<double> rewards;
  store::DecisionLogReader reader(db_);
  reader.read_closed(read_until_, until_ms, base_version_, [&](const store::JoinedDecision& j) {
    contexts.insert(contexts.end(), j.context.begin(), j.context.end());
    actions.push_back(j.action);
    rewards.push_back(j.reward);
  });
  read_until_ = until_ms;
  if (actions.empty()) return;
  const auto n = static_cast<Eigen::Index>(actions.size());
  const Matrix raw = Eigen::Map<const Matrix>(contexts.data(), d, n);
  Matrix seen;
  policy.algorithm_view(raw, seen);
  // Each decision once, as the bandit counts its own online.
  const std::vector<double> weights(actions.size(), 1.0);
  policy.algorithm().learn_from_log({seen, actions, rewards, weights});
  learned_ += n;
  std::ostringstream state;
  policy.algorithm().save(state);
  PolicyRecord next = record_;
  next.algorithm_state = state.str();
  next.env_steps += learned_;
  publish_(std::move(next),
           fmt::format("{} + learned from {} rewards online", base_source_, learned_));
}

}  // namespace recrl::serve::detail
