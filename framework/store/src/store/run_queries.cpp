// The ResultStore's queries: what `recrl runs`, `compare`, `report`, `recommend --run` and
// `export` read.
#include <bit>

#include <fmt/format.h>

#include "result_store_impl.hpp"

namespace recrl::store {

namespace {

constexpr const char* kRunColumns =
    "run_id, experiment, variant, algorithm, plugin, plugin_version, env_plugin, env_version, "
    "reward_plugin, reward_version, seed, resolved_yaml, status, host, pid, recrl_version, "
    "started_at, heartbeat_at, finished_at, error, policy_path, checkpoint_path, attempts";

RunStatus parse_status(const std::string& text) {
  if (text == "running") return RunStatus::running;
  if (text == "finished") return RunStatus::finished;
  if (text == "failed") return RunStatus::failed;
  return RunStatus::pending;
}

std::optional<std::filesystem::path> optional_path(const detail::Statement& s, int column) {
  if (s.is_null(column)) return std::nullopt;
  return std::filesystem::path(s.text(column));
}

// Reads a row selected with kRunColumns.
RunRecord read_run(const detail::Statement& s) {
  RunRecord r;
  RunInfo& i = r.info;
  i.run_id = s.text(0);
  i.experiment = s.text(1);
  i.variant = s.text(2);
  i.algorithm = s.text(3);
  i.plugin = s.text(4);
  i.plugin_version = s.text(5);
  i.env_plugin = s.text(6);
  i.env_version = s.text(7);
  i.reward_plugin = s.text(8);
  i.reward_version = s.text(9);
  i.seed = std::bit_cast<std::uint64_t>(s.int64(10));
  i.resolved_yaml = s.text(11);
  r.status = parse_status(s.text(12));
  r.host = s.text(13);
  r.pid = s.int64(14);
  r.recrl_version = s.text(15);
  r.started_at = s.optional_real(16);
  r.heartbeat_at = s.optional_real(17);
  r.finished_at = s.optional_real(18);
  r.error = s.text(19);
  r.policy = optional_path(s, 20);
  r.checkpoint = optional_path(s, 21);
  r.attempts = static_cast<int>(s.int64(22));
  return r;
}

ExperimentRecord read_experiment(const detail::Statement& s) {
  return {s.text(0), s.text(1), s.text(2), s.real(3), s.real(4)};
}

}  // namespace

std::vector<ExperimentSummary> ResultStore::experiments() const {
  return impl_->read("list the experiments", [&] {
    auto q = impl_->db.query(
        "SELECT e.name, e.file, e.resolved_yaml, e.created_at, e.updated_at, "
        "count(r.run_id) FILTER (WHERE r.status = 'pending'), "
        "count(r.run_id) FILTER (WHERE r.status = 'running'), "
        "count(r.run_id) FILTER (WHERE r.status = 'finished'), "
        "count(r.run_id) FILTER (WHERE r.status = 'failed') "
        "FROM experiments e LEFT JOIN runs r ON r.experiment = e.name "
        "GROUP BY e.name ORDER BY e.created_at, e.name");
    std::vector<ExperimentSummary> list;
    while (q->step()) {
      list.push_back({read_experiment(*q), static_cast<int>(q->int64(5)),
                      static_cast<int>(q->int64(6)), static_cast<int>(q->int64(7)),
                      static_cast<int>(q->int64(8))});
    }
    return list;
  });
}

std::optional<ExperimentRecord> ResultStore::experiment(const std::string& name) const {
  return impl_->read("read experiment " + name, [&]() -> std::optional<ExperimentRecord> {
    auto q = impl_->db.query(
        "SELECT name, file, resolved_yaml, created_at, updated_at FROM experiments "
        "WHERE name = ?1");
    q->bind(1, name);
    if (!q->step()) return std::nullopt;
    return read_experiment(*q);
  });
}

std::vector<VariantRecord> ResultStore::variants(const std::string& experiment) const {
  return impl_->read("list the variants of " + experiment, [&] {
    auto q = impl_->db.query(
        "SELECT experiment, label, assignments_json FROM variants WHERE experiment = ?1 "
        "ORDER BY label");
    q->bind(1, experiment);
    std::vector<VariantRecord> list;
    while (q->step()) list.push_back({q->text(0), q->text(1), q->text(2)});
    return list;
  });
}

std::vector<RunRecord> ResultStore::runs(const std::optional<std::string>& experiment) const {
  return impl_->read("list the runs", [&] {
    static const std::string sql = fmt::format(
        "SELECT {} FROM runs WHERE ?1 IS NULL OR experiment = ?1 "
        "ORDER BY experiment, variant, algorithm, seed, run_id",
        kRunColumns);
    auto q = impl_->db.query(sql);
    q->bind(1, experiment);
    std::vector<RunRecord> list;
    while (q->step()) list.push_back(read_run(*q));
    return list;
  });
}

std::optional<RunRecord> ResultStore::run(const std::string& run_id) const {
  return impl_->read("read run " + run_id, [&]() -> std::optional<RunRecord> {
    static const std::string sql =
        fmt::format("SELECT {} FROM runs WHERE run_id = ?1", kRunColumns);
    auto q = impl_->db.query(sql);
    q->bind(1, run_id);
    if (!q->step()) return std::nullopt;
    return read_run(*q);
  });
}

RunRecord ResultStore::find_run(const std::string& run_id_or_prefix) const {
  if (std::optional<RunRecord> exact = run(run_id_or_prefix)) return *exact;
  const std::vector<RunRecord> matches = impl_->read("find run " + run_id_or_prefix, [&] {
    // substr rather than LIKE: a run id may hold characters LIKE treats as wildcards.
    static const std::string sql = fmt::format(
        "SELECT {} FROM runs WHERE substr(run_id, 1, length(?1)) = ?1 ORDER BY run_id LIMIT 4",
        kRunColumns);
    auto q = impl_->db.query(sql);
    q->bind(1, run_id_or_prefix);
    std::vector<RunRecord> list;
    while (q->step()) list.push_back(read_run(*q));
    return list;
  });
  const std::string store = impl_->path.string();
  if (matches.empty() || run_id_or_prefix.empty())
    throw StoreError(
        fmt::format("error: {}: no run {} (recrl runs lists the runs)", store, run_id_or_prefix));
  if (matches.size() > 1) {
    std::string names;
    for (std::size_t i = 0; i < matches.size() && i < 3; ++i)
      names += (i > 0 ? ", " : "") + matches[i].info.run_id;
    throw StoreError(fmt::format("error: {}: {} starts several run ids ({}{}): give more of it",
                                 store, run_id_or_prefix, names,
                                 matches.size() > 3 ? ", ..." : ""));
  }
  return matches.front();
}

std::vector<CurvePoint> ResultStore::curve(const std::string& run_id) const {
  return impl_->read("read the learning curve of run " + run_id, [&] {
    auto q = impl_->db.query(
        "SELECT env_steps, eval_mean, eval_std, train_episodes, train_return_mean, wall_s "
        "FROM curves WHERE run_id = ?1 ORDER BY env_steps");
    q->bind(1, run_id);
    std::vector<CurvePoint> points;
    while (q->step())
      points.push_back(
          {q->int64(0), q->real(1), q->real(2), q->int64(3), q->optional_real(4), q->real(5)});
    return points;
  });
}

Metrics ResultStore::metrics(const std::string& run_id) const {
  return impl_->read("read the metrics of run " + run_id, [&] {
    auto q = impl_->db.query("SELECT name, value FROM metrics WHERE run_id = ?1");
    q->bind(1, run_id);
    Metrics metrics;
    while (q->step()) metrics.emplace(q->text(0), q->real(1));
    return metrics;
  });
}

std::map<std::string, Metrics> ResultStore::metrics_by_run(const std::string& experiment) const {
  return impl_->read("read the metrics of experiment " + experiment, [&] {
    auto q = impl_->db.query(
        "SELECT m.run_id, m.name, m.value FROM metrics m JOIN runs r ON r.run_id = m.run_id "
        "WHERE r.experiment = ?1 AND r.status = 'finished'");
    q->bind(1, experiment);
    std::map<std::string, Metrics> by_run;
    while (q->step()) by_run[q->text(0)].emplace(q->text(1), q->real(2));
    return by_run;
  });
}

std::vector<ActionCount> ResultStore::action_counts(const std::string& run_id) const {
  return impl_->read("read the action counts of run " + run_id, [&] {
    auto q = impl_->db.query(
        "SELECT action, label, count FROM action_counts WHERE run_id = ?1 ORDER BY action");
    q->bind(1, run_id);
    std::vector<ActionCount> counts;
    while (q->step()) counts.push_back({static_cast<int>(q->int64(0)), q->text(1), q->int64(2)});
    return counts;
  });
}

std::filesystem::path ResultStore::policy_path(const std::string& run_id) const {
  const std::optional<RunRecord> record = run(run_id);
  if (!record)
    throw StoreError(fmt::format("error: {}: no run {} (recrl runs lists the runs)",
                                 impl_->path.string(), run_id));
  if (record->status != RunStatus::finished || !record->policy || record->policy->empty())
    throw StoreError(fmt::format("error: {}: run {} has no policy (it is {})", impl_->path.string(),
                                 run_id, to_string(record->status)));
  return *record->policy;
}

std::vector<RewardComponentMean> ResultStore::reward_components(const std::string& run_id) const {
  if (impl_->schema_version < 2) return {};
  return impl_->read("read the reward components of run " + run_id, [&] {
    auto q = impl_->db.query(
        "SELECT name, mean FROM reward_components WHERE run_id = ?1 ORDER BY position");
    q->bind(1, run_id);
    std::vector<RewardComponentMean> components;
    while (q->step()) components.push_back({q->text(0), q->real(1)});
    return components;
  });
}

std::map<std::string, std::vector<RewardComponentMean>> ResultStore::reward_components_by_run(
    const std::string& experiment) const {
  if (impl_->schema_version < 2) return {};
  return impl_->read("read the reward components of experiment " + experiment, [&] {
    auto q = impl_->db.query(
        "SELECT c.run_id, c.name, c.mean FROM reward_components c "
        "JOIN runs r ON r.run_id = c.run_id WHERE r.experiment = ?1 AND r.status = 'finished' "
        "ORDER BY c.run_id, c.position");
    q->bind(1, experiment);
    std::map<std::string, std::vector<RewardComponentMean>> by_run;
    while (q->step()) by_run[q->text(0)].push_back({q->text(1), q->real(2)});
    return by_run;
  });
}

}  // namespace recrl::store
