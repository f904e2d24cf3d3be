// End-to-end: recrl runs, compare, export, merge and recommend --run on stores filled through
// the store's API (and, where a real policy is needed, a policy file that `recrl run` wrote).
#include <unistd.h>

#include <fstream>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "../store/store_test_support.hpp"
#include "cli.hpp"

using namespace recrl;
using recrl::test::read_text;
using recrl::test::run_recrl;
using recrl::test::scratch_dir;

namespace {

// Run ids as the runner makes them: 16 hex digits. The first two share 11 digits, so the
// 12 that `recrl runs` shows tell them apart and a shorter prefix does not.
const std::string kFirstRun = "a1b2c3d4e5f60001";
const std::string kSecondRun = "a1b2c3d4e5f70002";
const std::string kFailedRun = "0f0f0f0f0f0f0003";
const std::string kPendingRun = "0e0e0e0e0e0e0004";

store::RunInfo run_of(const std::string& experiment, const std::string& run_id, std::uint64_t seed,
                      const std::string& algorithm) {
  store::RunInfo run = test::run_info(experiment, run_id, seed, algorithm);
  run.variant = "";
  return run;
}

void finish(store::ResultStore& db, const store::RunInfo& run, double eval_mean,
            const std::filesystem::path& policy) {
  REQUIRE(db.claim_run(run).run_it);
  store::FinishedRun finished = test::finished_of(eval_mean);
  finished.policy = policy;
  REQUIRE(db.finish_run(run.run_id, finished));
}

// Experiment "demo": two finished random runs (with `policy` as their policy file), one failed
// oracle run, one pending oracle run.
std::filesystem::path demo_store(const std::filesystem::path& dir,
                                 const std::filesystem::path& policy = "missing.recrl") {
  const auto file = dir / "store.db";
  store::ResultStore db = store::ResultStore::open(file, test::store_options());
  db.record_experiment(test::experiment_record("demo"));
  finish(db, run_of("demo", kFirstRun, 0, "random"), 0.25, policy);
  finish(db, run_of("demo", kSecondRun, 1, "random"), 0.375, policy);
  const store::RunInfo failed = run_of("demo", kFailedRun, 0, "oracle");
  REQUIRE(db.claim_run(failed).run_it);
  db.fail_run(failed.run_id, "boom: the disk is full");
  db.plan_run(run_of("demo", kPendingRun, 1, "oracle"));
  return file;
}

// A real policy file: the oracle of a tiny experiment, trained by `recrl run`.
std::filesystem::path trained_policy(const std::filesystem::path& dir) {
  std::ofstream(dir / "tiny.yaml") << "name: tiny\n"
                                      "env: {plugin: recommendation, params: {users: {source: "
                                      "synthetic}}}\n"
                                      "reward: {plugin: seed_rules}\n"
                                      "algorithms: [{plugin: oracle}]\n"
                                      "seeds: [0]\n"
                                      "train: {timesteps: 100}\n"
                                      "eval: {episodes: 50}\n"
                                      "output: out\n";
  const auto run = run_recrl("run tiny.yaml --quiet", dir);
  INFO(run.err);
  REQUIRE(run.status == 0);
  const auto policy = dir / "out" / "runs" / "oracle__s0" / "policy.recrl";
  REQUIRE(std::filesystem::is_regular_file(policy));
  return std::filesystem::absolute(policy);
}

std::size_t finished_runs(const std::filesystem::path& file) {
  store::StoreOptions options = test::store_options();
  options.read_only = true;
  const auto db = store::ResultStore::open(file, options);
  std::size_t count = 0;
  for (const auto& run : db.runs()) count += run.status == store::RunStatus::finished;
  return count;
}

const std::string kUser =
    "\"recency=15,frequency=3,monetary_value=200,engagement_score=0.78,discount_sensitive=1,"
    "free_shipping_preferred=0,email_opens=0.87,sms_response=0.12,push_response=0.05,"
    "last_purchase_days=8\"";

}  // namespace

TEST_CASE("recrl runs lists the runs with short ids status and errors", "[e2e][store_cli]") {
  const auto dir = scratch_dir("store_cli_runs");
  demo_store(dir);
  const auto all = run_recrl("runs --db store.db", dir);
  INFO(all.err);
  REQUIRE(all.status == 0);
  CHECK_THAT(all.out, Catch::StartsWith("run           experiment  algorithm  seed  status"));
  CHECK_THAT(all.out,
             Catch::Contains(kFirstRun.substr(0, 12) + "  demo") && !Catch::Contains(kFirstRun));
  CHECK_THAT(all.out, Catch::Contains("finished") && Catch::Contains("100000") &&
                          Catch::Contains("0.2500") && Catch::Contains("pending"));
  CHECK_THAT(all.out,
             Catch::Contains("failed") && Catch::Contains("\n    error: boom: the disk is full\n"));

  const auto failed = run_recrl("runs demo --db store.db --status failed", dir);
  REQUIRE(failed.status == 0);
  CHECK_THAT(failed.out, Catch::Contains(kFailedRun.substr(0, 12)) &&
                             !Catch::Contains(kFirstRun.substr(0, 12)) &&
                             !Catch::Contains("pending"));
}

TEST_CASE("recrl runs refuses a missing store an unknown experiment and a bad status",
          "[e2e][store_cli]") {
  const auto dir = scratch_dir("store_cli_runs_errors");
  const auto missing = run_recrl("runs", dir);
  CHECK(missing.status == 2);
  CHECK(missing.err ==
        "error: results/recrl.db: no such result store (recrl run writes one; --db FILE names "
        "another)\n");
  CHECK_FALSE(std::filesystem::exists(dir / "results"));

  demo_store(dir);
  const auto unknown = run_recrl("runs nope --db store.db", dir);
  CHECK(unknown.status == 2);
  CHECK(unknown.err == "error: store.db: no experiment 'nope' (experiments: demo)\n");
  const auto status = run_recrl("runs --db store.db --status done", dir);
  CHECK(status.status == 2);
  CHECK(status.err ==
        "error: --status 'done': not a run status (accepted: pending, running, finished, "
        "failed)\n");
}

TEST_CASE("recrl compare prints the table in every format and refuses bad arguments",
          "[e2e][store_cli]") {
  const auto dir = scratch_dir("store_cli_compare");
  demo_store(dir);
  const auto table = run_recrl("compare demo --db store.db", dir);
  INFO(table.err);
  REQUIRE(table.status == 0);
  CHECK_THAT(table.out, Catch::StartsWith("eval_mean: ") && Catch::Contains("IQM [95% CI]") &&
                            Catch::Contains("random") && Catch::Contains("0.3125 ["));
  const auto md = run_recrl("compare --db store.db --format md --metric pct_oracle", dir);
  REQUIRE(md.status == 0);
  CHECK_THAT(md.out, Catch::Contains("| demo | random | 2 | 80.50 [80.50, 80.50] |"));
  const auto csv = run_recrl("compare demo --db store.db --format csv", dir);
  REQUIRE(csv.status == 0);
  CHECK_THAT(csv.out, Catch::Contains("\ndemo,,random,random,eval_mean,2,0.3125,"));
  const auto json =
      run_recrl("compare demo demo --db store.db --format json --confidence 0.9", dir);
  REQUIRE(json.status == 0);
  const auto doc = nlohmann::json::parse(json.out);
  CHECK(doc["confidence"] == 0.9);
  CHECK(doc["rows"].size() == 1);

  const auto unknown = run_recrl("compare demo nope --db store.db", dir);
  CHECK(unknown.status == 2);
  CHECK(unknown.err == "error: store.db: no experiment 'nope' (experiments: demo)\n");
  const auto metric = run_recrl("compare --db store.db --metric reward", dir);
  CHECK(metric.status == 2);
  CHECK_THAT(metric.err, Catch::Contains("accepted: eval_mean, pct_oracle, steps_per_s, wall_s, "
                                         "env_steps"));
  const auto format = run_recrl("compare --db store.db --format xml", dir);
  CHECK(format.status == 2);
  CHECK(format.err == "error: --format 'xml': not a format (accepted: table, md, csv, json)\n");
  const auto confidence = run_recrl("compare --db store.db --confidence 1.5", dir);
  CHECK(confidence.status == 2);
  CHECK_THAT(confidence.err, Catch::Contains("1.5"));
  CHECK(run_recrl("compare --db other.db", dir).status == 2);
  CHECK_FALSE(std::filesystem::exists(dir / "other.db"));
}

TEST_CASE("recrl export copies a stored policy byte for byte and refuses what it cannot copy",
          "[e2e][store_cli]") {
  const auto dir = scratch_dir("store_cli_export");
  std::ofstream(dir / "policy.recrl", std::ios::binary) << std::string("policy\0bytes\n\xff", 14);
  demo_store(dir, dir / "policy.recrl");

  const auto ok =
      run_recrl("export " + kFirstRun.substr(0, 12) + " --out copied/p.recrl --db store.db", dir);
  INFO(ok.err);
  REQUIRE(ok.status == 0);
  CHECK(ok.out == "exported the policy of run " + kFirstRun + " to copied/p.recrl\n");
  CHECK(read_text(dir / "copied/p.recrl") == read_text(dir / "policy.recrl"));
  CHECK_FALSE(std::filesystem::exists(dir / "copied/p.recrl.partial"));

  const auto exists =
      run_recrl("export " + kSecondRun + " --out copied/p.recrl --db store.db", dir);
  CHECK(exists.status == 2);
  CHECK(exists.err == "error: --out copied/p.recrl: the file exists (--force replaces it)\n");
  CHECK(run_recrl("export " + kSecondRun + " --out copied/p.recrl --force --db store.db", dir)
            .status == 0);

  const auto ambiguous = run_recrl("export a1b2 --out x.recrl --db store.db", dir);
  CHECK(ambiguous.status == 2);
  CHECK_THAT(ambiguous.err, Catch::Contains("a1b2 starts several run ids"));
  const auto unknown = run_recrl("export ffff --out x.recrl --db store.db", dir);
  CHECK(unknown.status == 2);
  CHECK(unknown.err == "error: store.db: no run ffff (recrl runs lists the runs)\n");
  const auto pending = run_recrl("export " + kPendingRun + " --out x.recrl --db store.db", dir);
  CHECK(pending.status == 2);
  CHECK_THAT(pending.err, Catch::Contains("has no policy (it is pending)"));
  CHECK_FALSE(std::filesystem::exists(dir / "x.recrl"));

  std::filesystem::remove(dir / "policy.recrl");
  const auto gone = run_recrl("export " + kFirstRun + " --out x.recrl --db store.db", dir);
  CHECK(gone.status == 2);
  CHECK_THAT(gone.err, Catch::Contains("the policy file of run " + kFirstRun + " is missing"));
  CHECK_FALSE(std::filesystem::exists(dir / "x.recrl"));
}

TEST_CASE("recrl merge brings shard stores together once and skips a bad source",
          "[e2e][store_cli]") {
  const auto dir = scratch_dir("store_cli_merge");
  {
    store::ResultStore one = store::ResultStore::open(dir / "one.db", test::store_options());
    store::ResultStore two = store::ResultStore::open(dir / "two.db", test::store_options());
    one.record_experiment(test::experiment_record("demo"));
    two.record_experiment(test::experiment_record("demo"));
    finish(one, run_of("demo", kFirstRun, 0, "random"), 0.3, "p0");
    finish(two, run_of("demo", kSecondRun, 1, "random"), 0.4, "p1");
    two.plan_run(run_of("demo", kPendingRun, 2, "random"));
  }
  const auto first = run_recrl("merge one.db two.db --into merged.db", dir);
  INFO(first.err);
  REQUIRE(first.status == 0);
  CHECK(first.out ==
        "one.db: 1 run added, 0 updated, 0 skipped (already here); 1 experiment added, 0 "
        "variants added\n"
        "two.db: 1 run added, 0 updated, 0 skipped (already here); 0 experiments added, 0 "
        "variants added\n"
        "merged 2 of 2 stores into merged.db\n");
  CHECK(finished_runs(dir / "merged.db") == 2);

  const auto again = run_recrl("merge one.db two.db --into merged.db", dir);
  REQUIRE(again.status == 0);
  CHECK_THAT(again.out, Catch::Contains("one.db: 0 runs added, 0 updated, 1 skipped") &&
                            Catch::Contains("two.db: 0 runs added, 0 updated, 1 skipped"));
  CHECK(finished_runs(dir / "merged.db") == 2);

  // A corrupt and a newer source are reported and skipped; the good one is still merged.
  std::ofstream(dir / "junk.db") << std::string(4096, 'x');
  {
    store::ResultStore newer = store::ResultStore::open(dir / "newer.db", test::store_options());
    newer.record_experiment(test::experiment_record("other"));
    finish(newer, run_of("other", "5555555555550001", 0, "random"), 0.5, "p");
  }
  test::execute_sql(dir / "newer.db", "UPDATE meta SET value = '9' WHERE key = 'schema_version';");
  const auto bad = run_recrl("merge junk.db newer.db one.db --into merged.db", dir);
  CHECK(bad.status == 2);
  CHECK_THAT(bad.err, Catch::Contains("junk.db: could not open the store: the file is not a "
                                      "SQLite database, or a corrupt one (not merged)"));
  CHECK_THAT(bad.err, Catch::Contains("newer.db was written by") &&
                          Catch::Contains("upgrade recrl (not merged)"));
  CHECK_THAT(bad.out, Catch::Contains("merged 1 of 3 stores into merged.db"));
  CHECK(finished_runs(dir / "merged.db") == 2);

  const auto self = run_recrl("merge merged.db --into merged.db", dir);
  CHECK(self.status == 2);
  CHECK_THAT(self.err, Catch::Contains("cannot merge a store into itself"));
}

TEST_CASE("recrl recommend --run answers as --policy with the stored run's file",
          "[e2e][store_cli]") {
  const auto dir = scratch_dir("store_cli_recommend");
  const auto policy = trained_policy(dir);
  demo_store(dir, policy);

  const auto by_file =
      run_recrl("recommend --policy '" + policy.string() + "' --user " + kUser, dir);
  INFO(by_file.err);
  REQUIRE(by_file.status == 0);
  const auto by_run =
      run_recrl("recommend --run " + kSecondRun + " --db store.db --user " + kUser, dir);
  INFO(by_run.err);
  REQUIRE(by_run.status == 0);
  CHECK(by_run.out == by_file.out);
  CHECK_THAT(by_run.out, Catch::Contains("Agent Action Chosen:"));

  const auto both = run_recrl("recommend --policy '" + policy.string() + "' --run " + kSecondRun +
                                  " --db store.db --user " + kUser,
                              dir);
  CHECK(both.status == 2);
  CHECK(both.err == "error: recommend: give exactly one of --policy and --run\n");
  CHECK(run_recrl("recommend --user " + kUser, dir).status == 2);
  const auto no_policy =
      run_recrl("recommend --run " + kPendingRun + " --db store.db --user " + kUser, dir);
  CHECK(no_policy.status == 2);
  CHECK_THAT(no_policy.err, Catch::Contains("has no policy"));
}

namespace {

// Copies of a good store damaged in each way a --db can be wrong, each named for its damage.
std::vector<std::pair<std::string, std::filesystem::path>> damaged_stores(
    const std::filesystem::path& dir, const std::filesystem::path& good) {
  std::vector<std::pair<std::string, std::filesystem::path>> stores;
  const auto copy = [&](const std::string& name) {
    const auto file = dir / (name + ".db");
    std::filesystem::copy_file(good, file);
    stores.emplace_back(name, file);
    return file;
  };
  std::ofstream(dir / "text.db") << "hello\n";
  stores.emplace_back("text", dir / "text.db");
  {
    const std::string bytes = read_text(good);
    std::ofstream(dir / "truncated.db", std::ios::binary) << bytes.substr(0, 3000);
    stores.emplace_back("truncated", dir / "truncated.db");
  }
  std::filesystem::create_directories(dir / "folder.db");
  stores.emplace_back("folder", dir / "folder.db");
  test::execute_sql(dir / "other.db", "CREATE TABLE t (x)");
  stores.emplace_back("other", dir / "other.db");
  test::execute_sql(copy("no_table"), "DROP TABLE curves");
  test::execute_sql(copy("no_column"), "ALTER TABLE runs DROP COLUMN host");
  test::execute_sql(copy("newer"), "UPDATE meta SET value = '9' WHERE key = 'schema_version'");
  {
    // A b-tree page overwritten: SQLite's quick check finds it.
    std::string bytes = read_text(copy("corrupt"));
    for (std::size_t i = 4096 * 2; i < 4096 * 2 + 40; ++i) bytes[i] = '\xA5';
    std::ofstream(dir / "corrupt.db", std::ios::binary | std::ios::trunc) << bytes;
  }
  return stores;
}

}  // namespace

TEST_CASE("every store command refuses a --db that is not a usable store with exit 2",
          "[e2e][store_cli]") {
  const auto dir = scratch_dir("store_cli_damaged");
  {
    auto db = store::ResultStore::open(dir / "good.db", test::store_options());
    db.record_experiment(test::experiment_record("demo"));
    finish(db, run_of("demo", kFirstRun, 0, "random"), 0.5, dir / "p.recrl");
  }
  const std::string good_before = read_text(dir / "good.db");
  for (const auto& [damage, file] : damaged_stores(dir, dir / "good.db")) {
    for (const std::string command :
         {"runs", "compare", "report demo", "export a1b2 --out x.recrl"}) {
      const auto result = run_recrl(command + " --db '" + file.string() + "'", dir);
      INFO(damage << ": recrl " << command << ": " << result.err);
      CHECK(result.status == 2);
      CHECK_THAT(result.err, Catch::Contains(file.string()));
      CHECK(std::count(result.err.begin(), result.err.end(), '\n') == 1);
    }
    if (damage == "folder") continue;
    const std::string before = read_text(file);
    const auto merge = run_recrl("merge good.db --into '" + file.string() + "'", dir);
    INFO(damage << ": recrl merge --into: " << merge.err);
    CHECK(merge.status == 2);
    CHECK(read_text(file) == before);  // nothing written into it
  }
  CHECK(read_text(dir / "good.db") == good_before);
}

TEST_CASE("a store in a folder this process cannot write to is read", "[e2e][store_cli]") {
  const auto dir = scratch_dir("store_cli_read_only_folder");
  std::filesystem::create_directories(dir / "ro");
  {
    auto db = store::ResultStore::open(dir / "ro/recrl.db", test::store_options());
    db.record_experiment(test::experiment_record("demo"));
    finish(db, run_of("demo", kFirstRun, 0, "random"), 0.5, dir / "p.recrl");
  }
  std::filesystem::permissions(dir / "ro",
                               std::filesystem::perms::owner_write |
                                   std::filesystem::perms::group_write |
                                   std::filesystem::perms::others_write,
                               std::filesystem::perm_options::remove);
  // Root may write anywhere: run as nobody there.
  const std::string as_reader =
      ::geteuid() == 0 ? "--reuid=65534 --regid=65534 --clear-groups " : "";
  const auto result =
      recrl::test::run_command((as_reader.empty() ? "'" : "setpriv " + as_reader + "'") +
                                   std::string(RECRL_EXECUTABLE) + "' runs --db ro/recrl.db",
                               dir);
  std::filesystem::permissions(dir / "ro", std::filesystem::perms::owner_write,
                               std::filesystem::perm_options::add);
  INFO(result.err);
  CHECK(result.status == 0);
  CHECK_THAT(result.out, Catch::Contains("a1b2c3d4e5f6"));
}

TEST_CASE("a resumed run left to another process is judged by the store at the end",
          "[e2e][store_cli]") {
  const auto dir = scratch_dir("store_cli_left_to_other");
  std::ofstream(dir / "exp.yaml") << "name: left\n"
                                     "env: {plugin: recommendation}\n"
                                     "reward: {plugin: seed_rules}\n"
                                     "algorithms: [{plugin: random}, {plugin: oracle}]\n"
                                     "seeds: [0, 1]\n"
                                     "train: {timesteps: 20000}\n"
                                     "eval: {episodes: 200}\n"
                                     "output: out\n";
  REQUIRE(run_recrl("run exp.yaml -q --db s.db", dir).status == 0);
  std::string run_id;
  store::RunInfo info;
  {
    auto db = store::ResultStore::open(dir / "s.db", test::store_options());
    const auto record = db.runs("left").front();
    run_id = record.info.run_id;
    info = record.info;
    REQUIRE(db.reset_run(run_id));
  }
  // Another process claims that run and holds it until told to finish (or to stop).
  int to_child[2];
  int to_parent[2];
  REQUIRE(::pipe(to_child) == 0);
  REQUIRE(::pipe(to_parent) == 0);
  const pid_t child = test::fork_child([&] {
    auto db = store::ResultStore::open(dir / "s.db", test::store_options());
    if (!db.claim_run(info).run_it) throw std::runtime_error("not claimed");
    char c = 'c';
    if (::write(to_parent[1], &c, 1) != 1) throw std::runtime_error("pipe");
    if (::read(to_child[0], &c, 1) != 1) throw std::runtime_error("pipe");
    if (c == 'f') db.finish_run(run_id, test::finished_of(0.5));
  });
  char c = 0;
  REQUIRE(::read(to_parent[0], &c, 1) == 1);

  // Still held when recrl ends: named as being run by that process, exit 1.
  const auto held = run_recrl("run exp.yaml -q --resume --db s.db", dir);
  CHECK(held.status == 1);
  CHECK_THAT(held.err,
             Catch::Contains("is being run by") && Catch::Contains(":" + std::to_string(child)));
  // Finished by its owner: the next --resume completes the table without running it.
  c = 'f';
  REQUIRE(::write(to_child[1], &c, 1) == 1);
  REQUIRE(test::wait_child(child) == 0);
  const auto done = run_recrl("run exp.yaml -q --resume --db s.db", dir);
  INFO(done.err);
  CHECK(done.status == 0);
  CHECK(std::filesystem::exists(dir / "out/results.json"));

  // An owner that dies holding the run is not blamed as running it.
  {
    auto db = store::ResultStore::open(dir / "s.db", test::store_options());
    REQUIRE(db.reset_run(run_id));
  }
  const pid_t dead = test::fork_child([&] {
    auto db = store::ResultStore::open(dir / "s.db", test::store_options());
    if (!db.claim_run(info).run_it) throw std::runtime_error("not claimed");
  });
  REQUIRE(test::wait_child(dead) == 0);
  auto db = store::ResultStore::open(dir / "s.db", test::store_options());
  const store::Claim after = db.inspect_claim(run_id);
  CHECK(after.reason == store::ClaimReason::owner_died);
  CHECK(after.previous_owner.ends_with(":" + std::to_string(dead)));
  CHECK(db.run(run_id)->status == store::RunStatus::running);  // inspecting changed nothing
}
