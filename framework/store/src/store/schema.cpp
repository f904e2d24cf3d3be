#include "schema.hpp"

#include <algorithm>
#include <map>
#include <optional>
#include <vector>

#include <fmt/format.h>

#include "process_identity.hpp"
#include "recrl/store/result_store.hpp"

namespace recrl::store::detail {

namespace {

// Every table of the database with its columns, in order.
std::map<std::string, std::vector<std::string>> columns_of(Connection& db) {
  std::map<std::string, std::vector<std::string>> columns;
  auto q = db.query(
      "SELECT m.name, p.name FROM sqlite_schema m JOIN pragma_table_info(m.name) p "
      "WHERE m.type = 'table' ORDER BY m.name, p.cid");
  while (q->step()) columns[q->text(0)].push_back(q->text(1));
  return columns;
}

// Schema 1. Times are Unix seconds (REAL). Seeds are stored as the bits of a uint64 in an
// INTEGER. Curves, metrics and action counts are keyed by run, so re-recording a point (a
// resumed run evaluates at the same step again) replaces it instead of duplicating it.
constexpr const char* kSchemaSql = R"sql(
CREATE TABLE meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE experiments (
  name          TEXT PRIMARY KEY,
  file          TEXT NOT NULL,
  resolved_yaml TEXT NOT NULL,
  created_at    REAL NOT NULL,
  updated_at    REAL NOT NULL
);

CREATE TABLE variants (
  experiment       TEXT NOT NULL REFERENCES experiments(name),
  label            TEXT NOT NULL,
  assignments_json TEXT NOT NULL,
  PRIMARY KEY (experiment, label)
) WITHOUT ROWID;

CREATE TABLE runs (
  run_id          TEXT PRIMARY KEY,
  experiment      TEXT NOT NULL REFERENCES experiments(name),
  variant         TEXT NOT NULL,
  algorithm       TEXT NOT NULL,
  plugin          TEXT NOT NULL,
  plugin_version  TEXT NOT NULL,
  env_plugin      TEXT NOT NULL,
  env_version     TEXT NOT NULL,
  reward_plugin   TEXT NOT NULL,
  reward_version  TEXT NOT NULL,
  seed            INTEGER NOT NULL,
  status          TEXT NOT NULL CHECK (status IN ('pending', 'running', 'finished', 'failed')),
  resolved_yaml   TEXT NOT NULL,
  host            TEXT NOT NULL DEFAULT '',
  pid             INTEGER NOT NULL DEFAULT 0,
  recrl_version   TEXT NOT NULL DEFAULT '',
  started_at      REAL,
  heartbeat_at    REAL,
  finished_at     REAL,
  error           TEXT NOT NULL DEFAULT '',
  policy_path     TEXT,
  checkpoint_path TEXT,
  attempts        INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX runs_by_experiment ON runs (experiment, variant, algorithm, seed);

CREATE TABLE curves (
  run_id            TEXT NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE,
  env_steps         INTEGER NOT NULL,
  eval_mean         REAL NOT NULL,
  eval_std          REAL NOT NULL,
  train_episodes    INTEGER NOT NULL,
  train_return_mean REAL,
  wall_s            REAL NOT NULL,
  PRIMARY KEY (run_id, env_steps)
) WITHOUT ROWID;

CREATE TABLE metrics (
  run_id TEXT NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE,
  name   TEXT NOT NULL,
  value  REAL NOT NULL,
  PRIMARY KEY (run_id, name)
) WITHOUT ROWID;

CREATE TABLE action_counts (
  run_id TEXT NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE,
  action INTEGER NOT NULL,
  label  TEXT NOT NULL,
  count  INTEGER NOT NULL,
  PRIMARY KEY (run_id, action)
) WITHOUT ROWID;
)sql";

// What schema 2 adds to schema 1: each run's mean reward components over its final evaluation,
// in the reward's order. A new store gets both; opening a schema-1 store to write upgrades it.
constexpr const char* kSchema2Sql = R"sql(
CREATE TABLE reward_components (
  run_id   TEXT NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE,
  position INTEGER NOT NULL,
  name     TEXT NOT NULL,
  mean     REAL NOT NULL,
  PRIMARY KEY (run_id, position)
) WITHOUT ROWID;
)sql";

// What schema 3 adds: off-policy evaluations (`recrl ope --record`) and their estimates.
constexpr const char* kSchema3Sql = R"sql(
CREATE TABLE ope_evaluations (
  evaluation_id         TEXT PRIMARY KEY,
  experiment            TEXT NOT NULL,
  label                 TEXT NOT NULL,
  target                TEXT NOT NULL,
  run_id                TEXT,
  log                   TEXT NOT NULL,
  log_format            TEXT NOT NULL,
  rows                  INTEGER NOT NULL,
  settings              TEXT NOT NULL,
  confidence            REAL NOT NULL,
  effective_sample_size REAL NOT NULL,
  max_weight            REAL NOT NULL,
  mean_weight           REAL NOT NULL,
  zero_target_share     REAL NOT NULL,
  true_value            REAL,
  recorded_at           REAL NOT NULL
);
CREATE INDEX ope_evaluations_by_experiment ON ope_evaluations (experiment, label);
CREATE TABLE ope_estimates (
  evaluation_id TEXT NOT NULL REFERENCES ope_evaluations(evaluation_id) ON DELETE CASCADE,
  position      INTEGER NOT NULL,
  estimator     TEXT NOT NULL,
  value         REAL NOT NULL,
  ci_low        REAL,
  ci_high       REAL,
  PRIMARY KEY (evaluation_id, position)
) WITHOUT ROWID;
)sql";

// Each table's columns as a store of schema `version` has them: read off a database created in
// memory with that schema's SQL, so the check and the schema cannot disagree.
std::map<std::string, std::vector<std::string>> expected_columns(int version) {
  Connection reference(":memory:", Connection::Mode::read_write_create,
                       std::chrono::milliseconds(0));
  reference.exec(kSchemaSql);
  if (version >= 2) reference.exec(kSchema2Sql);
  if (version >= 3) reference.exec(kSchema3Sql);
  return columns_of(reference);
}

bool has_table(Connection& db, const char* name) {
  auto q = db.query("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?1");
  q->bind(1, name);
  return q->step();
}

bool has_any_table(Connection& db) {
  auto q = db.query("SELECT 1 FROM sqlite_schema WHERE type = 'table' LIMIT 1");
  return q->step();
}

std::optional<std::string> meta_value(Connection& db, const char* key) {
  auto q = db.query("SELECT value FROM meta WHERE key = ?1");
  q->bind(1, key);
  if (!q->step()) return std::nullopt;
  return q->text(0);
}

void set_meta(Connection& db, const char* key, const std::string& value) {
  auto q = db.query("INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)");
  q->bind_all(key, value).run();
}

}  // namespace

bool has_schema(Connection& db) { return has_any_table(db); }

int create_or_check_schema(Connection& db, const std::filesystem::path& file,
                           const std::string& recrl_version, bool check_only) {
  const std::string name = file.string();
  if (!has_table(db, "meta")) {
    if (has_any_table(db))
      throw InvalidStoreError(fmt::format(
          "error: {}: a SQLite database but not a recrl result store (it has no meta table)",
          name));
    if (check_only)
      throw InvalidStoreError(
          fmt::format("error: {}: an empty database, not a recrl result store", name));
    db.exec(kSchemaSql);
    db.exec(kSchema2Sql);
    db.exec(kSchema3Sql);
    set_meta(db, "schema_version", std::to_string(ResultStore::kSchemaVersion));
    set_meta(db, "recrl_version", recrl_version);
    set_meta(db, "created_at", fmt::format("{:.3f}", now()));
    return ResultStore::kSchemaVersion;
  }
  const std::optional<std::string> schema_text = meta_value(db, "schema_version");
  int schema = 0;
  try {
    schema = schema_text ? std::stoi(*schema_text) : 0;
  } catch (const std::exception&) {
    schema = 0;
  }
  if (schema <= 0)
    throw InvalidStoreError(fmt::format(
        "error: {}: not a recrl result store (its meta table has no valid schema_version)", name));
  if (schema > ResultStore::kSchemaVersion)
    throw InvalidStoreError(fmt::format(
        "error: {} was written by recrl {} (store schema {}); this recrl reads schema {}: "
        "upgrade recrl",
        name, meta_value(db, "recrl_version").value_or("(unknown)"), schema,
        ResultStore::kSchemaVersion));
  // Every table and column the schema has must be there: a store someone edited (a dropped
  // table or column) fails now, with its name, not in the middle of a query.
  const auto found = columns_of(db);
  for (const auto& [table, columns] : expected_columns(schema)) {
    const auto there = found.find(table);
    if (there == found.end()) {
      throw InvalidStoreError(fmt::format(
          "error: {}: a damaged recrl result store: it has no table '{}' (schema {} has one)", name,
          table, schema));
    }
    for (const std::string& column : columns) {
      if (std::find(there->second.begin(), there->second.end(), column) == there->second.end()) {
        throw InvalidStoreError(
            fmt::format("error: {}: a damaged recrl result store: table '{}' has no column '{}'",
                        name, table, column));
      }
    }
  }
  return schema;
}

void upgrade_schema(Connection& db, int from) {
  if (from < 2) db.exec(kSchema2Sql);
  if (from < 3) db.exec(kSchema3Sql);
  set_meta(db, "schema_version", std::to_string(ResultStore::kSchemaVersion));
}

}  // namespace recrl::store::detail
