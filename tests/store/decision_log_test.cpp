// The decision log of recrl serve: idempotent appends, rewards joined by window and
// aggregation, deferred activation, and the log read back as an interaction log.
#include <filesystem>
#include <fstream>
#include <thread>

#include <catch2/catch.hpp>

#include "cli.hpp"
#include "recrl/core/errors.hpp"
#include "recrl/logs/log_reader.hpp"
#include "recrl/store/decision_log.hpp"
#include "recrl/store/store_error.hpp"

namespace {

namespace store = recrl::store;

store::DecisionLogSchema schema(store::RewardAggregation aggregation) {
  store::DecisionLogSchema s;
  s.features = {"f", "g"};
  s.actions = {"[a]", "[b]"};
  s.reward_window_ms = 1000;
  s.default_reward = -1;
  s.aggregation = aggregation;
  return s;
}

store::LoggedDecision decision(const std::string& id, std::int64_t at, int action,
                               bool deferred = false) {
  store::LoggedDecision d;
  d.event_id = id;
  d.created_ms = at;
  d.model_version = 1;
  d.action = action;
  d.deferred = deferred;
  d.context = {0.5f, 2.0f};
  d.probabilities = {0.25f, 0.75f};
  return d;
}

void append(store::DecisionLog& log, std::vector<store::LoggedDecision> ds,
            std::vector<char>* is_new = nullptr) {
  std::vector<char> flags(ds.size());
  log.append(ds, flags);
  if (is_new != nullptr) *is_new = flags;
}

store::RewardOutcome reward(store::DecisionLog& log, const std::string& id, double value,
                            std::int64_t at) {
  const std::vector<store::LoggedReward> rewards = {{id, value, "", at}};
  std::vector<store::RewardOutcome> out(1);
  log.add_rewards(rewards, out);
  return out[0];
}

std::vector<store::JoinedDecision> settled(const std::filesystem::path& file, std::int64_t now) {
  std::vector<store::JoinedDecision> out;
  store::DecisionLogReader(file).read_settled(
      now, [&](const store::JoinedDecision& d) { out.push_back(d); });
  return out;
}

}  // namespace

TEST_CASE("a decision logged twice keeps the first", "[store][serve]") {
  const auto dir = recrl::test::scratch_dir("decision_log_idempotent");
  auto log = store::DecisionLog::open(dir / "serve.db", schema(store::RewardAggregation::Sum));
  std::vector<char> is_new;
  append(log, {decision("e1", 1000, 0)}, &is_new);
  CHECK(is_new == std::vector<char>{1});
  // The same id again, in a batch with a new one and with itself: the first stays.
  std::vector<store::LoggedDecision> again = {decision("e1", 5000, 1), decision("e2", 5000, 1),
                                              decision("e2", 6000, 0)};
  std::vector<char> flags(3);
  log.append(again, flags);
  CHECK(flags == std::vector<char>{0, 1, 0});
  CHECK(again[0].action == 0);
  CHECK(again[0].created_ms == 1000);
  CHECK(again[2].action == 1);
  CHECK(log.find("e2")->created_ms == 5000);
  CHECK_FALSE(log.find("e3"));
}

TEST_CASE("rewards count within the window, earliest or summed, else the default",
          "[store][serve]") {
  for (const auto aggregation :
       {store::RewardAggregation::Earliest, store::RewardAggregation::Sum}) {
    const bool earliest = aggregation == store::RewardAggregation::Earliest;
    const auto dir = recrl::test::scratch_dir("decision_log_rewards");
    const auto file = dir / "serve.db";
    auto log = store::DecisionLog::open(file, schema(aggregation));
    append(log, {decision("a", 1000, 0), decision("b", 1000, 1), decision("c", 1500, 1)});
    CHECK(reward(log, "a", 1, 1100) == store::RewardOutcome::Recorded);
    CHECK(reward(log, "a", 2, 1900) == store::RewardOutcome::Recorded);
    CHECK(reward(log, "a", 4, 2001) == store::RewardOutcome::WindowClosed);
    CHECK(reward(log, "zz", 1, 1100) == store::RewardOutcome::UnknownEvent);
    // Before the window closes only 'a' can be settled, and only by its earliest reward.
    auto early = settled(file, 1950);
    CHECK(early.size() == (earliest ? 1u : 0u));
    // At 2000 'a' and 'b' are settled ('c' waits until 2500).
    auto joined = settled(file, 2000);
    REQUIRE(joined.size() == 2);
    CHECK(joined[0].reward == (earliest ? 1.0 : 3.0));
    CHECK(joined[0].rewarded);
    CHECK(joined[1].reward == -1.0);  // the default
    CHECK_FALSE(joined[1].rewarded);
    CHECK(joined[1].probabilities == std::vector<float>{0.25f, 0.75f});
    CHECK(joined[1].context == std::vector<float>{0.5f, 2.0f});
    CHECK(settled(file, 2500).size() == 3);
  }
}

TEST_CASE("a deferred decision joins the log once activated", "[store][serve]") {
  const auto dir = recrl::test::scratch_dir("decision_log_deferred");
  const auto file = dir / "serve.db";
  auto log = store::DecisionLog::open(file, schema(store::RewardAggregation::Sum));
  append(log, {decision("d", 1000, 1, true)});
  CHECK(settled(file, 100'000).empty());
  CHECK(log.activate("d", 5000) == store::ActivationOutcome::Activated);
  CHECK(log.activate("d", 6000) == store::ActivationOutcome::AlreadyActive);
  CHECK(log.activate("x", 6000) == store::ActivationOutcome::UnknownEvent);
  // The window runs from the activation.
  CHECK(reward(log, "d", 3, 5900) == store::RewardOutcome::Recorded);
  CHECK(settled(file, 5999).empty());
  const auto joined = settled(file, 6000);
  REQUIRE(joined.size() == 1);
  CHECK(joined[0].reward == 3.0);
}

TEST_CASE("a decision log is read as an interaction log", "[store][serve]") {
  const auto dir = recrl::test::scratch_dir("decision_log_read");
  const auto file = dir / "serve.db";
  {
    auto log = store::DecisionLog::open(file, schema(store::RewardAggregation::Earliest));
    append(log, {decision("a", 1000, 0), decision("b", 1000, 1)});
    reward(log, "b", 0.5, 1200);
  }
  const auto data = recrl::logs::read_log(file, recrl::logs::LogFormat::Recrl);
  REQUIRE(data.rows() == 2);
  CHECK(data.features == std::vector<std::string>{"f", "g"});
  CHECK(data.action_labels == std::vector<std::string>{"[a]", "[b]"});
  CHECK(data.action == std::vector<int>{0, 1});
  CHECK(data.propensity[0] == Approx(0.25));
  CHECK(data.propensity[1] == Approx(0.75));
  CHECK(data.reward == std::vector<double>{-1.0, 0.5});
  CHECK(data.contexts(1, 0) == 2.0f);
}

TEST_CASE("a decision log refuses another policy's shape and foreign files", "[store][serve]") {
  const auto dir = recrl::test::scratch_dir("decision_log_refusals");
  const auto file = dir / "serve.db";
  { store::DecisionLog::open(file, schema(store::RewardAggregation::Sum)); }
  auto other = schema(store::RewardAggregation::Sum);
  other.features = {"f", "h"};
  CHECK_THROWS_WITH(store::DecisionLog::open(file, other), Catch::Contains("serve.db") &&
                                                               Catch::Contains("[f, g]") &&
                                                               Catch::Contains("another --db"));
  other = schema(store::RewardAggregation::Earliest);
  CHECK_THROWS_AS(store::DecisionLog::open(file, other), store::InvalidStoreError);
  // A file that is not SQLite is neither read nor replaced.
  std::ofstream(dir / "notes.txt") << "my notes\n";
  CHECK_THROWS_WITH(
      store::DecisionLog::open(dir / "notes.txt", schema(store::RewardAggregation::Sum)),
      Catch::Contains("not a SQLite database"));
  std::ifstream in(dir / "notes.txt");
  std::string line;
  std::getline(in, line);
  CHECK(line == "my notes");
  // An empty log (nothing settled yet) says so when read for evaluation.
  CHECK_THROWS_WITH(recrl::logs::read_log(file, recrl::logs::LogFormat::Recrl),
                    Catch::Contains("no settled decision"));
}

// The checkpoint sequence number in a WAL's header (big-endian, bytes 12-15): one more each
// time the WAL starts over.
std::uint32_t wal_restarts(const std::filesystem::path& wal) {
  unsigned char header[16] = {};
  std::ifstream(wal, std::ios::binary).read(reinterpret_cast<char*>(header), sizeof header);
  return std::uint32_t{header[12]} << 24 | std::uint32_t{header[13]} << 16 |
         std::uint32_t{header[14]} << 8 | std::uint32_t{header[15]};
}

TEST_CASE("the log's checkpointer copies the WAL into the database as it goes", "[store][serve]") {
  const auto dir = recrl::test::scratch_dir("decision_log_checkpoints");
  const auto file = dir / "serve.db";
  auto log = store::DecisionLog::open(file, schema(store::RewardAggregation::Sum), false);
  const auto empty = std::filesystem::file_size(file);
  std::vector<char> flag(1);
  for (int i = 0; i < 2000; ++i) {
    std::vector<store::LoggedDecision> one = {decision("e" + std::to_string(i), 1000, i % 2)};
    log.append(one, flag);
  }
  // Far below the size at which a write copies the WAL itself: only the checkpointer's passes,
  // on a connection of their own, grow the database file (by ~80 bytes a decision).
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::filesystem::file_size(file) < empty + 2000 * 50 &&
         std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  CHECK(std::filesystem::file_size(file) >= empty + 2000 * 50);
  CHECK(settled(file, 1'000'000).size() == 2000);
}

TEST_CASE("under writes that never pause the WAL still starts over", "[store][serve]") {
  const auto dir = recrl::test::scratch_dir("decision_log_wal_restart");
  const auto file = dir / "serve.db";
  const auto wal = dir / "serve.db-wal";
  std::size_t logged = 0;
  {
    // Past 200 frames the checkpointer (every 0.1 s) catches up and starts the WAL over.
    auto log = store::DecisionLog::open(file, schema(store::RewardAggregation::Sum), false, 200);
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    std::vector<char> flag(1);
    while (wal_restarts(wal) < 2 && std::chrono::steady_clock::now() < until) {
      for (int i = 0; i < 100; ++i, ++logged) {
        std::vector<store::LoggedDecision> one = {
            decision("e" + std::to_string(logged), 1000, static_cast<int>(logged % 2))};
        log.append(one, flag);
      }
    }
    CHECK(wal_restarts(wal) >= 2);
  }
  // Nothing written before a restart is lost.
  CHECK(settled(file, 1'000'000).size() == logged);
}
