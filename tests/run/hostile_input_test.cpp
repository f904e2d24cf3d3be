// Inputs a hostile probe fed recrl: each gets one clear line naming the file and the documented
// exit status, never a crash, a hang or unbounded memory (docs/limits.md).
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <catch2/catch.hpp>

#include "cli.hpp"

namespace {

using Catch::Matchers::Contains;
using recrl::test::CommandResult;
using recrl::test::project_file;
using recrl::test::read_text;
using recrl::test::run_command;
using recrl::test::run_recrl;
using recrl::test::scratch_dir;

void write(const std::filesystem::path& file, const std::string& text) {
  std::ofstream(file, std::ios::binary) << text;
}

// One line on stderr, exit status 2.
void check_clean_refusal(const CommandResult& result, const std::string& expected) {
  INFO(result.err);
  CHECK(result.status == 2);
  CHECK_THAT(result.err, Contains(expected));
  CHECK(std::count(result.err.begin(), result.err.end(), '\n') == 1);
}

// `recrl validate` in `dir` of an experiment of one algorithm (`algorithm`, its YAML entry, on
// line 5) on the seed environment and reward, with `variables` ("NAME=value ...") set.
CommandResult validate_algorithm(const std::filesystem::path& dir, const std::string& algorithm,
                                 const std::string& variables = "") {
  write(dir / "exp.yaml",
        "name: big\nenv: {plugin: recommendation}\nreward: {plugin: seed_rules}\n"
        "algorithms:\n  - " +
            algorithm + "\n");
  return run_command(variables + " '" RECRL_EXECUTABLE "' validate exp.yaml", dir);
}

}  // namespace

TEST_CASE("an alias bomb is refused after a million values, not expanded", "[hostile][config]") {
  const auto dir = scratch_dir("hostile_alias_bomb");
  // Nine levels of nine aliases: a 600-byte file that expands to 9^9 values.
  std::string yaml = "a0: &a0 [x, x, x, x, x, x, x, x, x]\n";
  for (int level = 1; level < 10; ++level) {
    yaml += "a" + std::to_string(level) + ": &a" + std::to_string(level) + " [";
    for (int i = 0; i < 9; ++i) yaml += (i ? ", *a" : "*a") + std::to_string(level - 1);
    yaml += "]\n";
  }
  write(dir / "bomb.yaml", yaml + "name: bomb\n");
  check_clean_refusal(run_recrl("validate bomb.yaml", dir),
                      "holds more than 1000000 values once its aliases are expanded");
}

TEST_CASE("deep nesting is refused saying how deep", "[hostile][config]") {
  const auto dir = scratch_dir("hostile_nesting");
  write(dir / "deep.yaml", "name: deep\nx: " + std::string(10000, '[') + std::string(10000, ']'));
  check_clean_refusal(run_recrl("validate deep.yaml", dir), "invalid YAML: nested deeper than");
}

TEST_CASE("special files are refused unread and large files refused by size", "[hostile][config]") {
  const auto dir = scratch_dir("hostile_special_files");
  check_clean_refusal(run_recrl("validate /dev/zero", dir),
                      "/dev/zero: error: cannot read the experiment file: not a regular file");
  REQUIRE(::mkfifo((dir / "fifo").c_str(), 0600) == 0);
  check_clean_refusal(run_recrl("validate fifo", dir),
                      "fifo: error: cannot read the experiment file: not a regular file");
  check_clean_refusal(run_recrl("validate .", dir),
                      "cannot read the experiment file: it is a folder");
  // 17 MiB of comments: over the 16 MiB an experiment file may have.
  {
    std::ofstream big(dir / "big.yaml");
    const std::string line(1023, '#');
    for (int i = 0; i < 17 * 1024; ++i) big << line << '\n';
    big << "name: big\n";
  }
  check_clean_refusal(run_recrl("validate big.yaml", dir),
                      "big.yaml: error: cannot read the experiment file: larger than 16 MiB");

  const std::string user = "--user recency=1";
  check_clean_refusal(run_recrl("recommend --policy /dev/zero " + user, dir),
                      "/dev/zero: error: cannot read the policy file: not a regular file");
}

TEST_CASE("a policy of a newer format is called newer, and policy errors name the policy file",
          "[hostile][policy]") {
  const auto dir = scratch_dir("hostile_policy");
  write(dir / "newer.recrl", "recrl-policy 99\n{}\n");
  const std::string user = " --user recency=1";
  check_clean_refusal(run_recrl("recommend --policy newer.recrl" + user, dir),
                      "newer.recrl:1:1: error: written by a newer recrl (policy format 99); this "
                      "recrl reads format 1: upgrade recrl");
  write(dir / "foreign.recrl", "PK\x03\x04 not a policy\n");
  check_clean_refusal(run_recrl("recommend --policy foreign.recrl" + user, dir),
                      "foreign.recrl:1:1: error: not a recrl policy file");
}

TEST_CASE("every policy recrl writes loads, a linear schedule's included", "[hostile][policy]") {
  const auto dir = scratch_dir("hostile_linear_schedule");
  // PPO with cartpole.yaml's lin_0.001 learning rate and lin_0.2 clip range, on a short budget.
  const auto run = run_recrl("run '" + project_file("experiments/cartpole.yaml") +
                                 "' --set \"algorithms=[{plugin: ppo, n_envs: 2, timesteps: 256, "
                                 "params: {n_steps: 64, batch_size: 32, n_epochs: 1, "
                                 "learning_rate: lin_0.001, clip_range: lin_0.2}}]\" "
                                 "--set seeds=[0] --set eval.episodes=2 --set output=out --quiet",
                             dir);
  INFO(run.err);
  REQUIRE(run.status == 0);
  const auto recommended = run_recrl(
      "recommend --policy out/runs/ppo__s0/policy.recrl --user \"cart_position=0,"
      "cart_velocity=0,pole_angle=0.01,pole_angular_velocity=0\"",
      dir);
  INFO(recommended.err);
  CHECK(recommended.status == 0);
  CHECK_THAT(recommended.out, Contains("push_"));

  // A damaged state is reported naming the policy file first.
  std::string policy = read_text(dir / "out/runs/ppo__s0/policy.recrl");
  const auto header_end = policy.find('\n', policy.find('\n') + 1);
  policy[header_end + 3] = 'X';  // inside the state's tag
  write(dir / "damaged.recrl", policy);
  const auto damaged = run_recrl(
      "recommend --policy damaged.recrl --user \"cart_position=0,cart_velocity=0,pole_angle=0,"
      "pole_angular_velocity=0\"",
      dir);
  check_clean_refusal(damaged,
                      "damaged.recrl: error: the policy's state: ppo: the saved state is "
                      "not an actor-critic policy");
}

TEST_CASE("recommend reads a user by the same rules as the environment's CSV users",
          "[hostile][recommend]") {
  const auto dir = scratch_dir("hostile_user_rules");
  const auto run = run_recrl("run '" + project_file("experiments/baselines.yaml") +
                                 "' --set seeds=[0] --set train.timesteps=100 "
                                 "--set eval.episodes=10 --set output=out --quiet",
                             dir);
  INFO(run.err);
  REQUIRE(run.status == 0);
  const std::string policy = " --policy out/runs/oracle__s0/policy.recrl";
  const auto user = [](const std::string& recency, const std::string& flag) {
    return "recency=" + recency +
           ",frequency=3,monetary_value=200,engagement_score=0.78,discount_sensitive=" + flag +
           ",free_shipping_preferred=0,email_opens=0.87,sms_response=0.12,push_response=0.05,"
           "last_purchase_days=8";
  };
  // A customer last seen 400 days ago is a user (the CSV source takes it too).
  const auto old = run_recrl("recommend" + policy + " --user \"" + user("400", "1") + "\"", dir);
  INFO(old.err);
  CHECK(old.status == 0);
  check_clean_refusal(
      run_recrl("recommend" + policy + " --user \"" + user("15", "0.5") + "\"", dir),
      "discount_sensitive: expected a flag, 0 or 1, got '0.5'");
  check_clean_refusal(
      run_recrl("recommend" + policy + " --user \"" + user("0x1p3", "1") + "\"", dir),
      "recency: expected a finite number, got '0x1p3'");
  // A double that no 32-bit float holds would be an infinite feature.
  check_clean_refusal(
      run_recrl("recommend" + policy + " --user \"" + user("3.5e38", "1") + "\"", dir),
      "recency: expected a number of magnitude at most 3.4e38 (features are 32-bit floats)");

  const std::string header =
      "recency,frequency,monetary_value,engagement_score,discount_sensitive,"
      "free_shipping_preferred,email_opens,sms_response,push_response,last_purchase_days\n";
  write(dir / "ok.csv", header + "400,3,200,0.78,1,0,0.87,0.12,0.05,8\n");
  const auto from_csv = run_recrl("recommend" + policy + " --users ok.csv", dir);
  INFO(from_csv.err);
  CHECK(from_csv.status == 0);
  write(dir / "flag.csv", header + "15,3,200,0.78,0.5,0,0.87,0.12,0.05,8\n");
  check_clean_refusal(run_recrl("recommend" + policy + " --users flag.csv", dir),
                      "flag.csv:2:5: error: column 'discount_sensitive': expected a flag, 0 or 1");
}

TEST_CASE("a users CSV is read once per process, however many runs and copies use it",
          "[hostile][csv]") {
  const auto dir = scratch_dir("hostile_csv_once");
  std::string csv =
      "recency,frequency,monetary_value,engagement_score,discount_sensitive,"
      "free_shipping_preferred,email_opens,sms_response,push_response,last_purchase_days\n";
  for (int i = 0; i < 1000; ++i) csv += std::to_string(i % 400) + ",3,200,0.5,1,0,0.8,0.1,0.1,9\n";
  write(dir / "users.csv", csv);
  write(dir / "exp.yaml",
        "name: csv_once\n"
        "env: {plugin: recommendation, params: {users: {source: csv, path: users.csv}}}\n"
        "reward: {plugin: seed_rules}\n"
        "algorithms: [{plugin: random}, {plugin: oracle}]\n"
        "seeds: [0, 1]\n"
        "train: {timesteps: 400, n_envs: 4}\n"
        "eval: {episodes: 100}\n"
        "output: out\n");
  const auto run = run_recrl("run exp.yaml --jobs 2 --verbose", dir);
  INFO(run.err);
  REQUIRE(run.status == 0);
  // Validation, 4 runs x (4 training copies + 64 evaluation slots) and the oracle reference: one
  // read.
  std::size_t reads = 0;
  for (std::size_t at = run.err.find("read 1000 users from"); at != std::string::npos;
       at = run.err.find("read 1000 users from", at + 1)) {
    ++reads;
  }
  CHECK(reads == 1);
}

TEST_CASE("a name or output that is, or leaves, the working directory is a config error",
          "[hostile][config]") {
  const auto dir = scratch_dir("hostile_output_folder");
  write(dir / "results.csv", "the user's own file\n");
  const auto experiment = [&](const std::string& name, const std::string& output) {
    write(dir / "exp.yaml", "name: " + name +
                                "\nenv: {plugin: recommendation}\nreward: {plugin: seed_rules}\n"
                                "algorithms: [{plugin: random}]\n" +
                                (output.empty() ? "" : "output: \"" + output + "\"\n") +
                                "train: {timesteps: 100}\neval: {episodes: 10}\n");
    return run_recrl("run exp.yaml -q", dir);
  };
  check_clean_refusal(experiment("..", ""), "exp.yaml:1:7: error: name: expected a name made of");
  check_clean_refusal(experiment(".", ""), "not starting with '.'");
  check_clean_refusal(experiment("ok", "."),
                      "exp.yaml:5:9: error: output: the results folder '.' "
                      "is the working directory");
  check_clean_refusal(experiment("ok", "../elsewhere"), "leaves the working directory");
  check_clean_refusal(experiment("ok", dir.string()),
                      "is the working directory or a folder that holds it");
  CHECK(read_text(dir / "results.csv") == "the user's own file\n");
  // A folder of its own, relative or absolute, is fine.
  CHECK(experiment("ok", "out/ok").status == 0);
  CHECK(experiment("ok", (dir / "abs").string()).status == 0);
}

TEST_CASE("report and export write through a symlink and never replace a special file",
          "[hostile][output]") {
  const auto dir = scratch_dir("hostile_out_targets");
  const auto run = run_recrl("run '" + project_file("experiments/baselines.yaml") +
                                 "' --set seeds=[0] --set train.timesteps=100 "
                                 "--set eval.episodes=10 --set output=out --db s.db --quiet",
                             dir);
  INFO(run.err);
  REQUIRE(run.status == 0);
  // A symlink: the link stays, its target gets the report.
  write(dir / "target.html", "old\n");
  std::filesystem::create_symlink("target.html", dir / "link.html");
  const auto through = run_recrl("report baselines --db s.db --out link.html", dir);
  INFO(through.err);
  CHECK(through.status == 0);
  CHECK(std::filesystem::is_symlink(dir / "link.html"));
  CHECK_THAT(read_text(dir / "target.html"), Contains("<!DOCTYPE html>"));
  // A FIFO and a device are refused, and stay what they are.
  REQUIRE(::mkfifo((dir / "fifo").c_str(), 0600) == 0);
  const auto runs = run_recrl("runs --db s.db", dir);
  const std::string run_id = runs.out.substr(runs.out.find('\n') + 1, 12);  // the first run
  for (const std::string& command : {std::string("report baselines --db s.db --out "),
                                     "export " + run_id + " --force --db s.db --out "}) {
    for (const std::string target : {"fifo", "/dev/null"}) {
      check_clean_refusal(run_recrl(command + target, dir), "is not a regular file");
    }
  }
  struct stat status {};
  REQUIRE(::lstat((dir / "fifo").c_str(), &status) == 0);
  CHECK(S_ISFIFO(status.st_mode));
  REQUIRE(::stat("/dev/null", &status) == 0);
  CHECK(S_ISCHR(status.st_mode));
}

TEST_CASE("buffers larger than the machine's memory are a config error at the parameter",
          "[hostile][config]") {
  const auto dir = scratch_dir("hostile_memory");
  check_clean_refusal(validate_algorithm(dir, "{plugin: dqn, params: {buffer_size: 100000000000}}"),
                      "exp.yaml:5:41: error: algorithms[0].params.buffer_size: a replay buffer of "
                      "100000000000 transitions would need");
  check_clean_refusal(validate_algorithm(dir, "{plugin: ppo, params: {n_steps: 100000000000}}"),
                      "algorithms[0].params.n_steps: a rollout of 100000000000 steps");
  check_clean_refusal(validate_algorithm(dir, "{plugin: a2c, params: {n_steps: 100000000000}}"),
                      "algorithms[0].params.n_steps: a rollout of 100000000000 steps");
}

TEST_CASE("networks that would not fit in memory are a config error at what sizes them",
          "[hostile][config]") {
  const auto dir = scratch_dir("hostile_network_memory");
  // The same verdict on any machine with at least 16 GiB.
  const auto validate = [&](const std::string& algorithm) {
    return validate_algorithm(dir, algorithm, "RECRL_MEMORY_LIMIT=16G");
  };
  // Each layer is within [1, 65536]; together they are 4.3 billion weights per network.
  const std::string wide = ", params: {policy_kwargs: {net_arch: [65536, 65536]}}}";
  for (const std::string algorithm : {"ppo", "a2c"}) {
    check_clean_refusal(validate("{plugin: " + algorithm + wide),
                        "exp.yaml:5:43: error: algorithms[0].params.policy_kwargs: networks of "
                        "8.59e+09 parameters, in batches of 64 samples, would need 128.2 GiB, "
                        "more than the 16.0 GiB of RECRL_MEMORY_LIMIT; make it smaller");
  }
  check_clean_refusal(validate("{plugin: dqn" + wide),
                      "exp.yaml:5:43: error: algorithms[0].params.policy_kwargs: networks of "
                      "8.59e+09 parameters, in batches of 64 samples, would need 80.1 GiB");
  // A2C's batch is its whole rollout: 16 million samples of small networks (found by the fuzzer).
  check_clean_refusal(validate("{plugin: a2c, n_envs: 16, params: {n_steps: 1000032}}"),
                      "exp.yaml:5:49: error: algorithms[0].params.n_steps: networks of 1.04e+04 "
                      "parameters, in batches of 16000512 samples, would need");
}

TEST_CASE("RECRL_MEMORY_LIMIT lowers what a run may hold, and a bad one is named",
          "[hostile][config]") {
  const auto dir = scratch_dir("hostile_memory_limit");
  const std::string dqn = "{plugin: dqn, params: {buffer_size: 1000000}}";
  CHECK(validate_algorithm(dir, dqn).status == 0);
  // A million transitions of two 10-feature observations: 96 bytes each.
  check_clean_refusal(validate_algorithm(dir, dqn, "RECRL_MEMORY_LIMIT=64M"),
                      "exp.yaml:5:41: error: algorithms[0].params.buffer_size: a replay buffer of "
                      "1000000 transitions would need 92 MiB, more than the 64 MiB of "
                      "RECRL_MEMORY_LIMIT; make it smaller");
  check_clean_refusal(validate_algorithm(dir, dqn, "RECRL_MEMORY_LIMIT=64MB"),
                      "error: RECRL_MEMORY_LIMIT: expected a size such as 8G, 512M or a number of "
                      "bytes, got '64MB'");
}

TEST_CASE("an unknown command lists every command", "[hostile][cli]") {
  const auto dir = scratch_dir("hostile_unknown_command");
  const auto result = run_recrl("frob", dir);
  CHECK(result.status == 2);
  CHECK(result.err ==
        "recrl: error: unknown command 'frob' (commands: bench, compare, describe, explain, "
        "export, fit, merge, ope, plugins, recommend, report, run, runs, serve, simulate, "
        "slurm, validate)\n");
}

TEST_CASE("a missing file or name argument is named with the command's usage", "[hostile][cli]") {
  const auto dir = scratch_dir("hostile_missing_argument");
  const auto result = run_recrl("run", dir);
  CHECK(result.status == 2);
  CHECK_THAT(result.err, Catch::StartsWith("recrl: error: missing the experiment argument; "
                                           "usage: recrl run FILE.yaml"));
  const auto describe = run_recrl("describe", dir);
  CHECK(describe.status == 2);
  CHECK_THAT(describe.err,
             Catch::Contains("missing the name argument; usage: recrl describe NAME"));
}
