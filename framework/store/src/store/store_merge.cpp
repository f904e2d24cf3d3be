// ResultStore::merge: brings the finished runs of another store (a shard's, another machine's)
// into this one without duplicates.
#include <fmt/format.h>

#include "result_store_impl.hpp"

namespace recrl::store {

namespace {

constexpr const char* kRunColumns =
    "run_id, experiment, variant, algorithm, plugin, plugin_version, env_plugin, env_version, "
    "reward_plugin, reward_version, seed, status, resolved_yaml, host, pid, recrl_version, "
    "started_at, heartbeat_at, finished_at, error, policy_path, checkpoint_path, attempts";

// Runs one statement on the connection, uncached: these name the attached source, which is
// detached afterwards.
void run_sql(detail::Connection& db, const std::string& sql) {
  detail::Statement statement(db.handle(), sql);
  statement.run();
}

std::int64_t count(detail::Connection& db, const std::string& sql) {
  detail::Statement statement(db.handle(), sql);
  statement.step();
  return statement.int64(0);
}

// The source's off-policy evaluations that this store lacks or has an older record of (by
// recorded_at; equal keeps this one, so merging again changes nothing), with their estimates.
int copy_evaluations(detail::Connection& db) {
  constexpr const char* kColumns =
      "evaluation_id, experiment, label, target, run_id, log, log_format, rows, settings, "
      "confidence, effective_sample_size, max_weight, mean_weight, zero_target_share, "
      "true_value, recorded_at";
  run_sql(db,
          "CREATE TEMP TABLE merge_evaluations AS SELECT s.evaluation_id AS evaluation_id "
          "FROM merge_source.ope_evaluations s LEFT JOIN main.ope_evaluations d "
          "ON d.evaluation_id = s.evaluation_id "
          "WHERE d.evaluation_id IS NULL OR s.recorded_at > d.recorded_at");
  const auto taken = static_cast<int>(count(db, "SELECT count(*) FROM merge_evaluations"));
  run_sql(db,
          "DELETE FROM main.ope_estimates WHERE evaluation_id IN "
          "(SELECT evaluation_id FROM merge_evaluations)");
  run_sql(db,
          "DELETE FROM main.ope_evaluations WHERE evaluation_id IN "
          "(SELECT evaluation_id FROM merge_evaluations)");
  run_sql(db, fmt::format("INSERT INTO main.ope_evaluations ({0}) SELECT {0} FROM "
                          "merge_source.ope_evaluations WHERE evaluation_id IN "
                          "(SELECT evaluation_id FROM merge_evaluations)",
                          kColumns));
  run_sql(db,
          "INSERT INTO main.ope_estimates (evaluation_id, position, estimator, value, ci_low, "
          "ci_high) SELECT evaluation_id, position, estimator, value, ci_low, ci_high FROM "
          "merge_source.ope_estimates WHERE evaluation_id IN "
          "(SELECT evaluation_id FROM merge_evaluations)");
  run_sql(db, "DROP TABLE temp.merge_evaluations");
  return taken;
}

MergeSummary copy_from_source(detail::Connection& db, int source_schema) {
  const bool source_has_reward_components = source_schema >= 2;
  MergeSummary summary;
  summary.experiments_added = static_cast<int>(
      count(db,
            "SELECT count(*) FROM merge_source.experiments s "
            "WHERE NOT EXISTS (SELECT 1 FROM main.experiments d WHERE d.name = s.name)"));
  // `WHERE true` tells SQLite's parser the ON CONFLICT belongs to the INSERT, not a join.
  run_sql(db,
          "INSERT INTO main.experiments (name, file, resolved_yaml, created_at, updated_at) "
          "SELECT name, file, resolved_yaml, created_at, updated_at "
          "FROM merge_source.experiments WHERE true "
          "ON CONFLICT (name) DO UPDATE SET file = excluded.file, "
          "resolved_yaml = excluded.resolved_yaml, updated_at = excluded.updated_at "
          "WHERE excluded.updated_at > main.experiments.updated_at");
  run_sql(db,
          "INSERT OR IGNORE INTO main.variants (experiment, label, assignments_json) "
          "SELECT experiment, label, assignments_json FROM merge_source.variants");
  summary.variants_added = db.changes();

  // Which source runs to take: finished there, and here missing, unfinished, or finished
  // earlier. Equal finish times keep this store's copy, which makes merging idempotent.
  run_sql(db,
          "CREATE TEMP TABLE merge_taken AS "
          "SELECT s.run_id AS run_id, d.run_id IS NULL AS is_new "
          "FROM merge_source.runs s LEFT JOIN main.runs d ON d.run_id = s.run_id "
          "WHERE s.status = 'finished' AND (d.run_id IS NULL OR d.status != 'finished' "
          "OR s.finished_at > d.finished_at)");
  summary.runs_added = static_cast<int>(count(db, "SELECT count(*) FROM merge_taken WHERE is_new"));
  summary.runs_replaced =
      static_cast<int>(count(db, "SELECT count(*) FROM merge_taken WHERE NOT is_new"));
  summary.runs_kept = static_cast<int>(
      count(db,
            "SELECT count(*) FROM merge_source.runs s JOIN main.runs d ON d.run_id = s.run_id "
            "WHERE s.status = 'finished' AND d.status = 'finished' "
            "AND s.run_id NOT IN (SELECT run_id FROM merge_taken)"));

  // Deleting a replaced run deletes its curve, metrics, action counts and reward components
  // (ON DELETE CASCADE).
  run_sql(db, "DELETE FROM main.runs WHERE run_id IN (SELECT run_id FROM merge_taken)");
  run_sql(db, fmt::format("INSERT INTO main.runs ({0}) SELECT {0} FROM merge_source.runs "
                          "WHERE run_id IN (SELECT run_id FROM merge_taken)",
                          kRunColumns));
  run_sql(db,
          "INSERT INTO main.curves (run_id, env_steps, eval_mean, eval_std, train_episodes, "
          "train_return_mean, wall_s) SELECT run_id, env_steps, eval_mean, eval_std, "
          "train_episodes, train_return_mean, wall_s FROM merge_source.curves "
          "WHERE run_id IN (SELECT run_id FROM merge_taken)");
  run_sql(db,
          "INSERT INTO main.metrics (run_id, name, value) SELECT run_id, name, value "
          "FROM merge_source.metrics WHERE run_id IN (SELECT run_id FROM merge_taken)");
  run_sql(db,
          "INSERT INTO main.action_counts (run_id, action, label, count) "
          "SELECT run_id, action, label, count FROM merge_source.action_counts "
          "WHERE run_id IN (SELECT run_id FROM merge_taken)");
  if (source_has_reward_components) {
    run_sql(db,
            "INSERT INTO main.reward_components (run_id, position, name, mean) "
            "SELECT run_id, position, name, mean FROM merge_source.reward_components "
            "WHERE run_id IN (SELECT run_id FROM merge_taken)");
  }
  run_sql(db, "DROP TABLE temp.merge_taken");
  if (source_schema >= 3) summary.evaluations_added = copy_evaluations(db);
  return summary;
}

}  // namespace

MergeSummary ResultStore::merge(const std::filesystem::path& source) {
  const std::string what = fmt::format("merge {} into it", source.string());
  std::error_code error;
  if (std::filesystem::equivalent(source, impl_->path, error))
    throw StoreError(fmt::format("error: {}: cannot merge a store into itself", source.string()));
  // Opening the source on its own first checks it (exists, is a store, schema not newer) with
  // errors that name it.
  StoreOptions source_options;
  source_options.read_only = true;
  source_options.busy_timeout = impl_->options.busy_timeout;
  const int source_schema = ResultStore::open(source, source_options).impl_->schema_version;

  std::lock_guard lock(impl_->mutex);
  if (impl_->options.read_only)
    throw StoreError(fmt::format("error: {}: could not {}: the store was opened read-only",
                                 impl_->path.string(), what));
  if (impl_->transaction_depth > 0)
    throw StoreError(fmt::format("error: {}: could not {}: a merge cannot be part of a batch",
                                 impl_->path.string(), what));
  detail::Connection& db = impl_->db;
  try {
    detail::Statement attach(db.handle(), "ATTACH DATABASE ?1 AS merge_source");
    attach.bind(1, source.string()).run();
  } catch (const detail::SqliteFailure& failure) {
    impl_->fail(what, failure, false);
  }
  MergeSummary summary;
  try {
    summary = impl_->write(what, [&] { return copy_from_source(db, source_schema); });
  } catch (...) {
    try {
      run_sql(db, "DETACH DATABASE merge_source");
    } catch (const detail::SqliteFailure&) {
      // Detaching fails only while a statement on it runs; none does after the rollback.
    }
    throw;
  }
  try {
    run_sql(db, "DETACH DATABASE merge_source");
  } catch (const detail::SqliteFailure& failure) {
    impl_->fail("detach " + source.string() + " after merging it", failure, false);
  }
  return summary;
}

}  // namespace recrl::store
