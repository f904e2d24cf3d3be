#pragma once

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

#include "recrl/serve/served_model.hpp"

namespace recrl::serve::detail {

// `recrl serve --learn` (docs/serving.md): a bandit learning from the rewards of the decisions
// served, on a thread of its own. Every `every` it reads the decisions whose reward window has
// closed since its last read, updates its own instance of the model with them (each counted
// once, as the bandit would online) and hands the result to `publish` as a new model version;
// requests keep being served by the version before until it is swapped in.
class OnlineLearner {
 public:
  // Given the learned policy and a description of it; makes it the next version.
  using Publish = std::function<void(PolicyRecord, std::string source)>;
  OnlineLearner(std::filesystem::path db, std::chrono::milliseconds every,
                const plugin::PluginRegistry& registry, Publish publish);
  ~OnlineLearner();  // stop()

  // Throws ConfigError when the model's algorithm cannot learn from logged rewards.
  static void check_learns(const ServedModel& model, const plugin::PluginRegistry& registry);
  // Learns on from `model` (the first, or one swapped in), from decisions of versions >= its
  // own; starts the thread on the first call. Not from within `publish`.
  void follow(const ServedModel& model);
  void stop();

 private:
  void run();
  void learn_once(std::int64_t until_ms);

  std::filesystem::path db_;
  std::chrono::milliseconds every_;
  const plugin::PluginRegistry& registry_;
  Publish publish_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::unique_ptr<Recommender> policy_;  // the learner's own instance
  PolicyRecord record_;                  // what it was made from
  std::string base_source_;
  int base_version_ = 0;
  std::int64_t learned_ = 0;     // rewards learned since the base
  std::int64_t read_until_ = 0;  // deadlines up to this were read
  std::thread thread_;
};

}  // namespace recrl::serve::detail
