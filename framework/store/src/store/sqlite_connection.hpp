#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

struct sqlite3;
struct sqlite3_stmt;

namespace recrl::store::detail {

// A failed SQLite call. The store turns it into a StoreError that names the file and the
// operation; code is SQLite's primary result code (SQLITE_FULL, SQLITE_BUSY, ...).
class SqliteFailure : public std::runtime_error {
 public:
  SqliteFailure(int code, const std::string& message) : std::runtime_error(message), code_(code) {}
  int code() const { return code_; }

 private:
  int code_;
};

// Whether the failure says the file is not a store of ours: not a database, a corrupt one, or
// SQL that does not fit its tables (SQLITE_ERROR, e.g. "no such column").
bool means_not_a_store(const SqliteFailure& failure);

// Not SQLite's: a transaction may not commit because a write inside it failed before.
inline constexpr int kEarlierWriteFailed = -1;

// What a failure means to a user, in a few words ("the disk is full ...").
std::string describe_sqlite_failure(const SqliteFailure& failure,
                                    std::chrono::milliseconds busy_timeout);

// One prepared statement. Parameters are bound by 1-based index; text is copied by SQLite.
class Statement {
 public:
  Statement(sqlite3* db, std::string_view sql);
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement();

  Statement& bind(int index, std::int64_t value);
  Statement& bind(int index, int value) { return bind(index, static_cast<std::int64_t>(value)); }
  Statement& bind(int index, double value);
  Statement& bind(int index, std::string_view value);
  Statement& bind(int index, const std::string& value) {
    return bind(index, std::string_view(value));
  }
  Statement& bind(int index, const char* value) { return bind(index, std::string_view(value)); }
  // Text SQLite reads where it is, without copying it: it must stay unchanged until reset().
  Statement& bind_in_place(int index, std::string_view value);
  Statement& bind_null(int index);
  Statement& bind_blob(int index, std::string_view bytes);
  template <typename T>
  Statement& bind(int index, const std::optional<T>& value) {
    return value ? bind(index, *value) : bind_null(index);
  }
  // Binds every argument in order, from index 1.
  template <typename... Args>
  Statement& bind_all(const Args&... args) {
    int index = 0;
    (bind(++index, args), ...);
    return *this;
  }

  // Advances: true when a row is ready, false when done. Throws SqliteFailure.
  bool step();
  // Steps a statement that returns no row (INSERT, UPDATE, ...).
  void run();
  void reset();  // ready to run again, parameters cleared

  bool is_null(int column) const;
  std::int64_t int64(int column) const;
  double real(int column) const;
  std::string text(int column) const;
  std::optional<double> optional_real(int column) const;
  std::optional<std::string> optional_text(int column) const;

 private:
  sqlite3_stmt* stmt_ = nullptr;
  sqlite3* db_ = nullptr;
};

// A prepared statement borrowed from the connection's cache, reset when the use ends.
class Query {
 public:
  explicit Query(Statement& statement) : statement_(statement) {}
  Query(const Query&) = delete;
  Query& operator=(const Query&) = delete;
  ~Query() { statement_.reset(); }
  Statement* operator->() { return &statement_; }
  Statement& operator*() { return statement_; }

 private:
  Statement& statement_;
};

// One sqlite3 connection with a cache of prepared statements (prepared once, reused: most of
// the cost of a small INSERT is in preparing it).
class Connection {
 public:
  // read_only_immutable: read-only, and the file is taken as unchanging, so SQLite needs no
  // -wal or -shm beside it (for a store in a folder this process cannot write to).
  enum class Mode { read_write_create, read_only, read_only_immutable };
  // `vfs`: the name of a registered SQLite VFS, or null for the default one.
  Connection(const std::filesystem::path& file, Mode mode, std::chrono::milliseconds busy_timeout,
             const char* vfs = nullptr);
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection();

  // Executes SQL without parameters (DDL, BEGIN, COMMIT, PRAGMA that returns nothing needed).
  void exec(const char* sql);
  // A cached prepared statement for `sql` (a string literal: the cache is keyed by it).
  Query query(std::string_view sql);
  sqlite3* handle() { return db_; }
  // Statements are finalized before the connection closes, and before ATTACH/DETACH changes
  // what names resolve to.
  void clear_cache() { cache_.clear(); }
  // The number of rows the last INSERT/UPDATE/DELETE changed.
  int changes() const;

 private:
  struct BusyWait {
    std::chrono::milliseconds timeout;
    std::chrono::steady_clock::time_point began;
  };
  static int on_busy(void* wait, int attempt);

  sqlite3* db_ = nullptr;
  std::unique_ptr<BusyWait> busy_wait_;
  std::map<std::string, std::unique_ptr<Statement>, std::less<>> cache_;
};

}  // namespace recrl::store::detail
