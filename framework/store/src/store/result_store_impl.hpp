#pragma once

#include <mutex>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include <fmt/format.h>

#include "process_identity.hpp"
#include "recrl/store/result_store.hpp"
#include "sqlite_connection.hpp"

namespace recrl::store {

// What the ResultStore's source files share: the connection, the lock, and the way every
// operation turns SQLite failures into one-line StoreErrors and writes into transactions.
struct ResultStore::Impl {
  Impl(std::filesystem::path file, StoreOptions opts, detail::Connection::Mode mode)
      : path(std::move(file)),
        options(std::move(opts)),
        db(path, mode, options.busy_timeout),
        owner(detail::ProcessIdentity::current()) {}

  std::filesystem::path path;
  StoreOptions options;
  detail::Connection db;
  detail::ProcessIdentity owner;
  int schema_version = 0;  // of the store as opened: a read-only schema-1 store lacks tables
  std::recursive_mutex mutex;
  int transaction_depth = 0;        // > 0 inside a write transaction (nested writes join it)
  bool transaction_failed = false;  // a nested write failed: the transaction may not commit

  [[noreturn]] void fail(std::string_view what, const detail::SqliteFailure& failure,
                         bool rolled_back) const {
    throw StoreError(
        fmt::format("error: {}: could not {}: {}{}", path.string(), what,
                    detail::describe_sqlite_failure(failure, options.busy_timeout),
                    rolled_back ? "; the write was rolled back, nothing of it was stored" : ""));
  }

  void begin() {
    // After a failed write SQLite may have rolled the whole transaction back by itself (a full
    // disk does that): a later write of the same batch would then commit on its own.
    if (transaction_depth > 0 && transaction_failed)
      throw detail::SqliteFailure(detail::kEarlierWriteFailed, "an earlier write failed");
    if (transaction_depth == 0) {
      // IMMEDIATE takes the write lock now (waiting up to the busy timeout), so a transaction
      // that reads then writes never has to upgrade its lock and fail with SQLITE_BUSY midway.
      db.exec("BEGIN IMMEDIATE");
      transaction_failed = false;
    }
    ++transaction_depth;
  }

  // Commits at the outermost level. When it throws, the transaction is still open at this
  // level: the caller abandons it.
  void commit() {
    if (transaction_depth > 1) {
      --transaction_depth;
      return;
    }
    if (transaction_failed)
      throw detail::SqliteFailure(detail::kEarlierWriteFailed, "an earlier write failed");
    db.exec("COMMIT");
    --transaction_depth;
  }

  // Ends the transaction without committing: the outermost level rolls back, a nested one
  // dooms the enclosing transaction. Never throws.
  void abandon() noexcept {
    --transaction_depth;
    if (transaction_depth > 0) {
      transaction_failed = true;
      return;
    }
    try {
      db.exec("ROLLBACK");
    } catch (const detail::SqliteFailure&) {
      // SQLite rolls back by itself after some errors (SQLITE_FULL in a commit); nothing to do.
    }
  }

  // Runs `body` in a write transaction (joining an open one), all or nothing. `what` completes
  // "could not ..." in the error message.
  template <typename F>
  auto write(std::string_view what, F&& body) {
    std::lock_guard lock(mutex);
    if (options.read_only)
      throw StoreError(fmt::format("error: {}: could not {}: the store was opened read-only",
                                   path.string(), what));
    try {
      begin();
    } catch (const detail::SqliteFailure& failure) {
      fail(what, failure, false);
    }
    try {
      if constexpr (std::is_void_v<std::invoke_result_t<F>>) {
        body();
        commit();
      } else {
        auto result = body();
        commit();
        return result;
      }
    } catch (const detail::SqliteFailure& failure) {
      abandon();
      fail(what, failure, true);
    } catch (...) {
      abandon();
      throw;
    }
  }

  // Runs a query; its SQLite failures become StoreErrors.
  template <typename F>
  auto read(std::string_view what, F&& body) {
    std::lock_guard lock(mutex);
    try {
      return body();
    } catch (const detail::SqliteFailure& failure) {
      fail(what, failure, false);
    }
  }
};

}  // namespace recrl::store
