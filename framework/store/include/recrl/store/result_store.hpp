#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "recrl/core/export.hpp"
#include "recrl/store/records.hpp"
#include "recrl/store/store_error.hpp"

namespace recrl::store {

inline constexpr const char* kDefaultStorePath = "results/recrl.db";

struct StoreOptions {
  // Written into the store's meta table and into every run this process claims.
  std::string recrl_version = "unknown";
  // How long a write waits for another process's write to end before it gives up with a
  // "locked" StoreError. Writes are short, so a wait this long means a stuck writer.
  std::chrono::milliseconds busy_timeout{10000};
  // A running run whose heartbeat is older than this is taken over by claim_run, whichever
  // host owns it (see docs/result-store.md). Owners heartbeat far more often.
  std::chrono::seconds stale_after{600};
  // Open for queries only: nothing is created, every write fails with a StoreError.
  bool read_only = false;
  // 0: no limit. Otherwise a write that would grow the store beyond this many bytes fails as if
  // the disk were full (and rolls back), e.g. to keep a store within a quota.
  std::int64_t size_limit_bytes = 0;
};

// The SQLite result store: experiments, variants, runs, learning curves, final metrics and
// action counts in one file, the source of every table and report.
//
// Safe to use from several threads (one lock per store object) and from several processes at
// once (WAL journal, a busy timeout, and every multi-statement write in one BEGIN IMMEDIATE
// transaction). Each write is all or nothing; a failed write throws a StoreError that says it
// was rolled back. Do not carry an open store across fork(): open one in the child.
class RECRL_API ResultStore {
 public:
  struct Impl;  // the connection and its lock (src/store/result_store_impl.hpp)

  // The store schema this recrl reads and writes. A store with a newer one is refused; an
  // older one is read as it is, and upgraded when opened to write.
  static constexpr int kSchemaVersion = 3;

  // Opens `path`, creating its folders and the schema if it does not exist yet (unless
  // read_only). Throws StoreError naming the file when it is not a database, not a recrl store,
  // written by a newer schema, or locked beyond the busy timeout.
  static ResultStore open(const std::filesystem::path& path, const StoreOptions& options = {});

  ResultStore(ResultStore&&) noexcept;
  ResultStore& operator=(ResultStore&&) noexcept;
  ResultStore(const ResultStore&) = delete;
  ResultStore& operator=(const ResultStore&) = delete;
  ~ResultStore();

  const std::filesystem::path& path() const;

  // Groups the writes made while it lives (by this thread) into one transaction: committed by
  // commit(), rolled back if destroyed without it. Inserting many runs in one batch is far
  // faster than one transaction each. Other threads using this store wait meanwhile.
  class RECRL_API Batch {
   public:
    Batch(Batch&&) noexcept;
    Batch(const Batch&) = delete;
    Batch& operator=(const Batch&) = delete;
    Batch& operator=(Batch&&) = delete;
    ~Batch();
    void commit();

   private:
    friend class ResultStore;
    explicit Batch(ResultStore& store);
    Impl* impl_;  // null once committed or moved from
  };
  Batch begin_batch();

  // ---- writes ----
  // Inserts or updates the experiment by name (created_at is kept, updated_at set).
  void record_experiment(const ExperimentRecord& experiment);
  // Inserts or updates the variant by (experiment, label).
  void record_variant(const VariantRecord& variant);
  // Records a planned run as pending, unless the store already has it. Lets `recrl runs` show
  // the whole plan before anything ran.
  void plan_run(const RunInfo& run);
  // Decides whether this process should do the run, and if so marks it running with this
  // process's host, pid, recrl version and start time, atomically: of several processes that
  // claim the same run at once, exactly one gets run_it == true. The rule:
  //   not in the store, pending, failed          -> run it
  //   finished                                   -> skip it
  //   running, owner on this host and dead       -> take it over
  //   running, heartbeat older than stale_after  -> take it over (any host: dead or hung)
  //   running otherwise                          -> leave it
  Claim claim_run(const RunInfo& run);
  // What claim_run would decide for this run now, changing nothing: whether its owner still
  // runs it (running_elsewhere), died or went silent, or it is finished, failed or pending.
  Claim inspect_claim(const std::string& run_id) const;
  // Makes a finished, failed or pending run pending again and deletes its curve, final metrics,
  // action counts, policy path and checkpoint, in one transaction, so that the next claim_run
  // runs it from zero (how `recrl run` without --resume redoes a run). A running run is left
  // as it is: claim_run decides about it. Returns whether the run was reset; false when the
  // store has no such run or it is running.
  bool reset_run(const std::string& run_id);
  // Tells other processes this run's owner is alive. Returns false when this process no longer
  // owns the run (another took it over, or it is not running), so the caller may stop.
  bool heartbeat(const std::string& run_id);
  // Records the latest checkpoint of a running run (and heartbeats).
  void set_checkpoint(const std::string& run_id, const std::filesystem::path& checkpoint);
  // Adds (or replaces, by env_steps) points of the run's learning curve (and heartbeats).
  void add_curve_point(const std::string& run_id, const CurvePoint& point);
  void add_curve_points(const std::string& run_id, std::span<const CurvePoint> points);
  // Marks the run finished with its final metrics, policy, action counts and reward
  // components, in one
  // transaction. Returns false and changes nothing when the run was already finished (by a
  // process that took it over, say): the first to finish wins. Drops the checkpoint path:
  // a finished run has nothing to resume.
  bool finish_run(const std::string& run_id, const FinishedRun& result);
  // Marks the run failed with a one-line message (unless it is finished).
  void fail_run(const std::string& run_id, const std::string& message);
  // Records an off-policy evaluation with its estimates, replacing one of the same
  // evaluation_id, in one transaction.
  void record_ope(const OpeRecord& evaluation);

  // ---- queries ----
  std::vector<ExperimentSummary> experiments() const;
  std::optional<ExperimentRecord> experiment(const std::string& name) const;
  std::vector<VariantRecord> variants(const std::string& experiment) const;
  // Every run (of one experiment, if given), ordered by experiment, variant, algorithm, seed.
  std::vector<RunRecord> runs(const std::optional<std::string>& experiment = std::nullopt) const;
  std::optional<RunRecord> run(const std::string& run_id) const;
  // The run whose id is `run_id_or_prefix` or uniquely starts with it (as git does with
  // commits). Throws StoreError when none or several match.
  RunRecord find_run(const std::string& run_id_or_prefix) const;
  std::vector<CurvePoint> curve(const std::string& run_id) const;  // by env_steps
  Metrics metrics(const std::string& run_id) const;
  // Final metrics of every finished run of the experiment, by run id.
  std::map<std::string, Metrics> metrics_by_run(const std::string& experiment) const;
  std::vector<ActionCount> action_counts(const std::string& run_id) const;  // by action
  // The mean of each reward component over the run's final evaluation, in the reward's order;
  // empty for a reward without components (or a store of schema 1).
  std::vector<RewardComponentMean> reward_components(const std::string& run_id) const;
  // The same for every finished run of the experiment, by run id.
  std::map<std::string, std::vector<RewardComponentMean>> reward_components_by_run(
      const std::string& experiment) const;
  // Off-policy evaluations (of one experiment, if given), by experiment, label and time; empty
  // for a store of schema 1 or 2.
  std::vector<OpeRecord> ope_results(
      const std::optional<std::string>& experiment = std::nullopt) const;
  // The finished run's policy file. Throws StoreError when the run is unknown or has none.
  std::filesystem::path policy_path(const std::string& run_id) const;

  // ---- maintenance ----
  // Copies every experiment, variant and finished run (with its curve, metrics, action counts
  // and reward components) of the store at `source` into this one, in one transaction, and
  // its off-policy evaluations that this one lacks or has older. A run both
  // have is taken from `source` only when it is finished there and here it is not finished, or
  // finished earlier. Idempotent: merging the same store again changes nothing.
  MergeSummary merge(const std::filesystem::path& source);
  // SQLite's integrity check plus recrl's invariants (every finished run has its metrics):
  // one line per problem, empty when the store is sound.
  std::vector<std::string> integrity_problems() const;

 private:
  explicit ResultStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace recrl::store
