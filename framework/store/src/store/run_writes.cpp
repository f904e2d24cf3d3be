// The ResultStore's writes: experiments, variants, and a run's life from claim to finish.
#include <bit>
#include <cmath>

#include <fmt/format.h>

#include "result_store_impl.hpp"

namespace recrl::store {

namespace {

using detail::Connection;

// SQLite stores a NaN as NULL, which would read back as 0: a NaN is refused up front.
[[noreturn]] void refuse_nan(const std::filesystem::path& store, std::string_view what) {
  throw StoreError(fmt::format("error: {}: {} is NaN; it is not stored", store.string(), what));
}

std::string_view status_text(RunStatus status) { return to_string(status); }

struct ExistingRun {
  std::string status;
  std::string host;
  std::int64_t pid = 0;
  std::optional<double> heartbeat_at;
  std::optional<std::string> checkpoint;
};

std::optional<ExistingRun> find_existing(Connection& db, const std::string& run_id) {
  auto q = db.query(
      "SELECT status, host, pid, heartbeat_at, checkpoint_path FROM runs WHERE run_id = ?1");
  q->bind(1, run_id);
  if (!q->step()) return std::nullopt;
  return ExistingRun{q->text(0), q->text(1), q->int64(2), q->optional_real(3), q->optional_text(4)};
}

Claim decide(const std::optional<ExistingRun>& existing, const detail::ProcessIdentity& me,
             Timestamp now, std::chrono::seconds stale_after) {
  Claim claim;
  if (!existing) {
    claim.run_it = true;
    claim.reason = ClaimReason::new_run;
    return claim;
  }
  if (existing->checkpoint) claim.checkpoint = *existing->checkpoint;
  if (existing->pid != 0)
    claim.previous_owner = existing->host + ":" + std::to_string(existing->pid);
  const std::string& status = existing->status;
  if (status == "finished") {
    claim.reason = ClaimReason::already_finished;
  } else if (status == "pending") {
    claim.run_it = true;
    claim.reason = ClaimReason::planned;
  } else if (status == "failed") {
    claim.run_it = true;
    claim.reason = ClaimReason::retry_failed;
  } else {
    const bool stale = !existing->heartbeat_at ||
                       now - *existing->heartbeat_at > static_cast<double>(stale_after.count());
    if (existing->host == me.host && !detail::process_alive(existing->pid)) {
      claim.run_it = true;
      claim.reason = ClaimReason::owner_died;
    } else if (stale) {
      claim.run_it = true;
      claim.reason = ClaimReason::owner_silent;
    } else {
      claim.reason = ClaimReason::running_elsewhere;
    }
  }
  return claim;
}

void require_run(Connection& db, const std::filesystem::path& store, const std::string& run_id) {
  auto q = db.query("SELECT 1 FROM runs WHERE run_id = ?1");
  q->bind(1, run_id);
  if (!q->step()) throw StoreError(fmt::format("error: {}: no run {}", store.string(), run_id));
}

void insert_curve_points(ResultStore::Impl& impl, const std::string& run_id,
                         std::span<const CurvePoint> points) {
  auto q = impl.db.query(
      "INSERT OR REPLACE INTO curves (run_id, env_steps, eval_mean, eval_std, train_episodes, "
      "train_return_mean, wall_s) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
  for (const CurvePoint& p : points) {
    if (std::isnan(p.eval_mean) || std::isnan(p.eval_std))
      refuse_nan(impl.path,
                 fmt::format("the evaluation at {} env steps of run {}", p.env_steps, run_id));
    q->bind_all(run_id, p.env_steps, p.eval_mean, p.eval_std, p.train_episodes);
    if (p.train_return_mean && !std::isnan(*p.train_return_mean))
      q->bind(6, *p.train_return_mean);
    else
      q->bind_null(6);
    q->bind(7, p.wall_s).run();
    q->reset();
  }
}

// Heartbeats the run if this process owns it; true if it does.
bool touch(ResultStore::Impl& impl, const std::string& run_id) {
  auto q = impl.db.query(
      "UPDATE runs SET heartbeat_at = ?1 "
      "WHERE run_id = ?2 AND status = 'running' AND host = ?3 AND pid = ?4");
  q->bind_all(detail::now(), run_id, impl.owner.host, impl.owner.pid).run();
  return impl.db.changes() > 0;
}

}  // namespace

void ResultStore::record_experiment(const ExperimentRecord& experiment) {
  impl_->write(fmt::format("record experiment {}", experiment.name), [&] {
    auto q = impl_->db.query(
        "INSERT INTO experiments (name, file, resolved_yaml, created_at, updated_at) "
        "VALUES (?1, ?2, ?3, ?4, ?4) "
        "ON CONFLICT (name) DO UPDATE SET file = excluded.file, "
        "resolved_yaml = excluded.resolved_yaml, updated_at = excluded.updated_at");
    q->bind_all(experiment.name, experiment.file, experiment.resolved_yaml, detail::now()).run();
  });
}

void ResultStore::record_variant(const VariantRecord& variant) {
  impl_->write(fmt::format("record variant {} of experiment {}", variant.label, variant.experiment),
               [&] {
                 auto q = impl_->db.query(
                     "INSERT INTO variants (experiment, label, assignments_json) "
                     "VALUES (?1, ?2, ?3) ON CONFLICT (experiment, label) DO UPDATE SET "
                     "assignments_json = excluded.assignments_json");
                 q->bind_all(variant.experiment, variant.label, variant.assignments_json).run();
               });
}

namespace {

// The columns a caller gives about a run, in this order, as ?1 .. ?12.
constexpr const char* kRunInfoColumns =
    "run_id, experiment, variant, algorithm, plugin, plugin_version, env_plugin, env_version, "
    "reward_plugin, reward_version, seed, resolved_yaml";

void bind_run_info(detail::Statement& s, const RunInfo& run) {
  // A uint64 seed is kept as the same 64 bits in SQLite's signed INTEGER.
  s.bind_all(run.run_id, run.experiment, run.variant, run.algorithm, run.plugin, run.plugin_version,
             run.env_plugin, run.env_version, run.reward_plugin, run.reward_version,
             std::bit_cast<std::int64_t>(run.seed), run.resolved_yaml);
}

}  // namespace

void ResultStore::plan_run(const RunInfo& run) {
  impl_->write(fmt::format("plan run {}", run.run_id), [&] {
    static const std::string sql = fmt::format(
        "INSERT OR IGNORE INTO runs ({}, status) VALUES "
        "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, 'pending')",
        kRunInfoColumns);
    auto q = impl_->db.query(sql);
    bind_run_info(*q, run);
    q->run();
  });
}

Claim ResultStore::inspect_claim(const std::string& run_id) const {
  return impl_->read("look at run " + run_id, [&] {
    return decide(find_existing(impl_->db, run_id), impl_->owner, detail::now(),
                  impl_->options.stale_after);
  });
}

Claim ResultStore::claim_run(const RunInfo& run) {
  return impl_->write(fmt::format("claim run {}", run.run_id), [&] {
    const Timestamp now = detail::now();
    const Claim claim =
        decide(find_existing(impl_->db, run.run_id), impl_->owner, now, impl_->options.stale_after);
    if (!claim.run_it) return claim;
    static const std::string sql = fmt::format(
        "INSERT INTO runs ({}, status, host, pid, recrl_version, started_at, heartbeat_at, "
        "attempts) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, 'running', ?13, "
        "?14, ?15, ?16, ?16, 1) "
        "ON CONFLICT (run_id) DO UPDATE SET experiment = excluded.experiment, "
        "variant = excluded.variant, algorithm = excluded.algorithm, plugin = excluded.plugin, "
        "plugin_version = excluded.plugin_version, env_plugin = excluded.env_plugin, "
        "env_version = excluded.env_version, reward_plugin = excluded.reward_plugin, "
        "reward_version = excluded.reward_version, seed = excluded.seed, "
        "resolved_yaml = excluded.resolved_yaml, status = 'running', host = excluded.host, "
        "pid = excluded.pid, recrl_version = excluded.recrl_version, "
        "started_at = excluded.started_at, heartbeat_at = excluded.heartbeat_at, "
        "finished_at = NULL, error = '', policy_path = NULL, attempts = attempts + 1",
        kRunInfoColumns);
    auto q = impl_->db.query(sql);
    bind_run_info(*q, run);
    q->bind(13, impl_->owner.host)
        .bind(14, impl_->owner.pid)
        .bind(15, impl_->options.recrl_version)
        .bind(16, now)
        .run();
    return claim;
  });
}

bool ResultStore::reset_run(const std::string& run_id) {
  return impl_->write(fmt::format("reset run {}", run_id), [&] {
    {
      auto q = impl_->db.query(
          "UPDATE runs SET status = 'pending', finished_at = NULL, error = '', "
          "policy_path = NULL, checkpoint_path = NULL WHERE run_id = ?1 AND status != 'running'");
      q->bind(1, run_id).run();
    }
    if (impl_->db.changes() == 0) return false;
    for (const char* sql :
         {"DELETE FROM curves WHERE run_id = ?1", "DELETE FROM metrics WHERE run_id = ?1",
          "DELETE FROM action_counts WHERE run_id = ?1",
          "DELETE FROM reward_components WHERE run_id = ?1"}) {
      auto q = impl_->db.query(sql);
      q->bind(1, run_id).run();
    }
    return true;
  });
}

bool ResultStore::heartbeat(const std::string& run_id) {
  return impl_->write(fmt::format("heartbeat run {}", run_id),
                      [&] { return touch(*impl_, run_id); });
}

void ResultStore::set_checkpoint(const std::string& run_id,
                                 const std::filesystem::path& checkpoint) {
  impl_->write(fmt::format("record the checkpoint of run {}", run_id), [&] {
    require_run(impl_->db, impl_->path, run_id);
    auto q = impl_->db.query("UPDATE runs SET checkpoint_path = ?1 WHERE run_id = ?2");
    q->bind_all(checkpoint.string(), run_id).run();
    touch(*impl_, run_id);
  });
}

void ResultStore::add_curve_point(const std::string& run_id, const CurvePoint& point) {
  add_curve_points(run_id, std::span<const CurvePoint>(&point, 1));
}

void ResultStore::add_curve_points(const std::string& run_id, std::span<const CurvePoint> points) {
  impl_->write(fmt::format("add learning-curve points to run {}", run_id), [&] {
    require_run(impl_->db, impl_->path, run_id);
    insert_curve_points(*impl_, run_id, points);
    touch(*impl_, run_id);
  });
}

bool ResultStore::finish_run(const std::string& run_id, const FinishedRun& result) {
  for (const auto& [name, value] : result.metrics)
    if (std::isnan(value)) refuse_nan(impl_->path, "metric " + name + " of run " + run_id);
  for (const RewardComponentMean& c : result.reward_components)
    if (std::isnan(c.mean))
      refuse_nan(impl_->path, "reward component " + c.name + " of run " + run_id);
  return impl_->write(fmt::format("record the end of run {}", run_id), [&] {
    {
      auto q = impl_->db.query("SELECT status FROM runs WHERE run_id = ?1");
      q->bind(1, run_id);
      if (!q->step())
        throw StoreError(fmt::format("error: {}: no run {}", impl_->path.string(), run_id));
      if (q->text(0) == status_text(RunStatus::finished)) return false;
    }
    {
      auto q = impl_->db.query(
          "UPDATE runs SET status = 'finished', finished_at = ?1, heartbeat_at = ?1, "
          "policy_path = ?2, checkpoint_path = NULL, error = '' WHERE run_id = ?3");
      q->bind_all(detail::now(), result.policy.string(), run_id).run();
    }
    {
      auto q = impl_->db.query("DELETE FROM metrics WHERE run_id = ?1");
      q->bind(1, run_id).run();
    }
    {
      auto q = impl_->db.query("INSERT INTO metrics (run_id, name, value) VALUES (?1, ?2, ?3)");
      for (const auto& [name, value] : result.metrics) {
        q->bind_all(run_id, name, value).run();
        q->reset();
      }
    }
    {
      auto q = impl_->db.query("DELETE FROM action_counts WHERE run_id = ?1");
      q->bind(1, run_id).run();
    }
    {
      auto q = impl_->db.query(
          "INSERT INTO action_counts (run_id, action, label, count) VALUES (?1, ?2, ?3, ?4)");
      for (const ActionCount& a : result.action_counts) {
        q->bind_all(run_id, a.action, a.label, a.count).run();
        q->reset();
      }
    }
    {
      auto q = impl_->db.query("DELETE FROM reward_components WHERE run_id = ?1");
      q->bind(1, run_id).run();
    }
    {
      auto q = impl_->db.query(
          "INSERT INTO reward_components (run_id, position, name, mean) VALUES (?1, ?2, ?3, ?4)");
      for (std::size_t i = 0; i < result.reward_components.size(); ++i) {
        const RewardComponentMean& c = result.reward_components[i];
        q->bind_all(run_id, static_cast<std::int64_t>(i), c.name, c.mean).run();
        q->reset();
      }
    }
    return true;
  });
}

void ResultStore::fail_run(const std::string& run_id, const std::string& message) {
  impl_->write(fmt::format("record the failure of run {}", run_id), [&] {
    require_run(impl_->db, impl_->path, run_id);
    // A run another live process has taken over is theirs to finish or fail.
    auto q = impl_->db.query(
        "UPDATE runs SET status = 'failed', error = ?1, finished_at = ?2 "
        "WHERE run_id = ?3 AND status != 'finished' "
        "AND NOT (status = 'running' AND (host != ?4 OR pid != ?5))");
    q->bind_all(message, detail::now(), run_id, impl_->owner.host, impl_->owner.pid).run();
  });
}

}  // namespace recrl::store
