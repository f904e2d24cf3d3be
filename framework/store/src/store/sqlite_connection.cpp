#include "sqlite_connection.hpp"

#include <algorithm>
#include <thread>

#include <fmt/format.h>
#include <sqlite3.h>

namespace recrl::store::detail {

namespace {

[[noreturn]] void throw_failure(sqlite3* db, int code) {
  const char* message = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(code);
  throw SqliteFailure(code & 0xff, message != nullptr ? message : sqlite3_errstr(code));
}

void check(sqlite3* db, int code) {
  if (code != SQLITE_OK) throw_failure(db, code);
}

}  // namespace

bool means_not_a_store(const SqliteFailure& failure) {
  return failure.code() == SQLITE_NOTADB || failure.code() == SQLITE_CORRUPT ||
         failure.code() == SQLITE_ERROR;
}

std::string describe_sqlite_failure(const SqliteFailure& failure,
                                    std::chrono::milliseconds busy_timeout) {
  switch (failure.code()) {
    case kEarlierWriteFailed:
      return "an earlier write in the same batch failed";
    case SQLITE_FULL:
      return "the disk is full (or the store reached its size limit)";
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return fmt::format(
          "the store is locked by another process and stayed locked for longer than the busy "
          "timeout ({} ms)",
          busy_timeout.count());
    case SQLITE_NOTADB:
    case SQLITE_CORRUPT:
      return "the file is not a SQLite database, or a corrupt one";
    case SQLITE_READONLY:
      return "the store is read-only";
    case SQLITE_CANTOPEN:
      return "the file cannot be opened";
    case SQLITE_PERM:
    case SQLITE_AUTH:
      return "permission denied";
    case SQLITE_IOERR:
      return std::string("an input/output error (") + failure.what() + ")";
    default:
      return failure.what();
  }
}

Statement::Statement(sqlite3* db, std::string_view sql) : db_(db) {
  // PERSISTENT: these statements live as long as the connection.
  check(db, sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()),
                               SQLITE_PREPARE_PERSISTENT, &stmt_, nullptr));
}

Statement::~Statement() { sqlite3_finalize(stmt_); }

Statement& Statement::bind(int index, std::int64_t value) {
  check(db_, sqlite3_bind_int64(stmt_, index, value));
  return *this;
}

Statement& Statement::bind(int index, double value) {
  check(db_, sqlite3_bind_double(stmt_, index, value));
  return *this;
}

Statement& Statement::bind(int index, std::string_view value) {
  check(db_, sqlite3_bind_text64(stmt_, index, value.data(), value.size(), SQLITE_TRANSIENT,
                                 SQLITE_UTF8));
  return *this;
}

Statement& Statement::bind_in_place(int index, std::string_view value) {
  check(db_,
        sqlite3_bind_text64(stmt_, index, value.data(), value.size(), SQLITE_STATIC, SQLITE_UTF8));
  return *this;
}

Statement& Statement::bind_blob(int index, std::string_view bytes) {
  check(db_, sqlite3_bind_blob64(stmt_, index, bytes.data(), bytes.size(), SQLITE_TRANSIENT));
  return *this;
}

Statement& Statement::bind_null(int index) {
  check(db_, sqlite3_bind_null(stmt_, index));
  return *this;
}

bool Statement::step() {
  const int code = sqlite3_step(stmt_);
  if (code == SQLITE_ROW) return true;
  if (code == SQLITE_DONE) return false;
  throw_failure(db_, code);
}

void Statement::run() {
  while (step()) {
  }
}

void Statement::reset() {
  sqlite3_reset(stmt_);  // returns the last step's error, already reported
  sqlite3_clear_bindings(stmt_);
}

bool Statement::is_null(int column) const {
  return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

std::int64_t Statement::int64(int column) const { return sqlite3_column_int64(stmt_, column); }

double Statement::real(int column) const { return sqlite3_column_double(stmt_, column); }

std::string Statement::text(int column) const {
  const auto* bytes = sqlite3_column_text(stmt_, column);
  if (bytes == nullptr) return {};
  return std::string(reinterpret_cast<const char*>(bytes),
                     static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column)));
}

std::optional<double> Statement::optional_real(int column) const {
  if (is_null(column)) return std::nullopt;
  return real(column);
}

std::optional<std::string> Statement::optional_text(int column) const {
  if (is_null(column)) return std::nullopt;
  return text(column);
}

Connection::Connection(const std::filesystem::path& file, Mode mode,
                       std::chrono::milliseconds busy_timeout, const char* vfs)
    : busy_wait_(std::make_unique<BusyWait>(BusyWait{busy_timeout, {}})) {
  // NOMUTEX: the store serialises access to its connection itself.
  const bool writable = mode == Mode::read_write_create;
  const int flags = (writable ? SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE : SQLITE_OPEN_READONLY) |
                    SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI;
  // As a URI, so that immutable can be said (and a file name with '?' or '#' stays a name).
  std::string uri = "file:";
  for (const char c : file.string()) {
    if (c == '?' || c == '#' || c == '%') {
      uri += fmt::format("%{:02X}", static_cast<unsigned char>(c));
    } else {
      uri += c;
    }
  }
  if (mode == Mode::read_only_immutable) uri += "?immutable=1";
  const int code = sqlite3_open_v2(uri.c_str(), &db_, flags, vfs);
  if (code != SQLITE_OK) {
    const std::string message = db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(code);
    sqlite3_close_v2(db_);
    db_ = nullptr;
    throw SqliteFailure(code & 0xff, message);
  }
  sqlite3_extended_result_codes(db_, 0);
  sqlite3_busy_handler(db_, &Connection::on_busy, busy_wait_.get());
}

Connection::~Connection() {
  cache_.clear();
  sqlite3_close_v2(db_);
}

// SQLite's own busy handler sleeps in steps of up to 100 ms, which wastes most of the time when
// two processes write many short transactions at once. This one retries after 50 us, doubling
// up to 2 ms, until the timeout.
int Connection::on_busy(void* wait, int attempt) {
  auto* busy = static_cast<BusyWait*>(wait);
  const auto now = std::chrono::steady_clock::now();
  if (attempt == 0) busy->began = now;
  if (now - busy->began >= busy->timeout) return 0;
  const auto pause = std::chrono::microseconds(50) * (1 << std::min(attempt, 5));
  std::this_thread::sleep_for(pause);
  return 1;
}

void Connection::exec(const char* sql) {
  char* message = nullptr;
  const int code = sqlite3_exec(db_, sql, nullptr, nullptr, &message);
  if (code != SQLITE_OK) {
    const std::string text = message != nullptr ? message : sqlite3_errstr(code);
    sqlite3_free(message);
    throw SqliteFailure(code & 0xff, text);
  }
}

Query Connection::query(std::string_view sql) {
  auto it = cache_.find(sql);
  if (it == cache_.end())
    it = cache_.emplace(std::string(sql), std::make_unique<Statement>(db_, sql)).first;
  return Query(*it->second);
}

int Connection::changes() const { return sqlite3_changes(db_); }

}  // namespace recrl::store::detail
