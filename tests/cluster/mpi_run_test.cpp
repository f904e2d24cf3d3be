// recrl run --mpi under a real mpirun: the same numbers as one process, one store, and a rank
// killed with SIGKILL losing only its run.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <map>
#include <thread>

#include <catch2/catch.hpp>

#include "cli.hpp"
#include "messages.hpp"
#include "recrl/store/result_store.hpp"

namespace fs = std::filesystem;
using namespace recrl;

namespace {

// Root may start mpirun only when told so (CI runs as root); --oversubscribe lets 3 ranks
// share 2 cores.
const std::string kMpirun =
    "OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 mpirun --oversubscribe";

void write_experiment(const fs::path& file, const std::string& algorithms, const std::string& seeds,
                      int timesteps) {
  std::ofstream(file) << "name: cluster\n"
                         "env:\n  plugin: recommendation\n"
                         "  params: {users: {source: synthetic}, horizon: 1}\n"
                         "reward: {plugin: seed_rules}\n"
                         "algorithms:\n"
                      << algorithms << "seeds: " << seeds << "\ntrain: {timesteps: " << timesteps
                      << ", n_envs: 4}\n"
                         "eval: {episodes: 200, seed: 7, every: "
                      << timesteps / 2 << "}\noutput: out\n";
}

// Everything a run's numbers are, without its timings.
struct RunNumbers {
  store::Metrics metrics;
  std::vector<std::tuple<std::int64_t, double, double, std::int64_t>> curve;
  std::vector<std::int64_t> action_counts;
  bool operator==(const RunNumbers&) const = default;
};

std::map<std::string, RunNumbers> numbers_of(const fs::path& file) {
  store::StoreOptions options;
  options.read_only = true;
  const auto db = store::ResultStore::open(file, options);
  std::map<std::string, RunNumbers> all;
  for (const store::RunRecord& run : db.runs("cluster")) {
    const std::string& id = run.info.run_id;
    RunNumbers n;
    n.metrics = db.metrics(id);
    for (const char* timing :
         {"wall_s", "train_s", "steps_per_s", "env_s", "act_s", "update_s", "eval_s"})
      n.metrics.erase(timing);
    for (const store::CurvePoint& p : db.curve(id))
      n.curve.emplace_back(p.env_steps, p.eval_mean, p.eval_std, p.train_episodes);
    for (const store::ActionCount& c : db.action_counts(id)) n.action_counts.push_back(c.count);
    all[id] = n;
  }
  return all;
}

std::vector<store::RunRecord> runs_of(const fs::path& file) {
  store::StoreOptions options;
  options.read_only = true;
  return store::ResultStore::open(file, options).runs("cluster");
}

// The process of `parent`'s child that is MPI rank `rank`, or 0.
pid_t rank_process(pid_t parent, int rank) {
  const std::string wanted = "OMPI_COMM_WORLD_RANK=" + std::to_string(rank);
  for (const auto& entry : fs::directory_iterator("/proc")) {
    const std::string name = entry.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream stat(entry.path() / "stat");
    std::string pid, comm, state;
    pid_t ppid = 0;
    stat >> pid >> comm >> state >> ppid;
    if (ppid != parent) continue;
    std::ifstream environ(entry.path() / "environ");
    for (std::string var; std::getline(environ, var, '\0');)
      if (var == wanted) return std::stoi(name);
  }
  return 0;
}

}  // namespace

TEST_CASE("mpirun -n 3 records the numbers of --jobs 1 in one store", "[mpi]") {
  const auto dir = test::scratch_dir("mpi_same_numbers");
  write_experiment(dir / "x.yaml",
                   "  - plugin: random\n  - {plugin: ppo, params: {n_steps: 64}}\n"
                   "  - plugin: linucb\n  - {plugin: dqn, n_envs: 1}\n",
                   "[0, 1, 2]", 2000);
  const auto one = test::run_recrl("run x.yaml --jobs 1 --db one.db -q", dir);
  REQUIRE(one.status == 0);
  const auto results_one = test::read_text(dir / "out" / "results.csv");
  const auto mpi =
      test::run_command(kMpirun + " -n 3 '" RECRL_EXECUTABLE "' run x.yaml --mpi --db mpi.db", dir);
  INFO(mpi.err);
  REQUIRE(mpi.status == 0);
  CHECK_THAT(mpi.err, Catch::Contains("3 MPI ranks: 3 runs at once"));
  const auto a = numbers_of(dir / "one.db");
  const auto b = numbers_of(dir / "mpi.db");
  CHECK(a.size() == 12);
  CHECK(a == b);
  for (const store::RunRecord& run : runs_of(dir / "mpi.db"))
    CHECK(run.status == store::RunStatus::finished);
  // Threads within each rank: two ranks of two runs at once, the same numbers again.
  const auto threads = test::run_command(
      kMpirun + " -n 2 '" RECRL_EXECUTABLE "' run x.yaml --mpi --jobs 2 --db threads.db", dir);
  INFO(threads.err);
  REQUIRE(threads.status == 0);
  CHECK_THAT(threads.err, Catch::Contains("2 MPI ranks: 4 runs at once"));
  CHECK(numbers_of(dir / "threads.db") == a);
  // The table is the same but for the timings: its first columns agree.
  CHECK(test::read_text(dir / "out" / "results.md").find("| ppo | 3 |") != std::string::npos);
  CHECK_FALSE(results_one.empty());
}

TEST_CASE("a rank killed with SIGKILL fails only its run, which --resume runs again", "[mpi]") {
  const auto dir = test::scratch_dir("mpi_killed_rank");
  // Runs of about a second each, so that rank 1 is killed in the middle of one.
  write_experiment(dir / "x.yaml", "  - {plugin: dqn, n_envs: 1, params: {train_freq: 1}}\n",
                   "[0, 1, 2, 3, 4, 5]", 60000);
  const pid_t mpirun = fork();
  if (mpirun == 0) {
    if (chdir(dir.c_str()) != 0) _exit(120);
    const std::string line = kMpirun + " --enable-recovery -n 3 '" RECRL_EXECUTABLE
                                       "' run x.yaml --mpi --db kill.db --rank-timeout 3 "
                                       "> out.txt 2> err.txt";
    execl("/bin/sh", "sh", "-c", ("exec env " + line).c_str(), nullptr);
    _exit(122);
  }
  // Kill rank 1 once three runs are going.
  pid_t victim = 0;
  for (int i = 0; i < 600 && victim == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    if (!fs::exists(dir / "kill.db")) continue;
    int running = 0;
    try {
      for (const auto& run : runs_of(dir / "kill.db"))
        running += run.status == store::RunStatus::running;
    } catch (const std::exception&) {
      continue;  // the store is being made
    }
    if (running == 3) victim = rank_process(mpirun, 1);
  }
  REQUIRE(victim != 0);
  ::kill(victim, SIGKILL);
  int status = 0;
  waitpid(mpirun, &status, 0);
  const std::string err = test::read_text(dir / "err.txt");
  INFO(err);
  // With --enable-recovery Open MPI 4.1's mpirun exits 0 whatever the ranks say: the line and
  // the store tell.
  CHECK_THAT(err, Catch::Contains("1 of 6 runs failed because what trained them went away"));
  CHECK_THAT(err, Catch::Contains("rank 1 has been silent for 3 s"));
  std::string lost;
  int finished = 0;
  for (const store::RunRecord& run : runs_of(dir / "kill.db")) {
    if (run.status == store::RunStatus::finished) ++finished;
    if (run.status == store::RunStatus::failed) lost = run.info.run_id;
  }
  CHECK(finished == 5);
  REQUIRE_FALSE(lost.empty());
  CHECK_FALSE(fs::exists(dir / "out" / "results.md"));

  const auto resumed = test::run_recrl("run x.yaml --db kill.db --resume --jobs 1 -q", dir);
  INFO(resumed.err);
  REQUIRE(resumed.status == 0);
  for (const store::RunRecord& run : runs_of(dir / "kill.db")) {
    CHECK(run.status == store::RunStatus::finished);
    CHECK(run.attempts == (run.info.run_id == lost ? 2 : 1));
  }
  CHECK(fs::exists(dir / "out" / "results.md"));
}

TEST_CASE("a message from another rank is read back exactly, or refused", "[mpi]") {
  RunResult r;
  r.run_id = "abc";
  r.label = "ppo";
  r.seed = 3;
  r.eval_mean = 0.1 + 0.2;
  r.pct_oracle = 47.25;
  r.action_counts = {1, 2, 3};
  r.reward_components = {{"targeting", 0.5}, {"channel", -0.25}};
  r.policy = "/tmp/p.recrl";
  const std::string bytes = cluster::detail::Writer().u32(7).run_result(r).bytes();
  cluster::detail::Reader in(bytes);
  CHECK(in.u32() == 7);
  const RunResult back = in.run_result();
  in.end();
  CHECK(back.eval_mean == r.eval_mean);
  CHECK(back.pct_oracle == r.pct_oracle);
  CHECK(back.action_counts == r.action_counts);
  CHECK(back.reward_components.size() == 2);
  CHECK(back.reward_components[1].mean == -0.25);
  CHECK(back.policy == r.policy);
  // Cut short anywhere, or with a count beyond its bytes: refused, never read past the end.
  for (std::size_t cut = 0; cut < bytes.size(); cut += 7) {
    const std::string shorter = bytes.substr(0, cut);
    cluster::detail::Reader partial(shorter);
    CHECK_THROWS_AS((partial.u32(), partial.run_result(), partial.end()), DataError);
  }
}

TEST_CASE("recrl run --mpi refuses a rank timeout that is not a positive number", "[mpi]") {
  const auto dir = test::scratch_dir("mpi_bad_timeout");
  write_experiment(dir / "x.yaml", "  - plugin: random\n", "[0]", 100);
  const auto r = test::run_recrl("run x.yaml --mpi --rank-timeout 0", dir);
  CHECK(r.status == 2);
  CHECK_THAT(r.err, Catch::Contains("--rank-timeout 0"));
  CHECK_THAT(r.err, Catch::Contains("expected a number of seconds above 0"));
  // Outside mpirun it is a world of one rank, which trains everything itself.
  const auto alone = test::run_recrl("run x.yaml --mpi --db alone.db -q", dir);
  INFO(alone.err);
  CHECK(alone.status == 0);
  CHECK(fs::exists(dir / "out" / "results.md"));
}
