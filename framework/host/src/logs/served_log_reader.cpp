#include <chrono>

#include <fmt/format.h>

#include "recrl/core/errors.hpp"
#include "recrl/logs/log_reader.hpp"
#include "recrl/store/decision_log.hpp"
#include "recrl/store/store_error.hpp"

namespace recrl::logs {

namespace {

LogData read_settled(const std::filesystem::path& file) {
  store::DecisionLogReader reader(file);
  const store::DecisionLogSchema& schema = reader.schema();
  LogData log;
  log.features = schema.features;
  log.action_labels = schema.actions;
  const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  // Contexts are gathered column by column into a buffer that grows, then shaped once.
  std::vector<float> contexts;
  reader.read_settled(now, [&](const store::JoinedDecision& d) {
    contexts.insert(contexts.end(), d.context.begin(), d.context.end());
    log.action.push_back(d.action);
    log.propensity.push_back(d.probabilities[static_cast<std::size_t>(d.action)]);
    log.reward.push_back(d.reward);
    log.max_action = std::max(log.max_action, d.action);
  });
  if (log.action.empty()) {
    throw DataError({file.string(), 0, 0},
                    fmt::format("a decision log with no settled decision yet ({} logged, {} "
                                "rewards received): a decision counts once activated and its "
                                "reward window ({} s) has closed{}",
                                reader.decision_count(), reader.reward_count(),
                                schema.reward_window_ms / 1000.0,
                                schema.aggregation == store::RewardAggregation::Earliest
                                    ? " or a reward has come"
                                    : ""));
  }
  log.contexts = Eigen::Map<const Eigen::MatrixXf>(
      contexts.data(), static_cast<Eigen::Index>(schema.features.size()),
      static_cast<Eigen::Index>(log.action.size()));
  return log;
}

}  // namespace

LogData read_served_log(const std::filesystem::path& file) {
  try {
    return read_settled(file);
  } catch (const store::InvalidStoreError& e) {
    // A file that is not a decision log is bad input (exit 2), not a fault of the store.
    throw ConfigError::combined({e.what()});
  }
}

}  // namespace recrl::logs
