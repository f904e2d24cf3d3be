#include "recrl/store/decision_log.hpp"

#include <algorithm>
#include <atomic>
#include <charconv>
#include <condition_variable>
#include <fstream>
#include <mutex>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <pthread.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <sqlite3.h>

#include "recrl/store/store_error.hpp"
#include "paced_vfs.hpp"
#include "sqlite_connection.hpp"

namespace recrl::store {

namespace {

using detail::Connection;
using detail::SqliteFailure;

constexpr const char* kFormat = "recrl decision log";
constexpr int kFormatVersion = 1;
constexpr std::chrono::milliseconds kBusyTimeout{5000};
// Small pages: each commit rewrites the last page of the table and of the event id index whole,
// and a commit carries a few decisions of ~250 bytes. 1 KiB pages write a quarter of what
// SQLite's 4 KiB default would (bench/README.md).
constexpr std::int64_t kPageSize = 1024;
// Checkpoints a tenth of a second's writes at a time: on a virtual machine, a second's copies and
// disk writes at once held the requests up for milliseconds (bench/README.md).
constexpr std::chrono::milliseconds kCheckpointPeriod{100};

constexpr const char* kSchemaSql = R"sql(
CREATE TABLE log_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE log_features (position INTEGER PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE log_actions (action INTEGER PRIMARY KEY, label TEXT NOT NULL);
CREATE TABLE models (
  version INTEGER PRIMARY KEY,
  source TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  policy BLOB NOT NULL);
CREATE TABLE decisions (
  seq INTEGER PRIMARY KEY,
  event_id TEXT NOT NULL UNIQUE,
  created_ms INTEGER NOT NULL,
  model_version INTEGER NOT NULL,
  action INTEGER NOT NULL,
  propensity REAL NOT NULL,
  explored INTEGER NOT NULL,
  activated_ms INTEGER,
  deadline_ms INTEGER,
  context TEXT NOT NULL,
  probabilities TEXT NOT NULL);
CREATE TABLE rewards (
  id INTEGER PRIMARY KEY,
  seq INTEGER NOT NULL REFERENCES decisions(seq),
  value REAL NOT NULL,
  components TEXT NOT NULL,
  received_ms INTEGER NOT NULL);
CREATE TABLE shadow_decisions (
  seq INTEGER PRIMARY KEY REFERENCES decisions(seq),
  model_version INTEGER NOT NULL,
  action INTEGER NOT NULL,
  probabilities TEXT NOT NULL);
CREATE INDEX rewards_by_decision ON rewards(seq, id);
CREATE INDEX decisions_by_deadline ON decisions(deadline_ms);
)sql";

const char* aggregation_name(RewardAggregation a) {
  return a == RewardAggregation::Earliest ? "earliest" : "sum";
}

// Floats as a JSON array, each as its shortest round-tripping text: readable with sqlite3's
// json_extract, exact when read back.
void encode_floats(std::span<const float> values, std::string& out) {
  out.clear();
  out += '[';
  char buffer[32];
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out += ',';
    const auto r = std::to_chars(buffer, buffer + sizeof buffer, values[i]);
    out.append(buffer, r.ptr);
  }
  out += ']';
}

// The inverse of encode_floats; false when `text` is not an array of `n` numbers.
bool decode_floats(std::string_view text, std::size_t n, std::vector<float>& out) {
  out.resize(n);
  if (text.size() < 2 || text.front() != '[' || text.back() != ']') return false;
  const char* p = text.data() + 1;
  const char* end = text.data() + text.size() - 1;
  for (std::size_t i = 0; i < n; ++i) {
    if (i > 0) {
      if (p == end || *p != ',') return false;
      ++p;
    }
    const auto r = std::from_chars(p, end, out[i]);
    if (r.ec != std::errc()) return false;
    p = r.ptr;
  }
  return p == end;
}

[[noreturn]] void fail(const std::filesystem::path& file, std::string_view what,
                       const SqliteFailure& failure) {
  const std::string message = fmt::format("error: {}: could not {}: {}", file.string(), what,
                                          detail::describe_sqlite_failure(failure, kBusyTimeout));
  if (detail::means_not_a_store(failure)) throw InvalidStoreError(message);
  throw StoreError(message);
}

// A transaction that rolls back unless committed. BEGIN and COMMIT are prepared once: served
// requests commit thousands of times a second.
class Transaction {
 public:
  explicit Transaction(Connection& db) : db_(db) { db_.query("BEGIN IMMEDIATE")->run(); }
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  ~Transaction() {
    if (open_) {
      try {
        db_.exec("ROLLBACK");
      } catch (const SqliteFailure&) {  // SQLite may have rolled back by itself
      }
    }
  }
  void commit() {
    db_.query("COMMIT")->run();
    open_ = false;
  }

 private:
  Connection& db_;
  bool open_ = true;
};

bool has_log_tables(Connection& db) {
  auto q =
      db.query("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'log_meta'");
  q->step();
  return q->int64(0) > 0;
}

std::string meta(Connection& db, const std::filesystem::path& file, const char* key) {
  auto q = db.query("SELECT value FROM log_meta WHERE key = ?1");
  q->bind(1, key);
  if (!q->step())
    throw InvalidStoreError(fmt::format("error: {}: not a recrl decision log (no '{}' in log_meta)",
                                        file.string(), key));
  return q->text(0);
}

std::vector<std::string> names(Connection& db, std::string_view sql) {
  std::vector<std::string> out;
  auto q = db.query(sql);
  while (q->step()) out.push_back(q->text(0));
  return out;
}

// Reads the schema a log was created with; InvalidStoreError for a file that is not a log.
DecisionLogSchema read_schema(Connection& db, const std::filesystem::path& file) {
  if (!has_log_tables(db))
    throw InvalidStoreError(fmt::format(
        "error: {}: a SQLite database, but not a recrl decision log (no log_meta table)",
        file.string()));
  if (meta(db, file, "format") != kFormat)
    throw InvalidStoreError(fmt::format("error: {}: not a recrl decision log", file.string()));
  const std::string version = meta(db, file, "format_version");
  if (version != std::to_string(kFormatVersion))
    throw InvalidStoreError(
        fmt::format("error: {}: a decision log of format version {}; this recrl reads version {}",
                    file.string(), version, kFormatVersion));
  DecisionLogSchema schema;
  schema.features = names(db, "SELECT name FROM log_features ORDER BY position");
  schema.actions = names(db, "SELECT label FROM log_actions ORDER BY action");
  schema.reward_window_ms = std::stoll(meta(db, file, "reward_window_ms"));
  schema.default_reward = std::stod(meta(db, file, "default_reward"));
  schema.aggregation = meta(db, file, "reward_aggregation") == "sum" ? RewardAggregation::Sum
                                                                     : RewardAggregation::Earliest;
  return schema;
}

void write_schema(Connection& db, const DecisionLogSchema& schema) {
  db.exec(kSchemaSql);
  const auto put = [&](const char* key, const std::string& value) {
    db.query("INSERT INTO log_meta (key, value) VALUES (?1, ?2)")->bind_all(key, value).run();
  };
  put("format", kFormat);
  put("format_version", std::to_string(kFormatVersion));
  put("reward_window_ms", std::to_string(schema.reward_window_ms));
  put("default_reward", fmt::format("{}", schema.default_reward));
  put("reward_aggregation", aggregation_name(schema.aggregation));
  for (std::size_t i = 0; i < schema.features.size(); ++i)
    db.query("INSERT INTO log_features (position, name) VALUES (?1, ?2)")
        ->bind_all(static_cast<std::int64_t>(i), schema.features[i])
        .run();
  for (std::size_t i = 0; i < schema.actions.size(); ++i)
    db.query("INSERT INTO log_actions (action, label) VALUES (?1, ?2)")
        ->bind_all(static_cast<std::int64_t>(i), schema.actions[i])
        .run();
}

// What differs between the schema a log was created with and the one asked for, "" if nothing.
std::string schema_difference(const DecisionLogSchema& logged, const DecisionLogSchema& asked) {
  if (logged.features != asked.features)
    return fmt::format("it logs the features [{}], the policy has [{}]",
                       fmt::join(logged.features, ", "), fmt::join(asked.features, ", "));
  if (logged.actions != asked.actions)
    return fmt::format("it logs {} actions ({} ...), the policy has {}", logged.actions.size(),
                       logged.actions.empty() ? "" : logged.actions.front(), asked.actions.size());
  if (logged.reward_window_ms != asked.reward_window_ms)
    return fmt::format("its reward window is {} ms, {} ms was asked for", logged.reward_window_ms,
                       asked.reward_window_ms);
  if (logged.default_reward != asked.default_reward)
    return fmt::format("its default reward is {}, {} was asked for", logged.default_reward,
                       asked.default_reward);
  if (logged.aggregation != asked.aggregation)
    return fmt::format("it aggregates rewards by '{}', '{}' was asked for",
                       aggregation_name(logged.aggregation), aggregation_name(asked.aggregation));
  return "";
}

Connection::Mode reading_mode(const std::filesystem::path& file) {
  const std::filesystem::path folder = file.has_parent_path() ? file.parent_path() : ".";
  return ::access(folder.c_str(), W_OK) == 0 ? Connection::Mode::read_only
                                             : Connection::Mode::read_only_immutable;
}

}  // namespace

bool looks_like_sqlite(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  char header[16] = {};
  in.read(header, sizeof header);
  return in.gcount() == sizeof header &&
         std::string_view(header, 16) == std::string_view("SQLite format 3\0", 16);
}

namespace {

// Where a WAL of `frames` frames ends: its header, then each frame's header and page.
std::int64_t wal_bytes(std::int64_t frames) {
  constexpr std::int64_t kWalHeader = 32, kFrameHeader = 24;
  return kWalHeader + frames * (kPageSize + kFrameHeader);
}

// Keeps the stretch of a WAL that its writer overwrites next in the page cache. Once the WAL
// starts over inside a longer file, its writer writes over the file from the start; a frame (a
// page and a 24-byte header) never fills whole pages of the file, so a frame written over a
// page the cache has let go reads that page from the disk first, inside a commit: 10-50 ms on a
// virtual disk whose host reclaims pages nobody read for a while (bench/README.md). Read here,
// ahead of the writer, the pages are there. (posix_fadvise's WILLNEED did not keep them.)
class WalReadAhead {
 public:
  explicit WalReadAhead(std::string wal) : wal_(std::move(wal)), chunk_(kChunk) {}

  // `frames`: the frames in the WAL now; its writer writes the next one.
  void operator()(std::int64_t frames) {
    const std::int64_t next = wal_bytes(frames);
    if (next < writer_at_) read_up_to_ = 0;  // started over
    writer_at_ = next;
    const int fd = ::open(wal_.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return;
    struct stat info {};
    if (::fstat(fd, &info) == 0) {
      const std::int64_t end = std::min<std::int64_t>(next + kAhead, info.st_size);
      for (std::int64_t at = std::max(next, read_up_to_); at < end; at += kChunk) {
        pace();
        if (::pread(fd, chunk_.data(), chunk_.size(), at) <= 0) break;
      }
      read_up_to_ = std::max(read_up_to_, end);
    }
    ::close(fd);
  }

 private:
  static constexpr std::int64_t kChunk = 1 << 20;
  static constexpr std::int64_t kAhead = 96 << 20;  // two seconds of the writer at its fastest
  std::string wal_;
  std::vector<char> chunk_;
  std::int64_t writer_at_ = 0, read_up_to_ = 0;
};

}  // namespace

struct DecisionLog::Impl {
  Impl(std::filesystem::path file, const DecisionLogSchema& s)
      : path(std::move(file)),
        db(path, Connection::Mode::read_write_create, kBusyTimeout),
        schema(s) {}
  ~Impl() {
    {
      std::lock_guard lock(checkpoint_mutex);
      stopping = true;
    }
    checkpoint_wake.notify_one();
    if (checkpointer.joinable()) checkpointer.join();
  }

  // Copies the WAL's pages into the database file every kCheckpointPeriod, on a connection of
  // its own, so that no append waits for it (SQLite's automatic checkpoint runs inside a commit,
  // holding up every request waiting on that commit). The connection paces its reads and writes,
  // and the frames and pages that each sync will make durable are written out beforehand in
  // paced chunks (paced_vfs.hpp), so that neither the copies nor the disk hold up the requests.
  // The WAL starts over once a checkpoint has caught up with the writes, which traffic with any
  // lull allows. Under writes that never pause it would grow without end, so past
  // `restart_frames` the checkpointer catches up itself: it flushes the database file, copies
  // what came meanwhile in shorter and shorter passes, and leaves the last few frames and their
  // syncs to the next write, which copies them before its own (~10 ms; bench/README.md). The
  // thread runs at the lowest CPU priority (nice 19): its copies can wait and the writes it
  // would delay cannot; the pass that holds them runs on the writes' thread.
  void start_checkpoints(std::int64_t restart_frames) {
    db.exec("PRAGMA wal_autocheckpoint = 0");
    // The valve for a machine too busy to give the checkpointer its turn: past twice the size,
    // the next write copies the WAL itself rather than let it grow on.
    force_restart_frames = 2 * restart_frames;
    sqlite3_wal_hook(db.handle(), &Impl::after_commit, this);
    constexpr std::int64_t kHeldFrames = 2000;  // a pass copying fewer: catch up now
    constexpr int kCatchUpPasses = 8;
    checkpointer = std::thread([this, restart_frames] {
      ::pthread_setname_np(::pthread_self(), "recrl-checkpt");
      ::setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), 19);
      try {
        Connection own(path, Connection::Mode::read_write_create, kBusyTimeout, paced_vfs_name());
        const std::string wal = path.string() + "-wal";
        WalReadAhead read_ahead(wal);
        std::int64_t written_out = 0;  // the WAL's frames written to the disk so far
        std::int64_t copied_up_to = 0;
        // One pass: the frames in the WAL, and how many of them this pass copied.
        const auto checkpoint = [&] {
          auto q = own.query("PRAGMA wal_checkpoint(PASSIVE)");
          q->step();
          const std::int64_t frames = q->int64(1), up_to = q->int64(2);
          const std::int64_t copied = up_to >= copied_up_to ? up_to - copied_up_to : up_to;
          copied_up_to = up_to;
          return std::pair{frames, copied};
        };
        std::unique_lock lock(checkpoint_mutex);
        while (!checkpoint_wake.wait_for(lock, kCheckpointPeriod, [&] { return stopping; })) {
          lock.unlock();
          // The frames committed since the last pass, written out before the pass's sync of the
          // WAL (which makes them durable before their pages reach the database file).
          const std::int64_t committed = wal_frames.load(std::memory_order_relaxed);
          if (committed < written_out) written_out = 0;  // the WAL started over
          write_out_paced(wal.c_str(), wal_bytes(written_out), wal_bytes(committed));
          written_out = committed;
          auto [frames, copied] = checkpoint();
          read_ahead(frames);
          if (frames >= restart_frames) {
            // The writer writes from the WAL's first frame once it starts over: read that first.
            read_ahead(0);
            // A pass syncs the database file only when it has copied the whole WAL, which under
            // constant writes only the held one does: flushed now, that sync has little left.
            sync_file(path);
            for (int pass = 0; pass < kCatchUpPasses && copied > kHeldFrames; ++pass)
              copied = checkpoint().second;
            if (copied <= kHeldFrames) held_pass_due = true;  // caught up: the write copies the rest
          }
          lock.lock();
        }
      } catch (const SqliteFailure&) {
        // The next append reports a file in trouble; the WAL only grows meanwhile.
      }
    });
  }

  // Flushes a file's written pages to the disk, so that a sync which follows has little to do.
  static void sync_file(const std::filesystem::path& file) {
    const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return;
    struct stat info {};
    if (::fstat(fd, &info) == 0) write_out_paced(file.c_str(), 0, info.st_size);
    ::fdatasync(fd);
    ::close(fd);
  }

  // SQLite's hook after each commit, with the frames in the WAL.
  static int after_commit(void* self, sqlite3*, const char*, int frames) {
    Impl& s = *static_cast<Impl*>(self);
    s.wal_frames.store(frames, std::memory_order_relaxed);
    if (frames >= s.force_restart_frames) s.held_pass_due = true;
    return SQLITE_OK;
  }

  // Every write holds the writes; the first after the checkpointer caught up copies the WAL's
  // last frames before its own, so that the WAL starts over with it.
  std::unique_lock<std::mutex> hold_writes() {
    std::unique_lock lock(write_mutex);
    if (held_pass_due.exchange(false)) {
      try {
        db.exec("PRAGMA wal_checkpoint(PASSIVE)");
      } catch (const SqliteFailure&) {
        // The write that follows reports a file in trouble; the WAL only grows meanwhile.
      }
    }
    return lock;
  }

  std::filesystem::path path;
  Connection db;
  DecisionLogSchema schema;
  std::string context_text, probabilities_text;  // reused by every append
  std::mutex write_mutex;  // held by every write
  std::atomic<bool> held_pass_due{false};
  std::atomic<std::int64_t> wal_frames{0};  // in the WAL after the last commit
  std::int64_t force_restart_frames = 0;
  std::thread checkpointer;
  std::mutex checkpoint_mutex;
  std::condition_variable checkpoint_wake;
  bool stopping = false;
};

DecisionLog DecisionLog::open(const std::filesystem::path& file, const DecisionLogSchema& schema,
                              bool durable, std::int64_t wal_restart_frames) {
  std::error_code error;
  if (std::filesystem::is_directory(file, error))
    throw InvalidStoreError(fmt::format("error: {}: a folder, not a decision log", file.string()));
  if (std::filesystem::exists(file, error) && std::filesystem::file_size(file, error) > 0 &&
      !looks_like_sqlite(file))
    throw InvalidStoreError(
        fmt::format("error: {}: not a SQLite database, so not a decision log; recrl serve does "
                    "not replace it: name another --db",
                    file.string()));
  if (file.has_parent_path()) std::filesystem::create_directories(file.parent_path(), error);
  std::unique_ptr<Impl> impl;
  try {
    impl = std::make_unique<Impl>(file, schema);
    Connection& db = impl->db;
    db.exec(durable ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL");
    db.exec(fmt::format("PRAGMA page_size = {}", kPageSize).c_str());
    Transaction t(db);
    bool empty = false;
    {
      auto q = db.query("SELECT count(*) FROM sqlite_master");
      q->step();
      empty = q->int64(0) == 0;
    }
    if (empty) {
      write_schema(db, schema);
    } else {
      const DecisionLogSchema logged = read_schema(db, file);
      const std::string difference = schema_difference(logged, schema);
      if (!difference.empty())
        throw InvalidStoreError(fmt::format(
            "error: {}: this decision log was written for another policy or reward setting: {}; "
            "name another --db (or serve it as it was)",
            file.string(), difference));
    }
    t.commit();
    // Set once the file is known to be ours: WAL lets readers (recrl ope, the learner) read
    // while the server writes.
    db.exec("PRAGMA journal_mode = WAL");
    // A WAL started over is cut back to this size, so that a burst does not keep its space. Twice
    // the size at which the checkpointer starts it over: the commit that cuts it waits for the
    // cut (half a second for 1 GiB), which steady traffic should never pay.
    db.exec(
        fmt::format("PRAGMA journal_size_limit = {}", 2 * wal_restart_frames * kPageSize).c_str());
    impl->start_checkpoints(wal_restart_frames);
  } catch (const SqliteFailure& failure) {
    fail(file, "open the decision log", failure);
  }
  return DecisionLog(std::move(impl));
}

DecisionLog::DecisionLog(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
DecisionLog::DecisionLog(DecisionLog&&) noexcept = default;
DecisionLog& DecisionLog::operator=(DecisionLog&&) noexcept = default;
DecisionLog::~DecisionLog() = default;

const DecisionLogSchema& DecisionLog::schema() const { return impl_->schema; }
const std::filesystem::path& DecisionLog::path() const { return impl_->path; }

namespace {

LoggedDecision logged_decision(detail::Statement& row, const DecisionLogSchema& schema) {
  // Columns: event_id, created_ms, model_version, action, explored, activated_ms, context,
  // probabilities.
  LoggedDecision d;
  d.event_id = row.text(0);
  d.created_ms = row.int64(1);
  d.model_version = static_cast<int>(row.int64(2));
  d.action = static_cast<int>(row.int64(3));
  d.explored = row.int64(4) != 0;
  d.deferred = row.is_null(5);
  decode_floats(row.text(6), schema.features.size(), d.context);
  decode_floats(row.text(7), schema.actions.size(), d.probabilities);
  return d;
}

constexpr const char* kFindDecision =
    "SELECT event_id, created_ms, model_version, action, explored, activated_ms, context, "
    "probabilities FROM decisions WHERE event_id = ?1";

}  // namespace

void DecisionLog::append(std::span<LoggedDecision> decisions, std::span<char> is_new) {
  Impl& s = *impl_;
  const auto hold = s.hold_writes();
  try {
    Transaction t(s.db);
    for (std::size_t i = 0; i < decisions.size(); ++i) {
      LoggedDecision& d = decisions[i];
      encode_floats(d.context, s.context_text);
      encode_floats(d.probabilities, s.probabilities_text);
      const std::optional<std::int64_t> activated =
          d.deferred ? std::nullopt : std::optional<std::int64_t>(d.created_ms);
      const std::optional<std::int64_t> deadline =
          d.deferred ? std::nullopt
                     : std::optional<std::int64_t>(d.created_ms + s.schema.reward_window_ms);
      {
        auto q = s.db.query(
            "INSERT INTO decisions (event_id, created_ms, model_version, action, propensity, "
            "explored, activated_ms, deadline_ms, context, probabilities) VALUES (?1, ?2, ?3, "
            "?4, ?5, ?6, ?7, ?8, ?9, ?10) ON CONFLICT (event_id) DO NOTHING");
        // Text read in place (unchanged until the query's reset): no copies.
        q->bind_in_place(1, d.event_id)
            .bind(2, d.created_ms)
            .bind(3, d.model_version)
            .bind(4, d.action)
            .bind(5, static_cast<double>(d.probabilities[static_cast<std::size_t>(d.action)]))
            .bind(6, d.explored ? 1 : 0)
            .bind(7, activated)
            .bind(8, deadline)
            .bind_in_place(9, s.context_text)
            .bind_in_place(10, s.probabilities_text);
        q->run();
      }
      is_new[i] = s.db.changes() > 0 ? 1 : 0;
      if (is_new[i] && d.shadow_version > 0) {
        encode_floats(d.shadow_probabilities, s.probabilities_text);
        s.db.query(
                "INSERT INTO shadow_decisions (seq, model_version, action, probabilities) "
                "VALUES (last_insert_rowid(), ?1, ?2, ?3)")
            ->bind_all(d.shadow_version, d.shadow_action, s.probabilities_text)
            .run();
      }
      if (!is_new[i]) {
        auto q = s.db.query(kFindDecision);
        q->bind(1, d.event_id);
        if (q->step()) d = logged_decision(*q, s.schema);
      }
    }
    t.commit();
  } catch (const SqliteFailure& failure) {
    fail(s.path, "log decisions (none of this batch was logged)", failure);
  }
}

std::optional<LoggedDecision> DecisionLog::find(const std::string& event_id) {
  try {
    auto q = impl_->db.query(kFindDecision);
    q->bind(1, event_id);
    if (!q->step()) return std::nullopt;
    return logged_decision(*q, impl_->schema);
  } catch (const SqliteFailure& failure) {
    fail(impl_->path, "read a decision", failure);
  }
}

void DecisionLog::add_rewards(std::span<const LoggedReward> rewards,
                              std::span<RewardOutcome> outcomes) {
  Impl& s = *impl_;
  const auto hold = s.hold_writes();
  try {
    Transaction t(s.db);
    for (std::size_t i = 0; i < rewards.size(); ++i) {
      const LoggedReward& r = rewards[i];
      std::int64_t seq = 0;
      {
        auto q = s.db.query("SELECT seq, deadline_ms FROM decisions WHERE event_id = ?1");
        q->bind(1, r.event_id);
        if (!q->step()) {
          outcomes[i] = RewardOutcome::UnknownEvent;
          continue;
        }
        if (!q->is_null(1) && r.received_ms > q->int64(1)) {
          outcomes[i] = RewardOutcome::WindowClosed;
          continue;
        }
        seq = q->int64(0);
      }
      s.db.query(
              "INSERT INTO rewards (seq, value, components, received_ms) VALUES (?1, ?2, ?3, ?4)")
          ->bind_all(seq, r.value, r.components, r.received_ms)
          .run();
      outcomes[i] = RewardOutcome::Recorded;
    }
    t.commit();
  } catch (const SqliteFailure& failure) {
    fail(s.path, "log rewards (none of this batch was logged)", failure);
  }
}

ActivationOutcome DecisionLog::activate(const std::string& event_id, std::int64_t now_ms) {
  Impl& s = *impl_;
  const auto hold = s.hold_writes();
  try {
    Transaction t(s.db);
    s.db.query(
            "UPDATE decisions SET activated_ms = ?2, deadline_ms = ?2 + ?3 WHERE event_id = ?1 "
            "AND activated_ms IS NULL")
        ->bind_all(event_id, now_ms, s.schema.reward_window_ms)
        .run();
    ActivationOutcome outcome = ActivationOutcome::Activated;
    if (s.db.changes() == 0) {
      auto q = s.db.query("SELECT 1 FROM decisions WHERE event_id = ?1");
      q->bind(1, event_id);
      outcome = q->step() ? ActivationOutcome::AlreadyActive : ActivationOutcome::UnknownEvent;
    }
    t.commit();
    return outcome;
  } catch (const SqliteFailure& failure) {
    fail(s.path, "activate a decision", failure);
  }
}

void DecisionLog::add_model(const LoggedModel& model) {
  Impl& s = *impl_;
  const auto hold = s.hold_writes();
  try {
    Transaction t(s.db);
    auto q = s.db.query(
        "INSERT INTO models (version, source, created_ms, policy) VALUES (?1, ?2, ?3, ?4)");
    q->bind_all(model.version, model.source, model.created_ms);
    q->bind_blob(4, model.policy);
    q->run();
    t.commit();
  } catch (const SqliteFailure& failure) {
    fail(s.path, "log a model version", failure);
  }
}

int DecisionLog::last_model_version() {
  try {
    auto q = impl_->db.query("SELECT coalesce(max(version), 0) FROM models");
    q->step();
    return static_cast<int>(q->int64(0));
  } catch (const SqliteFailure& failure) {
    fail(impl_->path, "read the model versions", failure);
  }
}

struct DecisionLogReader::Impl {
  explicit Impl(std::filesystem::path file)
      : path(std::move(file)), db(path, reading_mode(path), kBusyTimeout) {}
  std::filesystem::path path;
  Connection db;
  DecisionLogSchema schema;
};

DecisionLogReader::DecisionLogReader(const std::filesystem::path& file) {
  std::error_code error;
  if (!std::filesystem::is_regular_file(file, error))
    throw InvalidStoreError(fmt::format("error: {}: no such decision log", file.string()));
  try {
    impl_ = std::make_unique<Impl>(file);
    impl_->schema = read_schema(impl_->db, file);
  } catch (const SqliteFailure& failure) {
    fail(file, "read the decision log", failure);
  }
}

DecisionLogReader::DecisionLogReader(DecisionLogReader&&) noexcept = default;
DecisionLogReader& DecisionLogReader::operator=(DecisionLogReader&&) noexcept = default;
DecisionLogReader::~DecisionLogReader() = default;

const DecisionLogSchema& DecisionLogReader::schema() const { return impl_->schema; }

namespace {

// The columns both reads select: the decision, then its earliest reward and the sum of its
// rewards within its window.
constexpr const char* kJoinedColumns = R"sql(
SELECT d.seq, d.model_version, d.action, d.context, d.probabilities,
  (SELECT r.value FROM rewards r WHERE r.seq = d.seq AND r.received_ms <= d.deadline_ms
   ORDER BY r.id LIMIT 1),
  (SELECT total(r.value) FROM rewards r WHERE r.seq = d.seq AND r.received_ms <= d.deadline_ms)
FROM decisions d
)sql";

}  // namespace

std::size_t DecisionLogReader::read_joined(
    const std::string& sql, const std::vector<std::int64_t>& binds,
    const std::function<void(const JoinedDecision&)>& visit) {
  Impl& s = *impl_;
  const bool earliest = s.schema.aggregation == RewardAggregation::Earliest;
  std::size_t count = 0;
  try {
    // One snapshot for the whole read, so that a decision logged meanwhile is either wholly in
    // or out.
    Connection& db = s.db;
    db.exec("BEGIN");
    struct EndRead {
      Connection& db;
      ~EndRead() {
        try {
          db.exec("COMMIT");
        } catch (const SqliteFailure&) {  // a read-only transaction: nothing to lose
        }
      }
    } end{db};
    detail::Statement q(db.handle(), sql);
    for (std::size_t i = 0; i < binds.size(); ++i) q.bind(static_cast<int>(i) + 1, binds[i]);
    JoinedDecision d;
    while (q.step()) {
      d.seq = q.int64(0);
      d.model_version = static_cast<int>(q.int64(1));
      d.action = static_cast<int>(q.int64(2));
      if (!decode_floats(q.text(3), s.schema.features.size(), d.context) ||
          !decode_floats(q.text(4), s.schema.actions.size(), d.probabilities))
        throw InvalidStoreError(
            fmt::format("error: {}: decision {} has a context or probabilities that are not an "
                        "array of {} and {} numbers",
                        s.path.string(), d.seq, s.schema.features.size(), s.schema.actions.size()));
      d.rewarded = !q.is_null(5);
      d.reward = !d.rewarded ? s.schema.default_reward : earliest ? q.real(5) : q.real(6);
      visit(d);
      ++count;
    }
  } catch (const SqliteFailure& failure) {
    fail(s.path, "read the decision log", failure);
  }
  return count;
}

std::size_t DecisionLogReader::read_settled(
    std::int64_t now_ms, const std::function<void(const JoinedDecision&)>& visit) {
  // With 'earliest' the first reward settles a decision at once; otherwise its deadline does.
  const bool earliest = impl_->schema.aggregation == RewardAggregation::Earliest;
  return read_joined(std::string(kJoinedColumns) + R"sql(
WHERE d.deadline_ms IS NOT NULL AND (d.deadline_ms <= ?1 OR (?2 AND EXISTS (
    SELECT 1 FROM rewards r WHERE r.seq = d.seq AND r.received_ms <= d.deadline_ms)))
ORDER BY d.seq)sql",
                     {now_ms, earliest ? 1 : 0}, visit);
}

std::size_t DecisionLogReader::read_closed(
    std::int64_t after_ms, std::int64_t until_ms, int min_model_version,
    const std::function<void(const JoinedDecision&)>& visit) {
  return read_joined(std::string(kJoinedColumns) + R"sql(
WHERE d.deadline_ms > ?1 AND d.deadline_ms <= ?2 AND d.model_version >= ?3
ORDER BY d.deadline_ms, d.seq)sql",
                     {after_ms, until_ms, min_model_version}, visit);
}

std::vector<LoggedModel> DecisionLogReader::models() {
  std::vector<LoggedModel> out;
  try {
    auto q =
        impl_->db.query("SELECT version, source, created_ms, policy FROM models ORDER BY version");
    while (q->step())
      out.push_back({static_cast<int>(q->int64(0)), q->text(1), q->int64(2), q->text(3)});
  } catch (const SqliteFailure& failure) {
    fail(impl_->path, "read the model versions", failure);
  }
  return out;
}

std::int64_t DecisionLogReader::count(std::string_view sql, const char* what) {
  try {
    auto q = impl_->db.query(sql);
    q->step();
    return q->int64(0);
  } catch (const SqliteFailure& failure) {
    fail(impl_->path, what, failure);
  }
}

std::int64_t DecisionLogReader::decision_count() {
  return count("SELECT count(*) FROM decisions", "count decisions");
}

std::int64_t DecisionLogReader::reward_count() {
  return count("SELECT count(*) FROM rewards", "count rewards");
}

}  // namespace recrl::store
