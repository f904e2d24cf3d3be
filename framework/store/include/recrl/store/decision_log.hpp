#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "recrl/core/export.hpp"

namespace recrl::store {

// How the rewards of one decision make its reward (docs/serving.md): the first one received
// within the window, or the sum of all received within it.
enum class RewardAggregation { Earliest, Sum };

// What a decision log is about, fixed when it is created: a log holds one policy's traffic
// shape (the same features and actions for every model version it serves) and one reading of
// its rewards.
struct DecisionLogSchema {
  std::vector<std::string> features;
  std::vector<std::string> actions;  // labels, index = action
  std::int64_t reward_window_ms = 600'000;
  double default_reward = 0;
  RewardAggregation aggregation = RewardAggregation::Earliest;
};

// One served decision. `probabilities` is the distribution the action was drawn from (K
// entries, 0 for an excluded action): probabilities[action] is the propensity.
struct LoggedDecision {
  std::string event_id;
  std::int64_t created_ms = 0;  // Unix time, milliseconds
  int model_version = 0;
  int action = 0;
  bool explored = false;
  bool deferred = false;  // awaiting activation: not in the log's joined view until activated
  std::vector<float> context;
  std::vector<float> probabilities;
  // What a model in shadow mode would have chosen (not served): its version (0 for none), its
  // draw and its distribution.
  int shadow_version = 0;
  int shadow_action = -1;
  std::vector<float> shadow_probabilities;
};

struct LoggedReward {
  std::string event_id;
  double value = 0;
  std::string components;  // as received, JSON text ("" for a plain value)
  std::int64_t received_ms = 0;
};

enum class RewardOutcome { Recorded, UnknownEvent, WindowClosed };
enum class ActivationOutcome { Activated, AlreadyActive, UnknownEvent };

// A decision with its reward, as off-policy evaluation and learning read it.
struct JoinedDecision {
  std::int64_t seq = 0;  // order of logging, from 1
  int model_version = 0;
  int action = 0;
  bool rewarded = false;  // false: the default reward
  double reward = 0;
  std::vector<float> context;
  std::vector<float> probabilities;
};

// A model version the log has served decisions of.
struct LoggedModel {
  int version = 0;
  std::string source;  // "file policy.recrl", "learned from 2,048 rewards", ...
  std::int64_t created_ms = 0;
  std::string policy;  // the policy file's bytes, so that any version can be judged again
};

// The interaction log of `recrl serve` (docs/serving.md): a SQLite file in WAL mode with the
// decisions, the rewards received for them and the model versions. One writer (this class);
// any number of readers (read_decision_log, DecisionLogReader). Every append commits before it
// returns: in WAL with synchronous=NORMAL a committed decision survives the process being
// killed; `durable` (synchronous=FULL) also survives a power loss, at a cost per commit.
class RECRL_API DecisionLog {
 public:
  // Past this many frames (1 KiB pages) the WAL is started over even while writes never pause
  // (1 GiB; a write then holds the others for ~10 ms to do it).
  static constexpr std::int64_t kWalRestartFrames = 1 << 20;

  // Creates the log, or opens an existing one whose schema must be `schema` (an error names
  // what differs). Errors are StoreError/InvalidStoreError naming the file.
  static DecisionLog open(const std::filesystem::path& file, const DecisionLogSchema& schema,
                          bool durable = false,
                          std::int64_t wal_restart_frames = kWalRestartFrames);
  DecisionLog(DecisionLog&&) noexcept;
  DecisionLog& operator=(DecisionLog&&) noexcept;
  ~DecisionLog();

  // Appends decisions in one transaction. A decision whose event id is already logged is not
  // logged again: `decisions[i]` becomes the logged one and `is_new[i]` false (a repeated rank
  // request gets the same answer).
  void append(std::span<LoggedDecision> decisions, std::span<char> is_new);
  void add_rewards(std::span<const LoggedReward> rewards, std::span<RewardOutcome> outcomes);
  ActivationOutcome activate(const std::string& event_id, std::int64_t now_ms);
  void add_model(const LoggedModel& model);
  // The highest model version logged, 0 for none.
  int last_model_version();
  // The logged decision of `event_id`, if any.
  std::optional<LoggedDecision> find(const std::string& event_id);
  const DecisionLogSchema& schema() const;
  const std::filesystem::path& path() const;

 private:
  struct Impl;
  explicit DecisionLog(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Reads a decision log with its rewards joined (docs/serving.md), on a connection of its own
// (a server may be writing the log meanwhile).
class RECRL_API DecisionLogReader {
 public:
  explicit DecisionLogReader(const std::filesystem::path& file);
  DecisionLogReader(DecisionLogReader&&) noexcept;
  DecisionLogReader& operator=(DecisionLogReader&&) noexcept;
  ~DecisionLogReader();

  const DecisionLogSchema& schema() const;
  // Calls `visit` for each decision settled at `now_ms`, in logging order: activated, and its
  // window closed or, aggregating the earliest, a reward received. Decisions still waiting for
  // their reward or activation are left out, so that no default reward is shown that a late
  // reward would change. Returns how many.
  std::size_t read_settled(std::int64_t now_ms,
                           const std::function<void(const JoinedDecision&)>& visit);
  // Calls `visit` for each decision whose window closed in (after_ms, until_ms], by model
  // versions from `min_model_version`, in order of closing: what an online learner has not
  // seen yet when it last read up to after_ms.
  std::size_t read_closed(std::int64_t after_ms, std::int64_t until_ms, int min_model_version,
                          const std::function<void(const JoinedDecision&)>& visit);
  std::vector<LoggedModel> models();
  // Counts for a summary: decisions logged, rewards received.
  std::int64_t decision_count();
  std::int64_t reward_count();

 private:
  std::int64_t count(std::string_view sql, const char* what);
  std::size_t read_joined(const std::string& sql, const std::vector<std::int64_t>& binds,
                          const std::function<void(const JoinedDecision&)>& visit);
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// True when `file` begins as a SQLite database does (the first 16 bytes).
RECRL_API bool looks_like_sqlite(const std::filesystem::path& file);

}  // namespace recrl::store
