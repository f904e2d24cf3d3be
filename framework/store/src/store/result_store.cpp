#include "recrl/store/result_store.hpp"

#include <unistd.h>

#include <algorithm>

#include <system_error>

#include <fmt/format.h>

#include "recrl/core/errors.hpp"
#include "result_store_impl.hpp"
#include "schema.hpp"

namespace recrl::store {

namespace {

void prepare_folder(const std::filesystem::path& file) {
  const std::filesystem::path folder = file.parent_path();
  if (folder.empty()) return;
  std::error_code error;
  std::filesystem::create_directories(folder, error);
  if (error)
    throw StoreError(fmt::format("error: {}: cannot create the folder {}: {}", file.string(),
                                 folder.string(), error.message()));
}

}  // namespace

std::string_view to_string(RunStatus status) {
  switch (status) {
    case RunStatus::pending:
      return "pending";
    case RunStatus::running:
      return "running";
    case RunStatus::finished:
      return "finished";
    case RunStatus::failed:
      return "failed";
  }
  return "unknown";
}

std::string_view to_string(ClaimReason reason) {
  switch (reason) {
    case ClaimReason::new_run:
      return "new run";
    case ClaimReason::planned:
      return "planned";
    case ClaimReason::retry_failed:
      return "failed before: retrying";
    case ClaimReason::owner_died:
      return "its process died: taking over";
    case ClaimReason::owner_silent:
      return "its heartbeat is stale: taking over";
    case ClaimReason::already_finished:
      return "already finished";
    case ClaimReason::running_elsewhere:
      return "running in another process";
  }
  return "unknown";
}

namespace {

// A failure while opening and checking a store: one that says the file is not a store of ours
// (not a database, corrupt, a query on a table that is not as ours are) is bad input.
[[noreturn]] void throw_open_failure(const std::string& name, const detail::SqliteFailure& failure,
                                     const StoreOptions& options) {
  const std::string message =
      fmt::format("error: {}: could not open the store: {}", name,
                  detail::describe_sqlite_failure(failure, options.busy_timeout));
  if (detail::means_not_a_store(failure)) throw InvalidStoreError(message);
  throw StoreError(message);
}

}  // namespace

ResultStore ResultStore::open(const std::filesystem::path& path, const StoreOptions& options) {
  const std::string name = path.string();
  std::error_code error;
  if (std::filesystem::is_directory(path, error))
    throw InvalidStoreError(fmt::format("error: {}: a folder, not a result store", name));
  if (options.read_only) {
    if (!std::filesystem::exists(path, error))
      throw InvalidStoreError(fmt::format("error: {}: no such result store", name));
  } else {
    prepare_folder(path);
  }
  // Reading a store needs its -shm file, which SQLite makes beside it: in a folder this process
  // cannot write to, the store is read as an unchanging file instead.
  const std::filesystem::path folder = path.has_parent_path() ? path.parent_path() : ".";
  const auto mode = !options.read_only ? detail::Connection::Mode::read_write_create
                    : ::access(folder.c_str(), W_OK) == 0
                        ? detail::Connection::Mode::read_only
                        : detail::Connection::Mode::read_only_immutable;
  std::unique_ptr<Impl> impl;
  try {
    impl = std::make_unique<Impl>(path, options, mode);
  } catch (const detail::SqliteFailure& failure) {
    throw_open_failure(name, failure, options);
  }
  try {
    impl->db.exec("PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON");
    if (options.size_limit_bytes > 0) {
      auto q = impl->db.query("SELECT page_size FROM pragma_page_size");
      q->step();
      const std::int64_t pages = std::max<std::int64_t>(1, options.size_limit_bytes / q->int64(0));
      // PRAGMA takes no bound parameters; the value is an integer we computed.
      impl->db.exec(fmt::format("PRAGMA max_page_count = {}", pages).c_str());
    }
    // An existing store is checked without taking the write lock, so that opening it does not
    // wait for another process's writes; a new one is created under the lock (and checked
    // again there, in case another process created it meanwhile).
    const auto in_transaction = [&](const auto& body) {
      impl->begin();
      try {
        body();
        impl->commit();
      } catch (...) {
        impl->abandon();
        throw;
      }
    };
    if (options.read_only || detail::has_schema(impl->db)) {
      impl->schema_version =
          detail::create_or_check_schema(impl->db, path, options.recrl_version, true);
    } else {
      in_transaction([&] {
        impl->schema_version =
            detail::create_or_check_schema(impl->db, path, options.recrl_version, false);
      });
    }
    // SQLite's quick check of the whole file: a corrupt page fails here, not as garbage in a
    // table later.
    {
      auto q = impl->db.query("PRAGMA quick_check(1)");
      if (q->step() && q->text(0) != "ok") {
        std::string problem = q->text(0);  // several lines: one here
        std::replace(problem.begin(), problem.end(), '\n', ' ');
        throw InvalidStoreError(fmt::format(
            "error: {}: a corrupt result store (SQLite's check: {}); recrl merge can copy the "
            "finished runs of another store, not repair this one",
            name, problem));
      }
    }
    // WAL lets readers and one writer work at once, and a crashed writer never leaves a torn
    // store. synchronous=NORMAL in WAL survives any process crash (kill -9); only a power loss
    // may lose the last commits, never consistency. Set once the file is known to be a store
    // of ours: switching another program's database to WAL would change it.
    if (!options.read_only) impl->db.exec("PRAGMA journal_mode = WAL");
    if (!options.read_only && impl->schema_version < kSchemaVersion) {
      in_transaction([&] {
        // Checked again under the lock: another process may have upgraded it meanwhile.
        const int found =
            detail::create_or_check_schema(impl->db, path, options.recrl_version, true);
        if (found < kSchemaVersion) detail::upgrade_schema(impl->db, found);
        impl->schema_version = kSchemaVersion;
      });
    }
  } catch (const detail::SqliteFailure& failure) {
    throw_open_failure(name, failure, options);
  }
  return ResultStore(std::move(impl));
}

ResultStore::ResultStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ResultStore::ResultStore(ResultStore&&) noexcept = default;
ResultStore& ResultStore::operator=(ResultStore&&) noexcept = default;
ResultStore::~ResultStore() = default;

const std::filesystem::path& ResultStore::path() const { return impl_->path; }

ResultStore::Batch::Batch(ResultStore& store) : impl_(store.impl_.get()) {
  impl_->mutex.lock();
  if (impl_->options.read_only) {
    impl_->mutex.unlock();
    throw StoreError(
        fmt::format("error: {}: could not begin a batch of writes: the store was "
                    "opened read-only",
                    impl_->path.string()));
  }
  try {
    impl_->begin();
  } catch (const detail::SqliteFailure& failure) {
    impl_->mutex.unlock();
    impl_->fail("begin a batch of writes", failure, false);
  }
}

ResultStore::Batch::Batch(Batch&& other) noexcept : impl_(std::exchange(other.impl_, nullptr)) {}

ResultStore::Batch::~Batch() {
  if (impl_ == nullptr) return;
  impl_->abandon();
  impl_->mutex.unlock();
}

void ResultStore::Batch::commit() {
  RECRL_ASSERT(impl_ != nullptr, "a batch of writes committed twice");
  Impl* impl = std::exchange(impl_, nullptr);
  try {
    impl->commit();
  } catch (const detail::SqliteFailure& failure) {
    impl->abandon();
    impl->mutex.unlock();
    impl->fail("commit a batch of writes", failure, true);
  }
  impl->mutex.unlock();
}

ResultStore::Batch ResultStore::begin_batch() { return Batch(*this); }

std::vector<std::string> ResultStore::integrity_problems() const {
  return impl_->read("check the store", [&] {
    std::vector<std::string> problems;
    {
      auto q = impl_->db.query("PRAGMA integrity_check");
      while (q->step()) {
        std::string line = q->text(0);
        if (line != "ok") problems.push_back(std::move(line));
      }
    }
    {
      auto q = impl_->db.query(
          "SELECT \"table\", parent FROM pragma_foreign_key_check GROUP BY \"table\", parent");
      while (q->step())
        problems.push_back(
            fmt::format("{} has rows whose {} does not exist", q->text(0), q->text(1)));
    }
    {
      auto q = impl_->db.query(
          "SELECT run_id FROM runs WHERE status = 'finished' AND NOT EXISTS "
          "(SELECT 1 FROM metrics WHERE metrics.run_id = runs.run_id) ORDER BY run_id");
      while (q->step())
        problems.push_back(fmt::format("run {} is finished but has no metrics", q->text(0)));
    }
    return problems;
  });
}

}  // namespace recrl::store
